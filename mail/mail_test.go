package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/mail/mailtest"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

var ctx = frontdesk.WithActor(context.Background(), frontdesk.System)

func ptr[T any](v T) *T { return &v }

func mustMailer(t testing.TB, db *store.DB) *Mailer {
	t.Helper()
	m, err := New(db, Config{From: "Help Désk <help@example.com>", HelpdeskURL: "https://help.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustPerson(t testing.TB, ctx context.Context, db *store.DB, in frontdesk.PersonInput) *frontdesk.Person {
	t.Helper()
	p, err := createPerson(ctx, db, in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func createPerson(ctx context.Context, db *store.DB, in frontdesk.PersonInput) (*frontdesk.Person, error) {
	p := frontdesk.NewPerson(frontdesk.ChannelAPI)
	if err := frontdesk.ApplyPerson(p, in, frontdesk.Rules{PhoneRegion: "US"}); err != nil {
		return nil, err
	}
	p.State = frontdesk.InitialState(p)
	return p, db.CreatePerson(ctx, p)
}

func mustQueue(t testing.TB, ctx context.Context, m *Mailer, name string, p *frontdesk.Person, v Vars) *frontdesk.Message {
	t.Helper()
	msg, err := m.Queue(ctx, name, p, v)
	if err != nil {
		t.Fatalf("queue %s: %v", name, err)
	}
	return msg
}

// testWorker delivers to sink with delays short enough for a test.
func testWorker(db *store.DB, sink *mailtest.Server, name string, mod ...func(*WorkerConfig)) *Worker {
	cfg := WorkerConfig{Name: name, SMTP: SMTPConfig{Addr: sink.Addr, Timeout: 5 * time.Second}, Batch: 10,
		Poll: 5 * time.Millisecond, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, Lease: time.Minute}
	for _, f := range mod {
		f(&cfg)
	}
	return NewWorker(db, cfg)
}

// start runs w until the returned stop is called.
func start(t testing.TB, w *Worker) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func mustRunOnce(t testing.TB, w *Worker) int {
	t.Helper()
	n, err := w.RunOnce(ctx)
	if err != nil {
		t.Fatalf("run once: %v", err)
	}
	return n
}

func mustGetMail(t testing.TB, db *store.DB, id int64) *frontdesk.Message {
	t.Helper()
	m, err := db.GetMail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func allMail(t testing.TB, db *store.DB) []*frontdesk.Message {
	t.Helper()
	msgs, _, err := db.ListMail(ctx, frontdesk.MailFilter{}, frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// E6: mail queued in a transaction that rolls back is never sent; in one that commits it is
// sent exactly once, however often the worker runs.
func TestQueueCommitsWithTheChange_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		w := testWorker(db, sink, "w")
		boom := errors.New("boom")
		err := db.WithTx(ctx, func(ctx context.Context) error {
			p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Roll Back"), Email: ptr("rb@example.com")})
			mustQueue(t, ctx, m, Welcome, p, Vars{Link: "https://help.example.com/w/1"})
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := mustRunOnce(t, w); n != 0 || len(sink.Messages()) != 0 {
			t.Fatalf("rolled-back mail went out: claimed %d, sink %d", n, len(sink.Messages()))
		}

		err = db.WithTx(ctx, func(ctx context.Context) error {
			p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Com Mit"), Email: ptr("cm@example.com")})
			mustQueue(t, ctx, m, Welcome, p, Vars{Link: "https://help.example.com/w/2"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			mustRunOnce(t, w)
		}
		got := sink.Messages()
		stored := allMail(t, db)[0]
		if len(got) != 1 || got[0].To[0] != "cm@example.com" || got[0].From != BounceAddress(mustKey(t, db), "help@example.com", stored.ID) {
			t.Fatalf("want one message to cm@example.com from its bounce address, got %+v", got)
		}
		if stored.State != frontdesk.MessageSent || stored.Via != frontdesk.ViaSMTP || stored.Attempts != 1 || got[0].MessageID != stored.MessageID {
			t.Fatalf("outbox: %+v, received Message-ID %q", stored, got[0].MessageID)
		}
	})
}

// E6: a worker that dies after the server took a message and before recording it leaves the
// message to another worker once its lease runs out; the receiver gets the same message
// again (same Message-ID, same bytes), never a second, different one.
func TestRedeliveryAfterCrashKeepsMessageID_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Crash Test"), Email: ptr("crash@example.com")})
		msg := mustQueue(t, ctx, m, PasswordReset, p, Vars{Link: "https://help.example.com/r/1", ExpiresAt: time.Now().Add(time.Hour)})

		const lease = 300 * time.Millisecond
		dying := testWorker(db, sink, "dying", func(c *WorkerConfig) {
			c.Lease = lease
			c.afterData = func(*frontdesk.Message) error { return errors.New("kill -9") }
		})
		if _, err := dying.RunOnce(ctx); !errors.Is(err, errCrashed) {
			t.Fatalf("want the simulated crash, got %v", err)
		}
		if got := mustGetMail(t, db, msg.ID); got.State != frontdesk.MessageSending || len(sink.Messages()) != 1 {
			t.Fatalf("after the crash: state %s, sink %d", got.State, len(sink.Messages()))
		}
		next := testWorker(db, sink, "next", func(c *WorkerConfig) { c.Lease = lease })
		if n := mustRunOnce(t, next); n != 0 {
			t.Fatalf("another worker took a leased message")
		}
		time.Sleep(lease + 50*time.Millisecond)
		if n := mustRunOnce(t, next); n != 1 {
			t.Fatalf("the expired lease was not taken over: %d", n)
		}
		got := sink.Messages()
		if len(got) != 2 || got[0].MessageID != msg.MessageID || got[1].MessageID != msg.MessageID || string(got[0].Data) != string(got[1].Data) {
			t.Fatalf("redelivery is not the same message: %q vs %q", got[0].MessageID, got[len(got)-1].MessageID)
		}
		if final := mustGetMail(t, db, msg.ID); final.State != frontdesk.MessageSent || final.Attempts != 2 {
			t.Fatalf("final: %+v", final)
		}
	})
}

// E6: a worker told to stop right after the server took a message still records it as sent,
// so a restart does not send it again.
func TestStopAfterDataStillRecords_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Stop Test"), Email: ptr("stop@example.com")})
		for range 3 {
			mustQueue(t, ctx, m, LoginCode, p, Vars{Code: "123456"})
		}
		runCtx, cancel := context.WithCancel(ctx)
		w := testWorker(db, sink, "stopping", func(c *WorkerConfig) {
			c.afterData = func(*frontdesk.Message) error { cancel(); return nil }
		})
		if err := w.Run(runCtx); err != nil {
			t.Fatal(err)
		}
		msgs := allMail(t, db)
		sent, queued := 0, 0
		for _, msg := range msgs {
			switch msg.State {
			case frontdesk.MessageSent:
				sent++
			case frontdesk.MessageQueued:
				queued++
				if msg.Attempts != 0 {
					t.Errorf("a message handed back counts an attempt: %+v", msg)
				}
			default:
				t.Errorf("message left %s", msg.State)
			}
		}
		if sent != 1 || queued != 2 || len(sink.Messages()) != 1 {
			t.Fatalf("sent %d, queued %d, received %d", sent, queued, len(sink.Messages()))
		}
		// A restart sends the rest, and nothing twice.
		for mustRunOnce(t, testWorker(db, sink, "restart")) > 0 {
		}
		ids := map[string]bool{}
		for _, r := range sink.Messages() {
			if ids[r.MessageID] {
				t.Fatalf("%s received twice", r.MessageID)
			}
			ids[r.MessageID] = true
		}
		if len(ids) != 3 {
			t.Fatalf("received %d distinct messages, want 3", len(ids))
		}
	})
}

// E6: a server that answers 4xx for a while delays mail, with growing waits, and loses none;
// a 5xx for a recipient abandons that message at once; a message that keeps failing is
// abandoned after the last attempt, its error kept.
func TestTemporaryRefusalDelaysButLosesNone_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		refusals := map[string]int{}
		sink.SetReject(func(r mailtest.Message) error {
			if r.To[0] == "never@example.com" {
				return mailtest.PermFailure("no such user")
			}
			if r.To[0] == "always@example.com" || refusals[r.MessageID] < 3 {
				refusals[r.MessageID]++
				return mailtest.TempFailure("greylisted, try later")
			}
			return nil
		})
		var want []*frontdesk.Message
		for i := range 5 {
			p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr(fmt.Sprint("Grey ", i)), Email: ptr(fmt.Sprintf("grey%d@example.com", i))})
			want = append(want, mustQueue(t, ctx, m, Welcome, p, Vars{Link: "https://help.example.com/w"}))
		}
		never := mustQueue(t, ctx, m, Welcome, mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Never"), Email: ptr("never@example.com")}), Vars{})
		always := mustQueue(t, ctx, m, Welcome, mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Always"), Email: ptr("always@example.com")}), Vars{})

		began := time.Now()
		stop := start(t, testWorker(db, sink, "grey", func(c *WorkerConfig) { c.MaxAttempts = 6 }))
		sink.Wait(t, 5, 20*time.Second)
		deadline := time.Now().Add(20 * time.Second)
		for mustGetMail(t, db, always.ID).State != frontdesk.MessageAbandoned {
			if time.Now().After(deadline) {
				t.Fatalf("a message that always fails was never abandoned: %+v", mustGetMail(t, db, always.ID))
			}
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		// Three refusals wait 5, 10 and 20 ms (less up to a tenth): at least ~30 ms in all.
		if took := time.Since(began); took < 30*time.Millisecond {
			t.Fatalf("retries did not back off: all done in %v", took)
		}
		for _, w := range want {
			got := mustGetMail(t, db, w.ID)
			if got.State != frontdesk.MessageSent || got.Attempts != 4 {
				t.Fatalf("greylisted message: %+v", got)
			}
		}
		if got := mustGetMail(t, db, never.ID); got.State != frontdesk.MessageAbandoned || got.Attempts != 1 || !strings.Contains(got.LastError, "no such user") {
			t.Fatalf("refused message: %+v", got)
		}
		if got := mustGetMail(t, db, always.ID); got.Attempts != 6 || !strings.Contains(got.LastError, "greylisted") {
			t.Fatalf("always-refused message: %+v", got)
		}
		seen := map[string]bool{}
		for _, r := range sink.Messages() {
			if seen[r.MessageID] {
				t.Fatalf("%s accepted twice", r.MessageID)
			}
			seen[r.MessageID] = true
		}
	})
}

// E6, I1: two workers, on two instances sharing one PostgreSQL (one database on SQLite),
// deliver 200 messages in parallel, each exactly once.
func TestParallelWorkersDeliverEachOnce_E6_I1(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			cfg := storetest.Config(t, engine)
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
				if engine == store.SQLite {
					break // one process owns an SQLite file
				}
			}
			sink := mailtest.NewServer(t, mailtest.Options{})
			m := mustMailer(t, dbs[0])
			const total = 200
			var ids []int64
			err := dbs[0].WithTx(ctx, func(ctx context.Context) error {
				for i := range total {
					p := mustPerson(t, ctx, dbs[0], frontdesk.PersonInput{Name: ptr(fmt.Sprint("Many ", i)), Email: ptr(fmt.Sprintf("many%d@example.com", i))})
					ids = append(ids, mustQueue(t, ctx, m, LoginCode, p, Vars{Code: fmt.Sprint(i)}).ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			s1 := start(t, testWorker(dbs[0], sink, "one", func(c *WorkerConfig) { c.Batch = 7 }))
			s2 := start(t, testWorker(dbs[len(dbs)-1], sink, "two", func(c *WorkerConfig) { c.Batch = 7 }))
			sink.Wait(t, total, 30*time.Second)
			time.Sleep(50 * time.Millisecond) // room for a duplicate to show
			s1()
			s2()
			got := sink.Messages()
			seen := map[string]bool{}
			for _, r := range got {
				if seen[r.MessageID] {
					t.Fatalf("%s delivered twice", r.MessageID)
				}
				seen[r.MessageID] = true
			}
			if len(got) != total {
				t.Fatalf("delivered %d, want %d", len(got), total)
			}
			workers := map[string]int{}
			for _, id := range ids {
				msg := mustGetMail(t, dbs[0], id)
				if msg.State != frontdesk.MessageSent || msg.Attempts != 1 || !seen[msg.MessageID] {
					t.Fatalf("message %d: %+v", id, msg)
				}
				workers[msg.Worker]++
			}
		})
	}
}

// E5, P6, P7: machine contacts and do-not-email contacts get nothing; the suppression is
// recorded in the outbox with its reason.
func TestSuppressedRecipientsGetNothing_E5_P6_P7(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sink := mailtest.NewServer(t, mailtest.Options{})
		m := mustMailer(t, db)
		machine := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Fax"), Email: ptr("fax@example.com"), Machine: ptr(true)})
		quiet := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Quiet"), Email: ptr("quiet@example.com"), DoNotEmail: ptr(true)})
		a := mustQueue(t, ctx, m, ConfirmAddress, machine, Vars{Link: "https://x"})
		b := mustQueue(t, ctx, m, Welcome, quiet, Vars{Link: "https://x"})
		// The flag set after the person was loaded still counts: the store reads it afresh.
		loud := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Soon Quiet"), Email: ptr("soon@example.com")})
		if _, err := db.UpdatePerson(ctx, loud.ID, func(p *frontdesk.Person) error { p.DoNotEmail = true; return nil }); err != nil {
			t.Fatal(err)
		}
		c := mustQueue(t, ctx, m, PasswordReset, loud, Vars{Link: "https://x"})
		mustRunOnce(t, testWorker(db, sink, "w"))
		if len(sink.Messages()) != 0 {
			t.Fatalf("suppressed mail went out: %d", len(sink.Messages()))
		}
		for msg, reason := range map[*frontdesk.Message]string{a: "machine contact", b: "do not email", c: "do not email"} {
			got := mustGetMail(t, db, msg.ID)
			if got.State != frontdesk.MessageSuppressed || got.SuppressedReason != reason || msg.State != frontdesk.MessageSuppressed {
				t.Errorf("message to %s: %s %q, want suppressed %q", got.To, got.State, got.SuppressedReason, reason)
			}
		}
	})
}

