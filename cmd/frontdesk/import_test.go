package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runImport runs the command in-process and returns its output and exit status as main
// would give it.
func runImport(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out, io.Discard)
	code := 0
	if err != nil {
		code = 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		out.WriteString("error: " + err.Error())
	}
	return out.String(), code
}

// B1, B2, B3: frontdesk import organizations and import people exit 0 when every row landed,
// 1 when some were rejected, 2 when the file could not be read; they print the counts, and
// --report writes the rejected rows as CSV; --dry-run writes nothing.
func TestImportCommand_B1_B2_B3(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FRONTDESK_DATA", filepath.Join(dir, "data"))
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sample, code := runImport(t, "import", "sample", "organizations")
	if code != 0 || !strings.HasPrefix(sample, "name,site,domains") {
		t.Fatalf("sample: %d %q", code, sample)
	}
	out, code := runImport(t, "import", "organizations", write("orgs.csv", sample))
	if code != 0 || !strings.Contains(out, "2 created, 0 updated, 0 unchanged, 0 rejected") {
		t.Fatalf("organizations: %d %q", code, out)
	}
	people, _ := runImport(t, "import", "sample", "people")
	path := write("people.csv", people)
	out, code = runImport(t, "import", "people", path, "--dry-run")
	if code != 0 || !strings.Contains(out, "2 created") || !strings.Contains(out, "dry run: nothing was written") {
		t.Fatalf("dry run: %d %q", code, out)
	}
	out, code = runImport(t, "import", "people", path)
	if code != 0 || !strings.Contains(out, "2 created, 0 updated, 0 unchanged, 0 rejected") {
		t.Fatalf("people: %d %q", code, out)
	}
	bad := write("bad.csv", people+"Eve,=cmd|' /C calc'!A0,,Example Ltd,London,\n")
	report := filepath.Join(dir, "report.csv")
	out, code = runImport(t, "import", "people", "--report", report, bad)
	if code != 1 || !strings.Contains(out, "0 created, 0 updated, 2 unchanged, 1 rejected") {
		t.Fatalf("rejected rows: %d %q", code, out)
	}
	f, err := os.Open(report)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 2 || strings.Join(rows[0][:3], ",") != "line,column,reason" || rows[1][0] != "4" || rows[1][1] != "email" ||
		rows[1][4] != "'=cmd|' /C calc'!A0" {
		t.Fatalf("report %q %v", rows, err)
	}
	for _, c := range []struct{ name, content string }{{"x.pdf", "%PDF-1.4"}, {"nohead.csv", "name,email\nA,a@example.com\n"}} {
		out, code = runImport(t, "import", "people", write(c.name, c.content))
		if code != 2 {
			t.Fatalf("%s: %d %q", c.name, code, out)
		}
	}
	if out, code = runImport(t, "import", "people", filepath.Join(dir, "missing.csv")); code != 2 {
		t.Fatalf("missing file: %d %q", code, out)
	}
	xlsx, code := runImport(t, "import", "sample", "people", "--format", "xlsx")
	if code != 0 || !strings.HasPrefix(xlsx, "PK") {
		t.Fatalf("xlsx sample: %d", code)
	}
	out, code = runImport(t, "import", "people", write("people.xlsx", xlsx), "--key", "external_id")
	if code != 0 || !strings.Contains(out, "2 unchanged") {
		t.Fatalf("xlsx: %d %q", code, out)
	}
}
