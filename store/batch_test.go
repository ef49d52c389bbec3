package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// Group commit: jobs that arrive together commit in one transaction, yet each stands alone:
// a job that fails or panics is rolled back to its savepoint and answered with its error,
// and the others commit. Two jobs of one batch naming one new address make one person, the
// second seeing the first's row (C14).
func TestBatcherCommitsJobsTogetherEachAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := db.NewBatcher()
		defer b.Close()
		var sizes []int
		var mu sync.Mutex
		b.OnBatch(func(n int) { mu.Lock(); sizes = append(sizes, n); mu.Unlock() })

		ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
		create := func(ctx context.Context, email string) error {
			if _, err := db.GetPersonByEmail(ctx, email); err == nil {
				return nil // made by an earlier job of this batch
			}
			p := frontdesk.NewPerson(frontdesk.ChannelAPI)
			if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Email: &email}, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
				return err
			}
			return db.CreatePerson(ctx, p)
		}
		gate, started := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- b.Do(ctx, func(ctx context.Context) error {
				close(started)
				<-gate // holds the batcher until the others wait in its queue
				return create(ctx, "first@example.com")
			})
		}()
		<-started
		const n = 12
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = b.Do(ctx, func(ctx context.Context) error {
					switch i {
					case 3:
						if err := create(ctx, "doomed@example.com"); err != nil {
							return err
						}
						return errors.New("job 3 fails after writing")
					case 4:
						if err := create(ctx, "panicky@example.com"); err != nil {
							return err
						}
						panic("job 4 panics")
					case 5, 6:
						return create(ctx, "shared@example.com")
					}
					return create(ctx, fmt.Sprintf("job%d@example.com", i))
				})
			}()
		}
		for b.Queued() < n {
			time.Sleep(time.Millisecond)
		}
		close(gate)
		wg.Wait()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		for i, err := range errs {
			switch i {
			case 3, 4:
				if err == nil {
					t.Errorf("job %d: want its error", i)
				}
			default:
				if err != nil {
					t.Errorf("job %d: %v", i, err)
				}
			}
		}
		for _, gone := range []string{"doomed@example.com", "panicky@example.com"} {
			if _, err := db.GetPersonByEmail(context.Background(), gone); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
				t.Errorf("%s: the failed job's writes stayed: %v", gone, err)
			}
		}
		people, err := db.CountRows(context.Background(), "people")
		if err != nil || people != 1+n-3 { // first, the jobs but 3 and 4, one for 5 and 6
			t.Fatalf("people: %d %v", people, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != n {
			t.Fatalf("batch sizes %v: want the held job alone, then the %d waiting ones together", sizes, n)
		}
	})
}
