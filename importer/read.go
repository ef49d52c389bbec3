package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"frontdesk"
)

// Reading files: what a file is (CSV or XLSX, or something refused), and its rows one at a
// time, whatever its size.

// Formats of import files.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// FileError says the file cannot be read as an import at all: not CSV or XLSX, a wrong
// encoding, a header missing a required column, too large. The command line exits 2 on it;
// its code is EInvalid.
type FileError struct{ Err *frontdesk.Error }

func (e *FileError) Error() string { return e.Err.Message }
func (e *FileError) Unwrap() error { return e.Err }

func fileErrorf(format string, args ...any) error {
	return &FileError{Err: frontdesk.Errorf(frontdesk.EInvalid, format, args...)}
}

// IsFileError reports whether err says the file could not be read.
func IsFileError(err error) bool {
	var fe *FileError
	return errors.As(err, &fe)
}

// inspector checks a file while it passes through (Write), in one pass and flat memory: its
// size, its SHA-256, its format from its first bytes and, for text, that every line is UTF-8
// without NUL bytes. Finish says what it found.
type inspector struct {
	head   []byte
	sum    hash.Hash
	size   int64
	format string
	err    error
	line   int
	carry  []byte // the start of a character cut by the end of a write
}

const headLen = 8

func newInspector() *inspector { return &inspector{sum: sha256.New(), line: 1} }

func (in *inspector) Write(p []byte) (int, error) {
	in.sum.Write(p)
	in.size += int64(len(p))
	data := p
	if len(in.head) < headLen {
		n := min(headLen-len(in.head), len(p))
		in.head = append(in.head, p[:n]...)
		if len(in.head) < headLen {
			// Too short to tell yet; text checks wait for the head, which is kept.
			return len(p), nil
		}
		in.decide()
		data = in.head
		if n < len(p) {
			data = append(append([]byte{}, in.head...), p[n:]...)
		}
	}
	if in.format == FormatCSV && in.err == nil {
		in.checkText(data)
	}
	return len(p), nil
}

// decide names the format from the first bytes; only text can be CSV.
func (in *inspector) decide() {
	h := in.head
	switch {
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		in.format = FormatXLSX // a ZIP archive; opening it tells whether it is a workbook
	case bytes.HasPrefix(h, []byte("%PDF")):
		in.err = fileErrorf("the file is a PDF document, not a CSV or XLSX spreadsheet")
	case bytes.HasPrefix(h, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		in.err = fileErrorf("the file is an old Excel (.xls) or other OLE document; save it as .xlsx or as CSV (UTF-8)")
	case bytes.HasPrefix(h, []byte{0xFF, 0xFE}) || bytes.HasPrefix(h, []byte{0xFE, 0xFF}):
		in.err = fileErrorf("the file is UTF-16 text; save it as CSV UTF-8")
	case bytes.HasPrefix(h, []byte{0x1F, 0x8B}):
		in.err = fileErrorf("the file is gzip-compressed; uncompress it first")
	default:
		in.format = FormatCSV
	}
}

func (in *inspector) checkText(p []byte) {
	if len(in.carry) > 0 {
		p = append(in.carry, p...)
		in.carry = nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if bytes.IndexByte(chunk, 0) >= 0 {
			in.err = fileErrorf("line %d holds NUL bytes: the file is binary or UTF-16, not a CSV file in UTF-8", in.line)
			return
		}
		if !utf8.Valid(chunk) {
			if i < 0 {
				// A character may continue in the next write: keep its start.
				cut := lastRuneStart(chunk)
				if cut >= 0 && utf8.Valid(chunk[:cut]) && !utf8.FullRune(chunk[cut:]) {
					in.carry = append([]byte{}, chunk[cut:]...)
					return
				}
			}
			in.err = fileErrorf("line %d is not valid UTF-8 (the file may be Latin-1 or Windows-1252); save it as CSV UTF-8", in.line)
			return
		}
		if i < 0 {
			return
		}
		in.line++
		p = p[i+1:]
	}
}

// lastRuneStart returns the index of the last byte that can start a character in p, or -1.
func lastRuneStart(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			return i
		}
	}
	return -1
}

// Finish returns the format and hash of the file, or why it cannot be imported.
func (in *inspector) Finish() (format, sum string, err error) {
	if len(in.head) < headLen && in.format == "" && in.err == nil {
		in.decide()
		if in.format == FormatCSV {
			in.checkText(in.head)
		}
	}
	if in.err == nil && len(in.carry) > 0 {
		in.err = fileErrorf("line %d is not valid UTF-8 (the file ends inside a character); save it as CSV UTF-8", in.line)
	}
	if in.err == nil && in.size == 0 {
		in.err = fileErrorf("the file is empty")
	}
	return in.format, hex.EncodeToString(in.sum.Sum(nil)), in.err
}

// record is one row of a file: its line (CSV) or row number (XLSX), its cells, and for a
// CSV record that does not parse, why.
type record struct {
	line  int
	cells []string
	err   error
}

// rowReader gives the rows of a file one at a time.
type rowReader interface {
	// Next returns the next row that has a cell filled in; io.EOF at the end.
	Next() (record, error)
	// Offset is how far into the file reading has come, in bytes (0 when unknown).
	Offset() int64
	Close() error
}

type csvReader struct {
	r      *csv.Reader
	bom    int64
	closer io.Closer
}

