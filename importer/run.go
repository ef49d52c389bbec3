package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"

	"frontdesk"
	"frontdesk/store"
)

// outcome is what became of a row that landed.
type outcome uint8

const (
	outUnknown   outcome = iota // landed before a restart: not known in this process
	outCreated                  // it created its person (or organization or site)
	outUpdated                  // it changed an existing one
	outUnchanged                // it found one exactly as the row says
)

// batchState is what one batch adds: its rejections and the counts after it.
type batchState struct {
	counts     Counts
	rejections []store.ImportRejection
	rejected   map[int]bool // lines of this batch rejected so far
}

func (b *batchState) reject(rec record, column, reason string) {
	cells, _ := json.Marshal(rec.cells)
	if rec.cells == nil {
		cells = []byte("[]")
	}
	b.rejections = append(b.rejections, store.ImportRejection{Line: rec.line, Column: column, Reason: reason, Cells: string(cells)})
	if !b.rejected[rec.line] {
		b.rejected[rec.line] = true
		b.counts.Rejected++
	}
}

func (b *batchState) count(o outcome) {
	switch o {
	case outCreated:
		b.counts.Created++
	case outUpdated:
		b.counts.Updated++
	case outUnchanged:
		b.counts.Unchanged++
	}
}

func (b *batchState) uncount(o outcome) {
	switch o {
	case outCreated:
		b.counts.Created--
	case outUpdated:
		b.counts.Updated--
	case outUnchanged:
		b.counts.Unchanged--
	}
}

// processor is what a kind of import does with its rows.
type processor interface {
	// columns says which header names the kind knows, and which it requires.
	known(name string) bool
	required() []string
	setHeader(h *header)
	// key returns the row's upsert key in its compared form, and the column it comes from;
	// ok is false when the row has none.
	key(cells []string) (key, column string, ok bool)
	// apply validates and writes a batch in the transaction of ctx.
	apply(ctx context.Context, r *run, batch []record, b *batchState) error
}

// run is one run of an import, from its checkpoint to its end.
type run struct {
	im       *Importer
	rec      *store.ImportRecord
	imp      *Import
	progress func(*Import)
	h        *header
	proc     processor
	// seen maps the hash of each key that landed in this file to its line and outcome
	// (line<<2 | outcome).
	seen *keyIndex
	seed maphash.Seed
}

func (r *run) open() (rowReader, error) {
	if r.rec.LocalPath != "" {
		return openRows(r.rec.Format, r.rec.LocalPath, func() (io.ReadCloser, error) { return os.Open(r.rec.LocalPath) })
	}
	ctx := context.Background()
	return openRows(r.rec.Format, "", func() (io.ReadCloser, error) {
		return io.NopCloser(r.im.db.ImportFile(ctx, r.rec.ID)), nil
	})
}

