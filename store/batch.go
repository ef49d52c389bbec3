package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Group commit. On SQLite every write transaction waits for the one writer and pays for its
// own commit: writing each changed page to the WAL. A guest's request changes a dozen tables
// (person, address, ticket, message, link, token, mail, audit), so its commit costs more
// than its statements. A Batcher runs the small transactions that arrive together in one
// transaction, each inside a savepoint: a job that fails is rolled back to its savepoint
// alone and the others commit; the rows they share (index pages, the last page of each
// table) are written once per batch instead of once per job.

// MaxBatch is how many jobs a Batcher commits together at most.
const MaxBatch = 64

// Batcher runs write jobs in shared transactions; see Do.
type Batcher struct {
	db    *DB
	jobs  chan *batchJob
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	batch func(n int) // tests: called with the size of each batch
}

type batchJob struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan error
}

// NewBatcher starts a batcher; Close stops it.
func (db *DB) NewBatcher() *Batcher {
	b := &Batcher{db: db, jobs: make(chan *batchJob, MaxBatch), stop: make(chan struct{})}
	b.wg.Add(1)
	go b.run()
	return b
}

// Do runs fn in a transaction shared with other jobs that arrive meanwhile, and returns
// once that transaction has committed (nil) or fn or the commit failed. fn sees its own
// context's values with the transaction joined, so store methods it calls take part, as in
// WithTx; it must not keep the context. A job whose caller gives up still runs to its end,
// since others share its transaction; its answer is then dropped.
func (b *Batcher) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, inTx := ctx.Value(txKey{}).(*Tx); inTx {
		return fn(ctx) // already inside a transaction: join it
	}
	j := &batchJob{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	select {
	case b.jobs <- j:
	case <-b.stop:
		return errors.New("store: the batcher is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-j.done
}

// Close stops the batcher once the jobs it took are done.
func (b *Batcher) Close() {
	b.once.Do(func() { close(b.stop) })
	b.wg.Wait()
}

func (b *Batcher) run() {
	defer b.wg.Done()
	for {
		var first *batchJob
		select {
		case first = <-b.jobs:
		case <-b.stop:
			// Jobs sent before the stop still get an answer.
			for {
				select {
				case j := <-b.jobs:
					b.commit([]*batchJob{j})
				default:
					return
				}
			}
		}
		jobs := []*batchJob{first}
	more:
		for len(jobs) < MaxBatch {
			select {
			case j := <-b.jobs:
				jobs = append(jobs, j)
			default:
				break more
			}
		}
		if b.batch != nil {
			b.batch(len(jobs))
		}
		b.commit(jobs)
	}
}

// commit runs jobs in one transaction, each in its own savepoint, and answers each; then it
// keeps the batch's statements prepared on the write connection for the next batches.
func (b *Batcher) commit(jobs []*batchJob) {
	errs := make([]error, len(jobs))
	var used []string
	err := b.db.inTx(context.Background(), func(tx *Tx) error {
		defer func() {
			for q := range tx.stmts {
				used = append(used, q)
			}
		}()
		for i, j := range jobs {
			errs[i] = tx.savepoint(j.ctx, func(ctx context.Context) error { return j.fn(context.WithValue(ctx, txKey{}, tx)) })
			if errs[i] != nil && errors.Is(errs[i], errSavepoint) {
				return errs[i] // the transaction itself failed: nobody commits
			}
		}
		return nil
	})
	for i, j := range jobs {
		switch {
		case err != nil:
			j.done <- err
		case errs[i] != nil:
			j.done <- b.db.explainConflict(j.ctx, errs[i])
		default:
			j.done <- nil
		}
	}
	b.warm(used)
}

// warm prepares queries on the write connection, where every transaction can use them
// without parsing them again (Tx.prepared). It runs between transactions: preparing while
// this goroutine held the one write connection would wait for itself.
func (b *Batcher) warm(queries []string) {
	if b.db.engine != SQLite {
		return
	}
	for _, q := range queries {
		key := stmtKey{b.db.write, q}
		if _, ok := b.db.stmts.Load(key); ok || b.db.nstmts.Load() >= maxPrepared {
			continue
		}
		st, err := b.db.write.PrepareContext(context.Background(), q)
		if err != nil {
			continue // the statement runs unprepared, and reports its own error
		}
		if _, loaded := b.db.stmts.LoadOrStore(key, st); loaded {
			st.Close()
			continue
		}
		b.db.nstmts.Add(1)
	}
}

var errSavepoint = errors.New("savepoint")

// savepoint runs fn so that its writes can be undone alone: on an error they are rolled
// back to the savepoint and the transaction goes on.
func (tx *Tx) savepoint(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT job`); err != nil {
		return fmt.Errorf("%w: %v", errSavepoint, err)
	}
	if err := protect(ctx, fn); err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT job`); rerr != nil {
			return fmt.Errorf("%w: rolling back: %v (after %v)", errSavepoint, rerr, err)
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE SAVEPOINT job`); rerr != nil {
			return fmt.Errorf("%w: releasing: %v (after %v)", errSavepoint, rerr, err)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT job`); err != nil {
		return fmt.Errorf("%w: %v", errSavepoint, err)
	}
	return nil
}

// protect runs fn and turns a panic into an error, so that one job cannot stop the batcher
// and leave the others waiting.
func protect(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: a batched job panicked: %v", v)
		}
	}()
	return fn(ctx)
}
