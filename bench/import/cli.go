package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"frontdesk/store"
)

// runCLI builds the binary (unless -frontdesk names one), makes the organizations in a fresh
// database through the store, then runs the import of the file and the import of the
// changed file as a child process: wall time, the child's CPU, and its resident memory
// sampled from /proc every 100 ms.
func runCLI(ctx context.Context, o options, root string, d *database, file, changed string) (imp, reimp *result, err error) {
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(root, "frontdesk")
		t0 := time.Now()
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/frontdesk")
		build.Dir, err = moduleRoot(ctx)
		if err != nil {
			return nil, nil, err
		}
		if outp, err := build.CombinedOutput(); err != nil {
			return nil, nil, fmt.Errorf("go build ./cmd/frontdesk: %v\n%s", err, outp)
		}
		fmt.Fprintf(os.Stderr, "  built %s in %s\n", bin, time.Since(t0).Round(time.Millisecond))
	}
	help, _ := exec.CommandContext(ctx, bin, "help").CombinedOutput()
	if !bytes.Contains(help, []byte("import people")) {
		r := &result{name: "cli import", people: o.people, failed: "the binary has no import command"}
		r.note = "skipped: `frontdesk help` does not list `import people` (the importer branch is not merged)"
		return r, nil, nil
	}
	db, err := store.Open(ctx, d.cfg)
	if err != nil {
		return nil, nil, err
	}
	_, err = createOrgs(ctx, db, newGen(o.seed, o.orgs))
	if err = errors.Join(err, db.Close()); err != nil {
		return nil, nil, err
	}
	imp, err = runChild(ctx, o, root, bin, d, file, "cli import (new people)")
	if err != nil || !o.has("update") {
		return imp, nil, err
	}
	reimp, err = runChild(ctx, o, root, bin, d, changed, "cli import (changed file)")
	return imp, reimp, err
}

// runChild runs one import through the binary and checks that every row landed.
func runChild(ctx context.Context, o options, root, bin string, d *database, file, name string) (*result, error) {
	var args []string
	for _, a := range strings.Fields(o.cliArgs) {
		switch a {
		case "{db}":
			args = append(args, d.cliFlag()...)
		case "{file}":
			args = append(args, file)
		default:
			args = append(args, a)
		}
	}
	logName := filepath.Join(root, strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(name)+".log")
	logFile, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, logFile
	fmt.Fprintf(os.Stderr, "  %s: %s %s\n", name, filepath.Base(bin), strings.Join(args, " "))
	r := &result{name: name, people: o.people}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var maxRSS atomic.Int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, ok := procRSS(cmd.Process.Pid); ok && rss > maxRSS.Load() {
				maxRSS.Store(rss)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	waitErr := cmd.Wait()
	r.took = time.Since(t0)
	close(done)
	<-sampled
	r.maxRSS = maxRSS.Load()
	if ps := cmd.ProcessState; ps != nil {
		r.cpu = ps.UserTime() + ps.SystemTime()
		if k := childMaxRSS(ps); k > r.maxRSS {
			r.note = fmt.Sprintf("the kernel's peak RSS was %s (between samples)", fmtBytes(k))
			r.maxRSS = k
		}
	}
	if waitErr != nil {
		r.failed = fmt.Sprintf("exit: %v; see %s", waitErr, logName)
	}
	out := strings.TrimSpace(stdout.String())
	if out != "" {
		r.note = strings.TrimSpace(r.note + " " + "printed: " + strings.ReplaceAll(out, "\n", " | "))
	}
	// Every person must be there, once.
	db, err := store.Open(ctx, d.cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	n, err := db.CountRows(ctx, "people")
	if err != nil {
		return nil, err
	}
	if n != o.people && r.failed == "" {
		r.failed = fmt.Sprintf("%d people in the database after the import, want %d", n, o.people)
	}
	return r, nil
}

// moduleRoot is the folder of the go.mod the benchmark is run from.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the benchmark inside the frontdesk module (or give -frontdesk)")
	}
	return filepath.Dir(mod), nil
}
