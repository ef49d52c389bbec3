// Command scim measures the SCIM lookup identity providers make before every create (B6):
// GET /scim/v2/Users?filter=userName eq "..." at N people. It loads N people with a username,
// an address and an external id into a fresh store through store.BulkInsertPeople, serves
// the SCIM provider on a loopback port, and prints exact latency percentiles of the lookup by
// userName (found and not found), by address and by external id, measured both through the
// handler alone and over HTTP with a keep-alive client.
//
// It only writes to a database it made: a new temporary folder for SQLite, a new schema for
// PostgreSQL, both removed at the end.
package main

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/mail"
	"frontdesk/scim"
	"frontdesk/store"
)

func main() {
	engine := flag.String("engine", "sqlite", "sqlite or postgres")
	dbURL := flag.String("database-url", os.Getenv("FRONTDESK_TEST_POSTGRES_URL"), "PostgreSQL server URL for -engine postgres; a new schema is made in it and dropped")
	n := flag.Int("people", 1_000_000, "people to load")
	batch := flag.Int("batch", 10_000, "people per BulkInsertPeople call")
	requests := flag.Int("requests", 5000, "requests per phase")
	flag.Parse()
	if err := run(*engine, *dbURL, *n, *batch, *requests); err != nil {
		fmt.Fprintln(os.Stderr, "scim bench:", err)
		os.Exit(1)
	}
}

// person i's names: scrambled so that neither ids nor names are in key order.
func scramble(i int) uint64 { return (uint64(i)*2654435761 + 12345) % 4294967311 }

func userName(i int) string   { return fmt.Sprintf("u%010d.login", scramble(i)) }
func address(i int) string    { return fmt.Sprintf("p%010d@bench-%d.example", scramble(i), i%997) }
func externalID(i int) string { return fmt.Sprintf("ext-%010d", scramble(i)) }

func run(engine, dbURL string, n, batch, requests int) error {
	ctx := context.Background()
	cfg, cleanup, err := target(ctx, engine, dbURL)
	if err != nil {
		return err
	}
	defer cleanup()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	start := time.Now()
	var inside time.Duration
	first, last := []string{"Ann", "Bob", "Cid", "Dee", "Eve", "Fay"}, []string{"Jensen", "Jones", "Smith", "Berg", "Novak"}
	for done := 0; done < n; {
		size := min(batch, n-done)
		people := make([]*frontdesk.Person, size)
		for j := range people {
			i := done + j
			p := frontdesk.NewPerson(frontdesk.ChannelSCIM)
			p.State = frontdesk.StateActive
			p.FirstName, p.LastName = first[i%len(first)], last[i%len(last)]
			p.Username, p.ExternalID = userName(i), externalID(i)
			p.Emails = []frontdesk.Email{{Address: address(i), Primary: true, Verified: true}}
			people[j] = p
		}
		t := time.Now()
		if err := db.BulkInsertPeople(ctx, people); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		inside += time.Since(t)
		done += size
	}
	fmt.Printf("engine %s: loaded %d people in %s (%.0f people/s inside BulkInsertPeople)\n", engine, n,
		time.Since(start).Round(time.Millisecond), float64(n)/inside.Seconds())
	db.Optimize(ctx)

	owner := frontdesk.NewPerson(frontdesk.ChannelCLI)
	name, role, email := "Bench Owner", frontdesk.RoleOwner, "owner@scim-bench.example"
	if err := frontdesk.ApplyPerson(owner, frontdesk.PersonInput{Name: &name, Role: &role, Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		return err
	}
	owner.State = frontdesk.StateActive
	if err := db.CreatePerson(ctx, owner); err != nil {
		return err
	}
	token, err := db.CreateAPIToken(ctx, owner.ID, "bench")
	if err != nil {
		return err
	}
	mailer, err := mail.New(db, mail.Config{})
	if err != nil {
		return err
	}
	provider := scim.New(db, flow.New(db, mailer, ""), scim.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: provider}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	phases := []struct {
		name  string
		query func(i int) string
		found bool
	}{
		{"userName eq (found)", func(i int) string { return `userName eq "` + strings.ToUpper(userName(i)) + `"` }, true},
		{"userName eq (not found)", func(i int) string { return `userName eq "nobody-` + userName(i) + `"` }, false},
		{"emails.value eq", func(i int) string { return `emails.value eq "` + address(i) + `"` }, true},
		{"externalId eq", func(i int) string { return `externalId eq "` + externalID(i) + `"` }, true},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fmt.Printf("%-26s %-8s %9s %9s %9s %9s %9s %12s\n", "filter", "via", "mean", "p50", "p90", "p99", "max", "cpu/request")
	for _, ph := range phases {
		for _, via := range []string{"handler", "http"} {
			lat := make([]time.Duration, 0, requests)
			var cpu0 time.Duration
			for k := range requests + requests/10 {
				if k == requests/10 {
					cpu0 = cpuTime()
				}
				i := rng.IntN(n)
				path := "/scim/v2/Users?" + url.Values{"filter": {ph.query(i)}, "startIndex": {"1"}, "count": {"100"}}.Encode()
				t := time.Now()
				body, status, err := get(provider, client, via, base, path, token)
				d := time.Since(t)
				if err != nil {
					return err
				}
				if err := check(body, status, ph.found); err != nil {
					return fmt.Errorf("%s %s: %w", ph.name, path, err)
				}
				if k >= requests/10 { // the first tenth warms up
					lat = append(lat, d)
				}
			}
			// CPU time of this process (handler, client and, on SQLite, the database) per
			// request: the cost of the path even when other work slows the wall clock.
			cpu := (cpuTime() - cpu0) / time.Duration(requests)
			slices.Sort(lat)
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
			fmt.Printf("%-26s %-8s %9s %9s %9s %9s %9s %12s\n", ph.name, via, us(sum/time.Duration(len(lat))), us(pct(.50)), us(pct(.90)), us(pct(.99)), us(lat[len(lat)-1]), us(cpu))
		}
	}
	return nil
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d.Nanoseconds())/1000) }

func get(h http.Handler, client *http.Client, via, base, path, token string) ([]byte, int, error) {
	if via == "handler" {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.Bytes(), rec.Code, nil
	}
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return b, res.StatusCode, err
}

func check(body []byte, status int, found bool) error {
	if status != 200 {
		return fmt.Errorf("status %d: %s", status, body)
	}
	var l struct {
		TotalResults int `json:"totalResults"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return err
	}
	if want := map[bool]int{true: 1, false: 0}[found]; l.TotalResults != want {
		return fmt.Errorf("totalResults %d, want %d", l.TotalResults, want)
	}
	return nil
}

// target returns the store configuration of a fresh database and what removes it.
func target(ctx context.Context, engine, dbURL string) (store.Config, func(), error) {
	if engine == "sqlite" {
		dir, err := os.MkdirTemp("", "frontdesk-scim-bench-")
		if err != nil {
			return store.Config{}, nil, err
		}
		return store.Config{DataDir: dir}, func() { os.RemoveAll(dir) }, nil
	}
	if engine != "postgres" || dbURL == "" {
		return store.Config{}, nil, fmt.Errorf("-engine is sqlite or postgres (with -database-url)")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return store.Config{}, nil, err
	}
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		return store.Config{}, nil, err
	}
	buf := make([]byte, 6)
	crand.Read(buf)
	schema := "bench_" + hex.EncodeToString(buf)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return store.Config{}, nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Config{URL: u.String()}, func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}, nil
}
