package main

// The soak mode (issue 7, item 23): the whole server (API, flows, outbox and its delivery
// worker) under steady creates for a long time, printing each interval's rate, latency, mail
// backlog and memory, so that a slow decline shows where a ten-second burst hides it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/emersion/go-smtp"

	"frontdesk"
	"frontdesk/mail"
	"frontdesk/server"
)

// soakWindow is what one interval of the soak measured.
type soakWindow struct {
	at       time.Duration // since the start, at the end of the interval
	ok       int
	errors   int
	rate     float64
	p50, p99 time.Duration
	cpuPer   time.Duration
	backlog  int // messages queued or being sent
	sent     int64
	people   int64
	rss      int64 // bytes
}

func runSoak(ctx context.Context, o options, out io.Writer, logger *slog.Logger, g gen) (err error) {
	target, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, target.cleanup()) }()
	sink, err := startSink()
	if err != nil {
		return err
	}
	defer sink.close()
	app, err := server.New(ctx, server.Config{
		Store:       target.cfg,
		PhoneRegion: "US",
		HelpdeskURL: "http://127.0.0.1",
		MailFrom:    "Bench <bench@frontdesk-bench.example>",
		Worker:      mail.WorkerConfig{SMTP: mail.SMTPConfig{Addr: sink.addr, TLS: mail.TLSNone}},
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, app.Close()) }()
	token, err := ownerToken(ctx, app.DB)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	app.Worker.SetName("bench@" + ln.Addr().String())
	app.Start()
	c := newClient("http://"+ln.Addr().String(), token, o.clients)
	defer c.close()

	fmt.Fprintf(out, "Frontdesk soak: %s engine, %d clients creating people over the API for %s, the mail worker delivering to an SMTP sink in the same process\n",
		o.engine, o.clients, o.soak)
	fmt.Fprintf(out, "GOMAXPROCS %d (NumCPU %d), %s, load average %s at the start\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), loadAverage())
	fmt.Fprintf(out, "RSS is this whole process: server, SQLite or driver, HTTP clients and SMTP sink.\n\n")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "minute\tpeople\tcreates/s\tp50\tp99\terrors\tCPU/create\tmail backlog\tmail sent\tRSS\t")
	w.Flush()

	var (
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
	)
	next := &atomic.Int64{}
	next.Store(1)
	create := createPerson(c, g, next)
	sctx, stop := context.WithTimeout(ctx, o.soak)
	defer stop()
	var wg sync.WaitGroup
	for i := range o.clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(o.seed, uint64(i)+1))
			for sctx.Err() == nil {
				t0 := time.Now()
				err := create(sctx, rng)
				el := time.Since(t0)
				mu.Lock()
				if err == nil {
					lat = append(lat, el)
				} else if sctx.Err() == nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	var windows []soakWindow
	var people int64
	cpu0, t0 := cpuTime(), start
	tick := time.NewTicker(o.soakEvery)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-tick.C:
		case <-sctx.Done():
			done = true
			wg.Wait()
		}
		now, cpu := time.Now(), cpuTime()
		mu.Lock()
		win, e := lat, errs
		lat, errs = make([]time.Duration, 0, len(win)), 0
		mu.Unlock()
		if now.Sub(t0) < o.soakEvery/2 && len(windows) > 0 {
			break // a sliver left at the end says nothing
		}
		slices.Sort(win)
		people += int64(len(win))
		sw := soakWindow{at: now.Sub(start), ok: len(win), errors: e, rate: float64(len(win)) / now.Sub(t0).Seconds(),
			p50: percentile(win, 50), p99: percentile(win, 99), sent: sink.count.Load(), people: people, rss: rss()}
		if len(win) > 0 {
			sw.cpuPer = (cpu - cpu0) / time.Duration(len(win))
		}
		if counts, err := app.DB.CountMail(context.WithoutCancel(ctx)); err == nil {
			sw.backlog = counts[frontdesk.MessageQueued] + counts[frontdesk.MessageSending]
		}
		windows = append(windows, sw)
		fmt.Fprintf(w, "%.1f\t%d\t%.0f\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t\n", sw.at.Minutes(), sw.people, sw.rate, fmtDur(sw.p50), fmtDur(sw.p99),
			sw.errors, fmtDur(sw.cpuPer), sw.backlog, sw.sent, fmtBytes(sw.rss))
		w.Flush()
		cpu0, t0 = cpu, now
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if firstErr != "" {
		fmt.Fprintf(out, "first error: %s\n", firstErr)
	}
	if len(windows) == 0 {
		return errors.New("the soak measured nothing")
	}
	fmt.Fprintln(out)
	soakVerdict(out, windows)
	return nil
}

// soakVerdict checks that the run stayed flat: a create costing as much CPU at the end as at
// the start, and as fast within a fifth, a mail backlog of at most a few seconds of creates,
// and memory under 150 MB throughout.
func soakVerdict(out io.Writer, ws []soakWindow) {
	first, last := ws[0], ws[len(ws)-1]
	var maxRSS int64
	for _, w := range ws {
		maxRSS = max(maxRSS, w.rss)
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "target\tmeasured\tresult")
	check := func(name, measured string, ok bool) {
		verdict := "FAIL"
		if ok {
			verdict = "ok"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", name, measured, verdict)
	}
	// CPU per create says whether a create costs more as the tables and the outbox grow; the
	// rate alone also follows whatever else the machine is doing.
	check("cost flat: CPU/create of the last interval <= 1.3 × the first", fmt.Sprintf("%s vs %s", fmtDur(last.cpuPer), fmtDur(first.cpuPer)),
		float64(last.cpuPer) <= 1.3*float64(first.cpuPer))
	check("rate flat: last interval >= 80% of the first (shared machine: informative)", fmt.Sprintf("%.0f/s vs %.0f/s", last.rate, first.rate), last.rate >= 0.8*first.rate)
	check("mail keeps up: backlog at the end <= 5 s of creates", fmt.Sprintf("%d messages", last.backlog), float64(last.backlog) <= 5*last.rate+100)
	check("RSS < 150 MB throughout", fmt.Sprintf("max %s", fmtBytes(maxRSS)), maxRSS < 150_000_000)
	w.Flush()
}

// rss returns the resident memory of this process, from /proc on Linux (0 elsewhere).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// sink is an SMTP server that takes every message and keeps only the count.
type sink struct {
	addr  string
	srv   *smtp.Server
	count atomic.Int64
}

func startSink() (*sink, error) {
	s := &sink{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sink) close() { s.srv.Close() }

type sinkSession struct{ s *sink }

func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }
func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.s.count.Add(1)
	return nil
}
