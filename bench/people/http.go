package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client sends requests to the API under test over one shared keep-alive transport.
type client struct {
	hc    *http.Client
	base  string
	token string
	// cookie, when set, is sent instead of the token: a staff session on the console.
	cookie string
}

func newClient(base, token string, conns int) *client {
	tr := &http.Transport{
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, base: base, token: token}
}

// do sends one request and reads the whole answer, so that the connection is reused.
func (c *client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	return c.doAs(ctx, method, path, body)
}

// doAs is do with extra headers, as name and value pairs. A client without a token or
// cookie sends neither: a guest.
func (c *client) doAs(ctx context.Context, method, path string, body []byte, headers ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	} else if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// op is one request of a phase; it returns an error when the answer is wrong.
type op func(ctx context.Context, rng *rand.Rand) error

// result is what one phase measured.
type result struct {
	name     string
	ok       int
	errors   int
	firstErr string
	elapsed  time.Duration
	cpu      time.Duration   // CPU time of this process (server, driver and client) during the phase
	dbCPU    time.Duration   // CPU time of the PostgreSQL server's processes, when seen
	lat      []time.Duration // of successful requests, sorted
	extra    string
}

func (r *result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// pct returns the exact p-th percentile (nearest rank) of the recorded latencies.
func (r *result) pct(p float64) time.Duration {
	return percentile(r.lat, p)
}

// cpuPer returns the process's CPU time per successful request.
func (r *result) cpuPer() time.Duration {
	if r.ok == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ok)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.999999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// runPhase runs fn from clients goroutines at once for d and records every request.
func runPhase(ctx context.Context, name string, clients int, d time.Duration, seed uint64, fn op) *result {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second) // a stuck request ends too
	defer cancel()
	type part struct {
		lat      []time.Duration
		errors   int
		firstErr string
	}
	parts := make([]part, clients)
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	end := start.Add(d)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)+1))
			p := &parts[i]
			p.lat = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				err := fn(ctx, rng)
				el := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					p.errors++
					if p.firstErr == "" {
						p.firstErr = err.Error()
					}
					continue
				}
				p.lat = append(p.lat, el)
			}
		}()
	}
	wg.Wait()
	r := &result{name: name, elapsed: time.Since(start), cpu: cpuTime() - cpu0}
	for _, p := range parts {
		r.lat = append(r.lat, p.lat...)
		r.errors += p.errors
		if r.firstErr == "" {
			r.firstErr = p.firstErr
		}
	}
	r.ok = len(r.lat)
	slices.Sort(r.lat)
	return r
}

// createPerson posts a new person with an address nobody has: indexes from next on are
// beyond the loaded people, and each is used once.
func createPerson(c *client, g gen, next *atomic.Int64) op {
	return func(ctx context.Context, rng *rand.Rand) error {
		k := int(next.Add(1) - 1)
		body, err := json.Marshal(g.input(k))
		if err != nil {
			return err
		}
		status, b, err := c.do(ctx, "POST", "/api/v1/people", body)
		if err != nil {
			return err
		}
		if status != http.StatusCreated {
			return fmt.Errorf("POST /api/v1/people: status %d: %s", status, trim(b))
		}
		return nil
	}
}

type personList struct {
	Data []struct {
		ID     int64 `json:"id"`
		Emails []struct {
			Address string `json:"address"`
		} `json:"emails"`
	} `json:"data"`
}

// getByEmail looks up a random loaded person by address and checks that exactly that
// person comes back.
func getByEmail(c *client, g gen, n int) op {
	return func(ctx context.Context, rng *rand.Rand) error {
		addr := g.address(rng.IntN(n))
		status, b, err := c.do(ctx, "GET", "/api/v1/people?email="+url.QueryEscape(addr), nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("GET people?email=%s: status %d: %s", addr, status, trim(b))
		}
		var l personList
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("GET people?email=%s: %v", addr, err)
		}
		if len(l.Data) != 1 {
			return fmt.Errorf("GET people?email=%s: %d people, want exactly 1", addr, len(l.Data))
		}
		if !slices.ContainsFunc(l.Data[0].Emails, func(e struct {
			Address string `json:"address"`
		}) bool {
			return e.Address == addr
		}) {
			return fmt.Errorf("GET people?email=%s: person %d does not have the address", addr, l.Data[0].ID)
		}
		return nil
	}
}

// suggest asks for suggestions for the start of a random loaded person's address or name.
// Every such prefix matches at least that person, so an empty answer is an error. It adds
// the number of people suggested to *total.
func suggest(c *client, g gen, n int, total *atomic.Int64) op {
	return func(ctx context.Context, rng *rand.Rand) error {
		q := g.suggestQuery(rng.IntN(n), rng.Uint64())
		status, b, err := c.do(ctx, "GET", "/api/v1/people/suggest?q="+url.QueryEscape(q), nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("GET people/suggest?q=%q: status %d: %s", q, status, trim(b))
		}
		var l personList
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("GET people/suggest?q=%q: %v", q, err)
		}
		if len(l.Data) == 0 {
			return fmt.Errorf("GET people/suggest?q=%q: no suggestions", q)
		}
		total.Add(int64(len(l.Data)))
		return nil
	}
}

func trim(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
