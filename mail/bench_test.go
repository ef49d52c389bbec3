package mail

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"frontdesk"
	"frontdesk/mail/mailtest"
	"frontdesk/store/storetest"
)

// BenchmarkDelivery measures delivery from the outbox to an in-process SMTP server, per
// engine and number of workers: claim, compose the MIME message, one SMTP transaction on a
// kept connection, and the sent mark, one transaction per message. Queueing the b.N
// messages is outside the timer. It reports msgs/s (target: 500 or more).
func BenchmarkDelivery(b *testing.B) {
	for _, engine := range storetest.Engines() {
		for _, workers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d", engine, workers), func(b *testing.B) {
				db := storetest.Open(b, engine)
				sink := mailtest.NewServer(b, mailtest.Options{})
				err := db.WithTx(ctx, func(ctx context.Context) error {
					for i := range b.N {
						m := &frontdesk.Message{To: fmt.Sprintf("bench%d@example.com", i), ToName: "Bench Mark", From: "Help <help@example.com>",
							Template: LoginCode, Subject: "Your sign-in code", Text: "Hello,\n\nyour code is 123456.\n", HTML: "<p>Hello,</p><p>your code is <b>123456</b>.</p>"}
						if err := db.EnqueueMail(ctx, m); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				var delivered atomic.Int64
				var wg sync.WaitGroup
				for i := range workers {
					w := NewWorker(db, WorkerConfig{Name: fmt.Sprint("bench", i), SMTP: SMTPConfig{Addr: sink.Addr}, Batch: 50})
					wg.Go(func() {
						for {
							n, err := w.RunOnce(ctx)
							if err != nil {
								b.Error(err)
								return
							}
							if n == 0 {
								return
							}
							delivered.Add(int64(n))
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				if got := len(sink.Messages()); got != b.N || delivered.Load() != int64(b.N) {
					b.Fatalf("delivered %d, received %d, want %d", delivered.Load(), got, b.N)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
