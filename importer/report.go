package importer

import (
	"encoding/csv"
	"io"
	"strconv"
)

// reportWriter writes the rejected rows as CSV for a spreadsheet to open.
type reportWriter struct{ w *csv.Writer }

func newReportWriter(w io.Writer) *reportWriter { return &reportWriter{w: csv.NewWriter(w)} }

// header names the report's columns, then the file's own (or "cells" when it had none).
func (r *reportWriter) header(cols []string) error {
	rec := []string{"line", "column", "reason"}
	if len(cols) == 0 {
		cols = []string{"cells"}
	}
	for _, c := range cols {
		rec = append(rec, Neutralise(c))
	}
	return r.w.Write(rec)
}

func (r *reportWriter) row(line int, column, reason string, cells []string) error {
	rec := make([]string, 0, 3+len(cells))
	rec = append(rec, strconv.Itoa(line), Neutralise(column), Neutralise(reason))
	for _, c := range cells {
		rec = append(rec, Neutralise(c))
	}
	return r.w.Write(rec)
}

func (r *reportWriter) flush() error {
	r.w.Flush()
	return r.w.Error()
}

// Neutralise keeps a spreadsheet from taking a cell for a formula (CSV injection): a cell
// that starts with = + - @, a tab or a carriage return gets a leading apostrophe, which
// spreadsheets show as text and do not evaluate.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