// newCSVReader reads CSV from r: a UTF-8 byte order mark is skipped, the delimiter is
// sniffed among , ; tab and | from the first line, quoted fields may hold newlines, and lines
// may end in CRLF.
func newCSVReader(r io.Reader, closer io.Closer) (*csvReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	c := &csvReader{closer: closer}
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
		c.bom = 3
	}
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	c.r = csv.NewReader(br)
	c.r.Comma = sniffDelimiter(head)
	c.r.FieldsPerRecord = -1
	c.r.LazyQuotes = true
	return c, nil
}

// sniffDelimiter picks the candidate that occurs most often outside quotes on the first line.
func sniffDelimiter(head []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, b := range head {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		switch b {
		case ',', ';', '\t', '|':
			counts[b]++
		}
	}
	best, n := byte(','), 0
	for _, c := range []byte{',', ';', '\t', '|'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return rune(best)
}

func (c *csvReader) Next() (record, error) {
	for {
		cells, err := c.r.Read()
		if err == io.EOF {
			return record{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return record{line: pe.StartLine, cells: cells, err: pe.Err}, nil
		}
		if err != nil {
			return record{}, err
		}
		line, _ := c.r.FieldPos(0)
		if blank(cells) {
			continue
		}
		return record{line: line, cells: cells}, nil
	}
}

func (c *csvReader) Offset() int64 { return c.r.InputOffset() + c.bom }

func (c *csvReader) Close() error {
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// xlsxReader streams the rows of the first sheet of a workbook (excelize's Rows, which reads
// the sheet's XML as it goes). Formula cells give the value the workbook saved with them:
// nothing is evaluated anew.
type xlsxReader struct {
	f    *excelize.File
	rows *excelize.Rows
	n    int
	temp string // a temporary copy to remove on Close
}

func newXLSXReader(path, temp string) (*xlsxReader, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		if temp != "" {
			os.Remove(temp)
		}
		return nil, fileErrorf("the file is a ZIP archive but not an XLSX workbook (%v)", err)
	}
	x := &xlsxReader{f: f, temp: temp}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		x.Close()
		return nil, fileErrorf("the workbook has no sheet")
	}
	x.rows, err = f.Rows(sheets[0])
	if err != nil {
		x.Close()
		return nil, fileErrorf("the first sheet of the workbook cannot be read: %v", err)
	}
	return x, nil
}

func (x *xlsxReader) Next() (record, error) {
	for x.rows.Next() {
		x.n++
		cells, err := x.rows.Columns()
		if err != nil {
			return record{}, fileErrorf("row %d of the sheet cannot be read: %v", x.n, err)
		}
		if blank(cells) {
			continue
		}
		return record{line: x.n, cells: cells}, nil
	}
	if err := x.rows.Error(); err != nil {
		return record{}, fileErrorf("the sheet cannot be read: %v", err)
	}
	return record{}, io.EOF
}

func (x *xlsxReader) Offset() int64 { return 0 }

func (x *xlsxReader) Close() error {
	if x.rows != nil {
		x.rows.Close()
	}
	err := x.f.Close()
	if x.temp != "" {
		os.Remove(x.temp)
	}
	return err
}

// openRows opens a file of the given format. open returns the file's bytes from the start;
// path, when set, is a local file excelize can read in place (it needs random access).
func openRows(format, path string, open func() (io.ReadCloser, error)) (rowReader, error) {
	switch format {
	case FormatCSV:
		rc, err := open()
		if err != nil {
			return nil, err
		}
		r, err := newCSVReader(rc, rc)
		if err != nil {
			rc.Close()
			return nil, err
		}
		return r, nil
	case FormatXLSX:
		if path != "" {
			return newXLSXReader(path, "")
		}
		// A stored upload: copied to a temporary file, since a ZIP is read from its end.
		rc, err := open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		tmp, err := os.CreateTemp("", "frontdesk-import-*.xlsx")
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(tmp, rc)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
		return newXLSXReader(tmp.Name(), tmp.Name())
	}
	return nil, fileErrorf("unknown file format %q", format)
}

// header is the first row of a file, matched to the columns a kind knows.
type header struct {
	index   map[string]int // column name (lower case) -> position
	unknown []string
	names   []string // the header's cells as written
}

// readHeader matches the header row: names compare case-insensitively and trimmed; columns
// nobody knows are reported, not fatal; a required column missing is.
func readHeader(cells []string, known func(string) bool, required []string) (*header, error) {
	h := &header{index: map[string]int{}, names: cells}
	for i, c := range cells {
		n := strings.ToLower(strings.TrimSpace(c))
		if n == "" {
			continue
		}
		if _, dup := h.index[n]; dup {
			return nil, fileErrorf("the header names the column %q twice", n)
		}
		if !known(n) {
			h.unknown = append(h.unknown, strings.TrimSpace(c))
			continue
		}
		h.index[n] = i
	}
	var missing []string
	for _, r := range required {
		if _, ok := h.index[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return nil, fileErrorf("the header row lacks the required column(s) %s (found: %s)", strings.Join(missing, ", "), strings.Join(cells, ", "))
	}
	return h, nil
}

// has reports whether the file has the column.
func (h *header) has(col string) bool { _, ok := h.index[col]; return ok }

// cell returns the row's value in the column, trimmed, and whether the file has the column.
func (h *header) cell(cells []string, col string) (string, bool) {
	i, ok := h.index[col]
	if !ok {
		return "", false
	}
	if i >= len(cells) {
		return "", true
	}
	return strings.TrimSpace(cells[i]), true
}
