package mail

import (
	"bufio"
	"os"
	"strconv"
	"sync"
)

// sentJournal closes most of the window in which a crash sends a message twice (E6, issue 7
// item 22). The outbox records a message sent at the worker's next turn at the database; on
// SQLite that turn waits for the one writer, and a SIGKILL in the wait used to send the
// message again. The journal takes the message's id in one write(2) to a local file the
// moment the server accepts the message: the kernel keeps that write when the process dies
// (not when the machine does), and the next start marks every journaled id sent before it
// queues again what the dead worker held. The file is emptied whenever every journaled
// message is recorded in the outbox, so it stays a few lines long.
type sentJournal struct {
	mu      sync.Mutex
	f       *os.File
	pending int // journaled, not yet recorded in the outbox
}

// openJournal opens (or creates) the journal at path and returns the ids it holds from a
// previous run.
func openJournal(path string) (*sentJournal, []int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	var ids []int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Every line is written after the server accepted its message; skip anything else.
		if id, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &sentJournal{f: f}, ids, nil
}

// accepted notes that the server took message id.
func (j *sentJournal) accepted(id int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.pending++
	_, err := j.f.Write(append(strconv.AppendInt(nil, id, 10), '\n')) // one write(2)
	return err
}

// recorded notes that n journaled messages are now recorded in the outbox, and empties the
// journal when none is left unrecorded.
func (j *sentJournal) recorded(n int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.pending -= n
	if j.pending > 0 {
		return nil
	}
	j.pending = 0
	return j.f.Truncate(0)
}

// clear empties the journal once what it held is recorded.
func (j *sentJournal) clear() error { return j.recorded(0) }

func (j *sentJournal) close() error { return j.f.Close() }
