package frontdesk

import (
	"strings"
	"testing"
)

// T2: uploaded names lose paths and control characters; sizes are checked per file and
// named; only harmless types are served as themselves.
func TestUploads_T2(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf": "report.pdf", "../../etc/passwd": "passwd", `C:\Users\me\scan.png`: "scan.png",
		"bad\x00name\x07.txt": "badname.txt", "\u202Egnp.exe": "gnp.exe", "": "file", "..": "file", "/": "file",
		strings.Repeat("a", 300) + ".txt": strings.Repeat("a", 196) + ".txt",
	} {
		if got := CleanFilename(in); got != want {
			t.Errorf("CleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
	_, err := CheckUploads([]Upload{{Filename: "ok.txt", Content: []byte("x")}, {Filename: "dir/report.pdf", Size: 30 << 20}, {Filename: "e.txt", Content: []byte{}}}, 25)
	e, _ := err.(*Error)
	if e == nil || len(e.Fields) != 2 || e.Fields[0].Field != "attachments[1]" || e.Fields[0].Message != "report.pdf is 30 MB, over the 25 MB limit" ||
		e.Fields[1].Field != "attachments[2]" {
		t.Errorf("CheckUploads: %v", err)
	}
	many := make([]Upload, MaxAttachmentsPerMessage+1)
	if _, err := CheckUploads(many, 25); err == nil {
		t.Error("too many files pass")
	}
	for ct, want := range map[string]string{"text/html": "application/octet-stream", "image/svg+xml": "application/octet-stream",
		"image/png": "image/png", "application/pdf": "application/pdf", "text/plain": "text/plain; charset=utf-8",
		"application/xhtml+xml": "application/octet-stream", "nonsense": "application/octet-stream"} {
		if got := (&Attachment{ContentType: ct}).ServedContentType(); got != want {
			t.Errorf("ServedContentType(%q) = %q, want %q", ct, got, want)
		}
	}
	if cd := (&Attachment{Filename: "Größe \"x\".pdf"}).ContentDisposition(); !strings.HasPrefix(cd, "attachment; ") ||
		!strings.Contains(cd, "filename*=UTF-8''Gr%C3%B6%C3%9Fe%20%22x%22.pdf") {
		t.Errorf("ContentDisposition: %s", cd)
	}
}
