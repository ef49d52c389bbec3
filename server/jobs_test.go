package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/jobs"
	"frontdesk/server"
	"frontdesk/store/storetest"
)

// B4: the server runs durable jobs from Start to Close; Close cancels a running handler and
// gives its job back, untried, before the database closes, and the next start finishes it.
func TestServerRunsJobsAndGivesThemBackAtClose_B4(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			cfg := server.Config{Store: storetest.Config(t, e), Jobs: jobs.Config{Poll: 20 * time.Millisecond}}
			ctx := context.Background()
			s, err := server.New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			s.Start()
			ran := make(chan int64, 1)
			s.Jobs.Handle("quick", func(ctx context.Context, j *frontdesk.Job) error { ran <- j.ID; return nil })
			entered := make(chan struct{})
			var cause error
			s.Jobs.Handle("long", func(ctx context.Context, j *frontdesk.Job) error {
				close(entered)
				<-ctx.Done()
				cause = context.Cause(ctx)
				return ctx.Err()
			})
			quick, err := jobs.Enqueue(ctx, s.DB, "quick", nil, jobs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Jobs.Wake()
			if id := <-ran; id != quick.ID {
				t.Fatalf("ran %d", id)
			}
			long, err := jobs.Enqueue(ctx, s.DB, "long", nil, jobs.Options{MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			<-entered
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(cause, jobs.ErrShutdown) {
				t.Fatalf("cause %v", cause)
			}
			s, err = server.New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			j, err := s.DB.GetJob(ctx, long.ID)
			if err != nil || j.State != frontdesk.JobQueued || j.Attempts != 0 {
				t.Fatalf("after close: %+v %v", j, err)
			}
			done := make(chan struct{})
			s.Jobs.Handle("long", func(ctx context.Context, j *frontdesk.Job) error { close(done); return nil })
			s.Start()
			<-done
			deadline := time.Now().Add(30 * time.Second)
			for {
				j, err := s.DB.GetJob(ctx, long.ID)
				if err != nil {
					t.Fatal(err)
				}
				if j.State == frontdesk.JobSucceeded {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("still %s", j.State)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