// E4: a template using an unknown variable is refused at save with the field and the
// variable named; so is one that does not parse or names no template. Preview renders drafts
// and the templates in use with sample values.
func TestTemplateValidationAndPreview_E4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := mustMailer(t, db)
		cases := []struct {
			name  string
			tpl   frontdesk.MailTemplate
			field string
			says  string
		}{
			{"unknown in text", frontdesk.MailTemplate{Name: Welcome, Subject: "Hi", Text: "Hi {{.frist_name}}", HTML: "<p>x</p>"}, "text", `unknown variable "frist_name"`},
			{"unknown in html", frontdesk.MailTemplate{Name: Welcome, Subject: "Hi", Text: "x", HTML: "{{if .first_name}}<p>{{$.password}}</p>{{end}}"}, "html", `unknown variable "password"`},
			{"code is not a welcome variable", frontdesk.MailTemplate{Name: Welcome, Subject: "{{.code}}", Text: "x"}, "subject", `unknown variable "code"`},
			{"nested in with and range", frontdesk.MailTemplate{Name: LoginCode, Subject: "s", Text: "{{with .code}}{{.}}{{else}}{{.nope}}{{end}}"}, "text", `unknown variable "nope"`},
			{"parse error", frontdesk.MailTemplate{Name: Welcome, Subject: "Hi", Text: "{{.first_name"}, "text", "unclosed action"},
			{"unknown function", frontdesk.MailTemplate{Name: Welcome, Subject: "Hi", Text: "{{shout .first_name}}"}, "text", `function "shout" not defined`},
			{"empty subject", frontdesk.MailTemplate{Name: Welcome, Text: "x"}, "subject", "is empty"},
			{"no such template", frontdesk.MailTemplate{Name: "nope", Subject: "s", Text: "t"}, "name", `no email template "nope"`},
		}
		for _, c := range cases {
			err := m.SaveTemplate(ctx, &c.tpl)
			var e *frontdesk.Error
			if !errors.As(err, &e) || e.Code != frontdesk.EInvalid {
				t.Errorf("%s: want an invalid error, got %v", c.name, err)
				continue
			}
			found := false
			for _, f := range e.Fields {
				if f.Field == c.field && strings.Contains(f.Message, c.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: want %s: %q, got %+v", c.name, c.field, c.says, e.Fields)
			}
		}
		if list, _ := db.ListMailTemplates(ctx); len(list) != 0 {
			t.Fatalf("a refused template was stored")
		}

		for _, name := range Names() {
			r, err := m.Preview(ctx, name, nil)
			if err != nil || r.Subject == "" || !strings.Contains(r.Text, "Ada") || !strings.Contains(r.HTML, "https://help.example.com") {
				t.Errorf("preview %s: %+v %v", name, r, err)
			}
		}
		draft := &frontdesk.MailTemplate{Subject: "Welcome, {{.preferred_name}}", Text: "Join {{.organization}} at {{.link}}", HTML: "<b>{{.display_name}}</b>"}
		r, err := m.Preview(ctx, Welcome, draft)
		if err != nil || r.Subject != "Welcome, Ada" || r.Text != "Join Analytical Engines Ltd at https://help.example.com/l/SAMPLE-LINK" || r.HTML != "<b>Ada Lovelace</b>" {
			t.Fatalf("draft preview: %+v %v", r, err)
		}

		// A saved version is what Queue sends; resetting brings the default back.
		draft.Name = Welcome
		if err := m.SaveTemplate(ctx, draft); err != nil {
			t.Fatal(err)
		}
		o := &frontdesk.Organization{}
		if err := frontdesk.ApplyOrganization(o, frontdesk.OrganizationInput{Name: ptr("Acme")}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Grace Hopper"), PreferredName: ptr("Amazing Grace"), Email: ptr("grace@example.com"), OrganizationID: frontdesk.RefTo(o.ID)})
		msg := mustQueue(t, ctx, m, Welcome, p, Vars{Link: "https://help.example.com/w/9"})
		if msg.Subject != "Welcome, Amazing Grace" || msg.Text != "Join Acme at https://help.example.com/w/9" || msg.HTML != "<b>Grace Hopper</b>" {
			t.Fatalf("queued with the saved template: %+v", msg)
		}
		if err := m.ResetTemplate(ctx, Welcome); err != nil {
			t.Fatal(err)
		}
		if tpl, err := m.Template(ctx, Welcome); err != nil || tpl.Custom || !strings.Contains(tpl.Text, "{{.link}}") {
			t.Fatalf("after reset: %+v %v", tpl, err)
		}
	})
}

