package main

// The kill test of issue 7, item 22: the real binary, killed with SIGKILL again and again while
// people are created over the API, delivers every person's mail to a real SMTP server,
// each one message, and nothing waits out a lease.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"frontdesk/mail"
	"frontdesk/mail/mailtest"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

func TestKilledServerDeliversAllMailOnce_E6_Issue7(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := filepath.Join(t.TempDir(), "frontdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	engines := []store.Engine{store.SQLite}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		engines = append(engines, store.Postgres)
	}
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { killTest(t, bin, e) })
	}
}

// killServer is one run of frontdesk serve.
type killServer struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

func killTest(t *testing.T, bin string, engine store.Engine) {
	const (
		people   = 300
		kills    = 4
		creators = 4
	)
	env := append(os.Environ(), "FRONTDESK_LOG_LEVEL=warn")
	cfg := storetest.Config(t, engine)
	if engine == store.SQLite {
		env = append(env, "FRONTDESK_DATA="+cfg.DataDir, "FRONTDESK_DATABASE_URL=")
	} else {
		env = append(env, "FRONTDESK_DATABASE_URL="+cfg.URL)
	}
	sink := mailtest.NewServer(t, mailtest.Options{})
	// A receiver slower than the creates, so that the workers always hold messages when the
	// process is killed.
	sink.SetReject(func(mailtest.Message) error { time.Sleep(4 * time.Millisecond); return nil })

	command := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("frontdesk %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	command("owner", "create", "--email", "owner@example.com", "--name", "Kill Owner")
	token := strings.TrimSpace(command("token", "create", "--email", "owner@example.com", "--name", "kill"))

	// The same address on every start: the worker's name, host and address, survives the
	// restart, and the restarted worker takes back what the killed one held.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs []*lockedBuffer
	start := func() *killServer {
		t.Helper()
		return startServe(t, bin, env, "listens on", 20*time.Second, &logs,
			"--addr", addr, "--smtp-addr", sink.Addr, "--smtp-tls", "none", "--helpdesk-url", "http://"+addr)
	}
	srv := start()
	t.Cleanup(func() { srv.cmd.Process.Kill(); <-srv.exited })

	// Creators post people until all exist, retrying through the kills; the Idempotency-Key
	// makes a retry of a create that landed before the kill answer with the same person.
	var next, created atomic.Int64
	client := &http.Client{Timeout: 10 * time.Second}
	create := func(k int64) error {
		email := fmt.Sprintf("person%d@kill.example", k)
		body := fmt.Sprintf(`{"name":"Person %d","email":%q}`, k, email)
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/people", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", email)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d: %s", res.StatusCode, b)
		}
		return nil
	}
	var wg sync.WaitGroup
	deadline := time.Now().Add(60 * time.Second)
	for range creators {
		wg.Go(func() {
			for k := next.Add(1); k <= people; k = next.Add(1) {
				for err := create(k); err != nil; err = create(k) {
					if time.Now().After(deadline) {
						t.Errorf("person %d: %v", k, err)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				created.Add(1)
			}
		})
	}
	// Kill the server at even steps of the creates, and start it again at once.
	var lastStart time.Time
	for i := 1; i <= kills; i++ {
		for created.Load() < int64(i*people/(kills+1)) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		srv.cmd.Process.Signal(syscall.SIGKILL)
		<-srv.exited
		srv = start()
		lastStart = time.Now()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Every person's mail arrives, well before a lease could have run out since the last
	// start: what the killed worker held was taken back at once, not after its lease.
	bound := mail.DefaultLease / 2
	want := map[string]bool{}
	for k := 1; k <= people; k++ {
		want[fmt.Sprintf("person%d@kill.example", k)] = true
	}
	byTo := map[string]map[string]int{} // recipient, Message-ID, times received
	for {
		clear(byTo)
		for _, m := range sink.Messages() {
			for _, to := range m.To {
				if !want[to] {
					continue
				}
				if byTo[to] == nil {
					byTo[to] = map[string]int{}
				}
				byTo[to][m.MessageID]++
			}
		}
		if len(byTo) == people {
			break
		}
		if time.Since(lastStart) > bound {
			t.Fatalf("%d of %d people got their mail within %s of the last restart (the lease is %s)", len(byTo), people, bound, mail.DefaultLease)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Exactly one message per person. A message the server accepted just before a kill,
	// before the worker could record it, goes out again with the same Message-ID (SMTP has
	// no way around that window); a receiver sees one message. Count those.
	again := 0
	for to, ids := range byTo {
		if len(ids) != 1 {
			t.Errorf("%s got %d different messages: %v", to, len(ids), ids)
		}
		for _, n := range ids {
			again += n - 1
		}
	}
	journaled := 0
	for _, l := range logs {
		journaled += strings.Count(l.String(), "recorded from the journal")
	}
	t.Logf("%d people, %d kills: all mail arrived %s after the last start; %d messages went out a second time with the same Message-ID; %d starts recorded messages from the sent journal",
		people, kills, time.Since(lastStart).Round(time.Millisecond), again, journaled)
	// What a kill can send twice: a message each sender has in the server's DATA when the
	// process dies (the server keeps it, the worker never hears so), and rarely one caught
	// between the server's answer and the sent journal's one write. Before the journal, the
	// wait for SQLite's writer to record the message sent made it twenty a kill. PostgreSQL
	// has no journal (instances share no folder): there the messages accepted and waiting in
	// the recorder's queue for their commit (at most a batch) go out again too, and how
	// many wait depends on how busy the database is.
	limit := kills * (mail.DefaultSenders + 1)
	if engine == store.Postgres {
		limit = kills * (mail.DefaultSenders + mail.DefaultBatch)
	}
	if again > limit {
		t.Errorf("%d messages went out twice, more than %d kills can explain (%d)", again, kills, limit)
	}
}

// lockedBuffer is a child's stderr, read while the child may still write it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe starts `frontdesk serve` with args and waits until its output says ready;
// its stderr is kept in logs for the test's failure messages.
func startServe(t *testing.T, bin string, env []string, ready string, wait time.Duration, logs *[]*lockedBuffer, args ...string) *killServer {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	*logs = append(*logs, stderr)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &killServer{cmd: cmd, exited: make(chan struct{})}
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		said := false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), ready) {
				said = true
				close(listening)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); close(s.exited) }()
	select {
	case <-listening:
	case <-s.exited:
		t.Fatalf("serve stopped at start: %s", stderr.String())
	case <-time.After(wait):
		t.Fatal("serve did not start")
	}
	return s
}