func (r *run) run(ctx context.Context) error {
	rows, err := r.open()
	if err != nil {
		return err
	}
	defer rows.Close()
	first, err := rows.Next()
	if err == io.EOF {
		return fileErrorf("the file has no header row")
	}
	if err != nil {
		return err
	}
	if first.err != nil {
		return fileErrorf("the header row (line %d) cannot be read: %v", first.line, first.err)
	}
	switch r.imp.Kind {
	case KindPeople:
		r.proc, err = newPeopleProc(ctx, r)
	case KindOrganizations:
		r.proc = &orgProc{}
	default:
		err = fmt.Errorf("unknown kind %q", r.imp.Kind)
	}
	if err != nil {
		return err
	}
	r.h, err = readHeader(first.cells, r.proc.known, r.proc.required())
	if err != nil {
		return err
	}
	r.proc.setHeader(r.h)
	r.imp.UnknownHeaders = append([]string{}, r.h.unknown...)
	hdr, _ := json.Marshal(first.cells)
	unknown, _ := json.Marshal(r.imp.UnknownHeaders)
	if err := r.im.db.SetImportHeader(ctx, r.rec.ID, string(hdr), string(unknown)); err != nil {
		return err
	}
	r.seen = newKeyIndex()
	r.seed = maphash.MakeSeed()

	// Committed rows are read again only for their keys, so that a key repeated after the
	// checkpoint still finds its earlier line.
	for i := 0; i < r.rec.RowsDone; i++ {
		rec, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if k, _, ok := r.proc.key(rec.cells); ok && rec.err == nil {
			r.seen.put(r.hash(k), uint32(rec.line)<<2|uint32(outUnknown))
		}
	}
	size := max(r.im.BatchSize, 1)
	batch := make([]record, 0, size)
	n := 0
	for {
		rec, err := rows.Next()
		if err != nil && err != io.EOF {
			return err
		}
		if err == nil {
			batch = append(batch, rec)
		}
		if len(batch) == size || err == io.EOF && len(batch) > 0 {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if ferr := r.flush(ctx, batch, rows.Offset()); ferr != nil {
				return ferr
			}
			batch = batch[:0]
			n++
			if r.im.afterBatch != nil {
				if aerr := r.im.afterBatch(n); aerr != nil {
					return aerr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// errDryRun rolls back what a dry run's batch wrote, keeping its report.
var errDryRun = errors.New("dry run")

// flush validates and writes one batch, and commits it with the checkpoint: the people, the
// counts, the rejections and the audit entry land together or not at all.
func (r *run) flush(ctx context.Context, batch []record, offset int64) error {
	b := &batchState{counts: r.imp.Counts, rejected: map[int]bool{}}
	b.counts.Rows += len(batch)
	rowsDone := r.rec.RowsDone + len(batch)
	db := r.im.db
	err := db.WithTx(ctx, func(ctx context.Context) error {
		// A dry run does every write of the batch in a savepoint it then rolls back: the same
		// validation, the database's own checks included, and nothing kept but the report. A
		// real batch writes straight into the transaction: a savepoint there would only make
		// SQLite journal every page the batch changes a second time.
		var err error
		if r.imp.Options.DryRun {
			err = db.Savepoint(ctx, func(ctx context.Context) error {
				if err := r.proc.apply(ctx, r, batch, b); err != nil {
					return err
				}
				return errDryRun
			})
		} else {
			err = r.proc.apply(ctx, r, batch, b)
		}
		if err != nil && !errors.Is(err, errDryRun) {
			return err
		}
		counts, _ := json.Marshal(b.counts)
		audit := map[string]any{"first_line": batch[0].line, "last_line": batch[len(batch)-1].line, "rows": len(batch),
			"counts": b.counts, "dry_run": r.imp.Options.DryRun}
		return db.ImportCheckpoint(ctx, r.rec.ID, rowsDone, offset, string(counts), b.rejections, audit)
	})
	if err != nil {
		return err
	}
	r.rec.RowsDone, r.rec.BytesDone = rowsDone, offset
	r.imp.Counts, r.imp.RowsDone, r.imp.BytesDone = b.counts, rowsDone, offset
	if r.progress != nil {
		r.progress(r.imp)
	}
	return nil
}

func (r *run) hash(key string) uint64 { return maphash.String(r.seed, key) }

// landed records that the row at line landed with key and outcome o, and returns the
// outcome to count for it. When the key landed earlier in the file, the later row wins: the
// earlier line is reported as superseded and counted as rejected instead of what it did, and
// when it had created the person, this row counts as the creation.
func (r *run) landed(ctx context.Context, b *batchState, key, column string, line int, o outcome, resolve func(line int) (outcome, error)) (outcome, error) {
	h := r.hash(key)
	if v, ok := r.seen.get(h); ok && int(v>>2) < line {
		earlier, eo := int(v>>2), outcome(v&3)
		var err error
		if eo == outUnknown {
			if eo, err = resolve(earlier); err != nil {
				return o, err
			}
		}
		if eo != outUnknown { // outUnknown now: the earlier row did not land
			b.uncount(eo)
			b.reject(record{line: earlier}, column, fmt.Sprintf("superseded by line %d, which has the same %s", line, column))
			if eo == outCreated || eo == outUpdated && o == outUnchanged {
				o = eo
			}
		}
	}
	r.seen.put(h, uint32(line)<<2|uint32(o))
	return o, nil
}

// resolveEarlier tells what an earlier row whose outcome this process does not know (it was
// committed before a restart) did: nothing, when it was rejected; else it created the person
// when the person was created by this import, or changed them.
func (r *run) resolveEarlier(ctx context.Context, line int, createdHere bool) (outcome, error) {
	rejected, err := r.im.db.ImportLineRejected(ctx, r.rec.ID, line)
	if err != nil || rejected {
		return outUnknown, err
	}
	if createdHere {
		return outCreated, nil
	}
	return outUpdated, nil
}

// problems turns the field errors of the domain's validation into rejections, naming the
// file's columns.
func (b *batchState) problems(rec record, err error, column func(field string) string, skip ...string) error {
	var fe *frontdesk.Error
	if !errors.As(err, &fe) || fe.Code == frontdesk.EInternal {
		return err
	}
	if len(fe.Fields) == 0 {
		b.reject(rec, "", fe.Message)
		return nil
	}
	for _, f := range fe.Fields {
		if col := column(f.Field); !slices.Contains(skip, col) {
			b.reject(rec, col, f.Message)
		}
	}
	return nil
}
