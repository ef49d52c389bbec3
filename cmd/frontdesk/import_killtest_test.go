package main

// The crash test of imports (B4): a large file uploaded through the API, the real binary
// killed with SIGKILL in the middle of its import again and again and started again; the
// import's job resumes from its checkpoint, and in the end every good row is there exactly
// once and every bad row is reported once.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"frontdesk/store"
	"frontdesk/store/storetest"
)

func TestKilledServerFinishesImportOnce_B4(t *testing.T) {
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
		t.Run(string(e), func(t *testing.T) { importKillTest(t, bin, e) })
	}
}

func importKillTest(t *testing.T, bin string, engine store.Engine) {
	const (
		rows  = 100_000
		badAt = 997 // every badAt-th row has an address that is no address
		kills = 2
	)
	env := append(os.Environ(), "FRONTDESK_LOG_LEVEL=warn")
	cfg := storetest.Config(t, engine)
	if engine == store.SQLite {
		env = append(env, "FRONTDESK_DATA="+cfg.DataDir, "FRONTDESK_DATABASE_URL=")
	} else {
		env = append(env, "FRONTDESK_DATABASE_URL="+cfg.URL)
	}
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
	command("owner", "create", "--email", "owner@example.com", "--name", "Import Owner")
	token := strings.TrimSpace(command("token", "create", "--email", "owner@example.com", "--name", "kill"))

	// The same address on every start: the runner's name survives the restart, and the
	// restarted runner takes back the import's job at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs []*lockedBuffer
	start := func() *killServer {
		t.Helper()
		return startServe(t, bin, env, "listens on", 20*time.Second, &logs, "--addr", addr)
	}
	srv := start()
	t.Cleanup(func() { srv.cmd.Process.Kill(); <-srv.exited })
	defer func() {
		if t.Failed() {
			for i, l := range logs {
				t.Logf("start %d:\n%s", i, l.String())
			}
		}
	}()

	client := &http.Client{Timeout: 60 * time.Second}
	call := func(method, path, contentType string, body io.Reader) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, body)
		req.Header.Set("Authorization", "Bearer "+token)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, []byte(err.Error())
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	var org struct{ ID int64 }
	st, b := call("POST", "/api/v1/organizations", "application/json", strings.NewReader(`{"name":"Acme"}`))
	if st != 201 || json.Unmarshal(b, &org) != nil {
		t.Fatalf("organization: %d %s", st, b)
	}
	if st, b := call("POST", "/api/v1/sites", "application/json", strings.NewReader(fmt.Sprintf(`{"organization_id":%d,"name":"Berlin"}`, org.ID))); st != 201 {
		t.Fatalf("site: %d %s", st, b)
	}

	var file strings.Builder
	file.WriteString("name,email,phone,organization,site,external_id\n")
	bad := 0
	for i := 1; i <= rows; i++ {
		email := fmt.Sprintf("p%d@import.example", i)
		if i%badAt == 0 {
			email, bad = fmt.Sprintf("p%d-at-import.example", i), bad+1
		}
		fmt.Fprintf(&file, "Person %d,%s,,Acme,Berlin,ext-%d\n", i, email, i)
	}
	good := rows - bad
	began := time.Now()
	st, b = call("POST", "/api/v1/imports?kind=people&filename=people.csv", "text/csv", strings.NewReader(file.String()))
	var imp struct {
		ID       int64  `json:"id"`
		State    string `json:"state"`
		RowsDone int    `json:"rows_done"`
		Error    string `json:"error"`
		Counts   struct {
			Rows, Created, Updated, Unchanged, Rejected int
		} `json:"counts"`
		Job *struct {
			State    string `json:"state"`
			Attempts int    `json:"attempts"`
		} `json:"job"`
	}
	if st != 202 || json.Unmarshal(b, &imp) != nil || imp.ID == 0 {
		t.Fatalf("upload: %d %s", st, b)
	}
	poll := func() bool {
		st, b := call("GET", fmt.Sprintf("/api/v1/imports/%d", imp.ID), "", nil)
		return st == 200 && json.Unmarshal(b, &imp) == nil
	}
	deadline := time.Now().Add(5 * time.Minute)
	// Kill the server at even steps of the import, mid-run, and start it again at once.
	for i := 1; i <= kills; i++ {
		for !(poll() && imp.RowsDone >= i*rows/(kills+1)) {
			if imp.State == "done" || imp.State == "failed" || time.Now().After(deadline) {
				t.Fatalf("kill %d: the import is %s at %d rows (%s)", i, imp.State, imp.RowsDone, imp.Error)
			}
			time.Sleep(20 * time.Millisecond)
		}
		srv.cmd.Process.Signal(syscall.SIGKILL)
		<-srv.exited
		t.Logf("killed at %d rows done, %s after the upload began", imp.RowsDone, time.Since(began).Round(time.Millisecond))
		srv = start()
	}
	for !(poll() && imp.State == "done" && imp.Job != nil && imp.Job.State == "succeeded") {
		if imp.State == "failed" || time.Now().After(deadline) {
			t.Fatalf("the import is %s at %d rows (%s), job %+v", imp.State, imp.RowsDone, imp.Error, imp.Job)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("import done %s after the upload began, after %d kills: job attempts %d, counts %+v",
		time.Since(began).Round(time.Millisecond), kills, imp.Job.Attempts, imp.Counts)
	if imp.Job.Attempts != kills+1 {
		t.Errorf("the job ran %d times, want %d (once, and once after each kill)", imp.Job.Attempts, kills+1)
	}
	c := imp.Counts
	if c.Rows != rows || c.Created != good || c.Rejected != bad || c.Updated != 0 || c.Unchanged != 0 || imp.RowsDone != rows {
		t.Errorf("counts %+v, rows done %d; want %d rows, %d created, %d rejected", c, imp.RowsDone, rows, good, bad)
	}
	// Each bad row is reported once, with its line.
	st, b = call("GET", fmt.Sprintf("/api/v1/imports/%d/rejections", imp.ID), "", nil)
	if st != 200 {
		t.Fatalf("rejections: %d %s", st, b)
	}
	cr := csv.NewReader(strings.NewReader(string(b)))
	cr.FieldsPerRecord = -1 // line, column, reason, then the row's own cells
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	for _, r := range recs[1:] {
		lines[r[0]]++
	}
	if len(lines) != bad {
		t.Errorf("%d rejected lines reported, want %d", len(lines), bad)
	}
	for l, n := range lines {
		if n != 1 {
			t.Errorf("line %s reported %d times", l, n)
		}
	}

	// In the database: every good row exactly once, the owner besides.
	srv.cmd.Process.Signal(syscall.SIGTERM)
	<-srv.exited
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.CountRows(context.Background(), "people")
	if err != nil {
		t.Fatal(err)
	}
	if n != good+1 {
		t.Errorf("%d people, want %d good rows and the owner", n, good+1)
	}
	for _, i := range []int{1, rows / 3, rows/3 + 1, 2 * rows / 3, rows - 1} {
		if i%badAt == 0 {
			continue
		}
		p, err := db.GetPersonByEmail(context.Background(), fmt.Sprintf("p%d@import.example", i))
		if err != nil || p.FullName() != fmt.Sprintf("Person %d", i) {
			t.Errorf("row %d: %v %v", i, p, err)
		}
	}
}