// E4: variables are escaped in the HTML body: a name that holds markup shows as text.
func TestHTMLEscapesVariables_E4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := mustMailer(t, db)
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{FirstName: ptr("<script>alert(1)</script>"), LastName: ptr("O'Hara & Sons"), Email: ptr("x@example.com")})
		msg := mustQueue(t, ctx, m, Welcome, p, Vars{Link: `https://help.example.com/w?a=1&b="2"`})
		if strings.Contains(msg.HTML, "<script>") || !strings.Contains(msg.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(msg.HTML, "O&#39;Hara &amp; Sons") {
			t.Fatalf("HTML not escaped: %s", msg.HTML)
		}
		if strings.Contains(msg.HTML, `b="2"`) {
			t.Fatalf("link not escaped in the attribute: %s", msg.HTML)
		}
		if !strings.Contains(msg.Text, "<script>alert(1)</script>") {
			t.Fatalf("the text body shows the name as it is: %s", msg.Text)
		}
	})
}

// E6: a composed message is MIME multipart/alternative with both bodies intact, a non-ASCII
// subject RFC 2047 encoded, the stored Message-ID, Auto-Submitted, short lines, and the same
// bytes every time.
func TestComposeMIME_E6(t *testing.T) {
	msg := &frontdesk.Message{ID: 7, To: "zoe@example.com", ToName: "Zoë Ünal", From: "Help Désk <help@example.com>",
		Subject: "Réinitialisez votre mot de passe — 🔑", Text: "Bonjour Zoë,\n\n" + strings.Repeat("très long ", 40) + "\n.\nfin",
		HTML: "<p>Bonjour Zoë</p>", MessageID: "<outbox-7.abc@example.com>", CreatedAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	raw := Compose(msg, nil)
	if string(raw) != string(Compose(msg, nil)) {
		t.Fatal("composing twice gives different bytes")
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 78 && !strings.HasPrefix(line, "Content-Type:") {
			t.Errorf("line %d is %d long: %q", i, len(line), line)
		}
		for _, c := range []byte(line) {
			if c > 127 {
				t.Fatalf("line %d is not ASCII: %q", i, line)
			}
		}
	}
	parsed, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != msg.Subject || !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
		t.Fatalf("subject %q decodes to %q (%v)", h.Get("Subject"), subject, err)
	}
	if h.Get("Message-ID") != msg.MessageID || h.Get("Auto-Submitted") != "auto-generated" || h.Get("MIME-Version") != "1.0" {
		t.Fatalf("headers: %v", h)
	}
	if d, err := h.Date(); err != nil || !d.Equal(msg.CreatedAt) {
		t.Fatalf("date: %v %v", d, err)
	}
	to, err := h.AddressList("To")
	if err != nil || to[0].Name != "Zoë Ünal" || to[0].Address != "zoe@example.com" {
		t.Fatalf("to: %v %v", to, err)
	}
	from, err := h.AddressList("From")
	if err != nil || from[0].Name != "Help Désk" {
		t.Fatalf("from: %v %v", from, err)
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("content type %q: %v", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(parsed.Body, params["boundary"])
	var types, bodies []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		types = append(types, part.Header.Get("Content-Type"))
		bodies = append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	if len(types) != 2 || types[0] != "text/plain; charset=utf-8" || types[1] != "text/html; charset=utf-8" {
		t.Fatalf("parts: %v", types)
	}
	if bodies[0] != msg.Text+"\n" || bodies[1] != msg.HTML+"\n" {
		t.Fatalf("bodies: %q", bodies)
	}
}

// E6: delivery over STARTTLS and over implicit TLS, both with AUTH PLAIN; a wrong password
// reaches nobody and hands the messages back with no attempt counted.
func TestSMTPTLSAndAuth_E6(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := mustMailer(t, db)
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Tls User"), Email: ptr("tls@example.com")})
		for _, mode := range []string{TLSStartTLS, TLSImplicit} {
			sink := mailtest.NewServer(t, mailtest.Options{TLS: mode, Username: "frontdesk", Password: "s3cret"})
			cfg := func(password string) func(*WorkerConfig) {
				return func(c *WorkerConfig) {
					c.SMTP.TLS, c.SMTP.TLSConfig = mode, sink.ClientTLSConfig()
					c.SMTP.Username, c.SMTP.Password = "frontdesk", password
				}
			}
			msg := mustQueue(t, ctx, m, LoginCode, p, Vars{Code: "42"})
			if _, err := testWorker(db, sink, "bad", cfg("wrong")).RunOnce(ctx); err == nil {
				t.Fatalf("%s: a wrong password delivered", mode)
			}
			if got := mustGetMail(t, db, msg.ID); got.State != frontdesk.MessageQueued || got.Attempts != 0 || len(sink.Messages()) != 0 {
				t.Fatalf("%s: after a refused login: %+v", mode, got)
			}
			if n := mustRunOnce(t, testWorker(db, sink, "good", cfg("s3cret"))); n != 1 {
				t.Fatalf("%s: claimed %d", mode, n)
			}
			if got := sink.Messages(); len(got) != 1 || got[0].MessageID != msg.MessageID {
				t.Fatalf("%s: received %+v", mode, got)
			}
		}
	})
}

// E6, I4: with no SMTP server configured, messages go to the local mailbox: sent there,
// readable from the outbox.
func TestLocalMailbox_E6_I4(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := mustMailer(t, db)
		p := mustPerson(t, ctx, db, frontdesk.PersonInput{Name: ptr("Local Only"), Email: ptr("local@example.com")})
		msg := mustQueue(t, ctx, m, RegistrationActivation, p, Vars{Link: "https://help.example.com/a/1", ExpiresAt: time.Date(2030, 5, 6, 7, 8, 0, 0, time.UTC)})
		w := NewWorker(db, WorkerConfig{Name: "local"})
		if n := mustRunOnce(t, w); n != 1 {
			t.Fatalf("claimed %d", n)
		}
		got := mustGetMail(t, db, msg.ID)
		if got.State != frontdesk.MessageSent || got.Via != frontdesk.ViaMailbox || !strings.Contains(got.Text, "https://help.example.com/a/1") ||
			!strings.Contains(got.Text, "Monday 6 May 2030 at 07:08 UTC") {
			t.Fatalf("mailbox: %+v", got)
		}
	})
}
