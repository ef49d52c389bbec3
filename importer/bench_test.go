package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"frontdesk/store"
	"frontdesk/store/storetest"
)

// BenchmarkImportPeopleCSV measures the whole pipeline (read, parse, validate, normalize,
// look up, insert, checkpoint) on a generated CSV of new people, on SQLite: rows/s is the
// figure (B4). bench/import compares it with a bare program at a million rows.
func BenchmarkImportPeopleCSV(b *testing.B) {
	const rows = 20000
	var sb strings.Builder
	sb.WriteString(hdr + "\n")
	for i := range rows {
		fmt.Fprintf(&sb, "Person %d Last%d,person%d@example%d.com,+49 30 %07d,Acme,Berlin,ext-%d\n", i, i%997, i, i%89, i, i)
	}
	path := filepath.Join(b.TempDir(), "people.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, storetest.Open(b, store.SQLite))
		b.StartTimer()
		im, err := f.im.ImportFile(sys, path, Options{Kind: KindPeople}, nil)
		if err != nil || im.Counts.Created != rows {
			b.Fatalf("import: %v %+v", err, im)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
