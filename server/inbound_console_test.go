package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/store"
	"frontdesk/store/storetest"
)

// mustHeldMail stores a message for mailbox and waits for the processing job; whatever it
// made of it, the message is then held, as the inbox holds mail it cannot place.
func (a *app) mustHeldMail(t *testing.T, mailbox int64, raw string) int64 {
	t.Helper()
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	id, _, err := a.Inbox.Receive(ctx, &store.Received{MailboxID: mailbox, Source: frontdesk.ViaSMTPListener, EnvelopeFrom: "stan@stranger.example",
		EnvelopeTo: "help@desk.example", Raw: []byte(raw)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		m, err := a.DB.GetInbound(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.State != frontdesk.InboundReceived {
			break
		}
		if i > 500 {
			t.Fatalf("message %d is never processed", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.DB.FinishInbound(ctx, id, store.InboundOutcome{State: frontdesk.InboundHeld, Kind: frontdesk.InboundRequest,
		Reason: "mail from strangers to this mailbox waits for review", FromAddress: "stan@stranger.example", Subject: "Printer on fire"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// C8, X3, X4, T2 in a real browser: the mailboxes with their IMAP status and a form whose
// password never comes back, the suppression list with its bounces, the log of received
// mail with a held message released, and a ticket thread with a message received by mail
// whose quoted text stays folded until clicked and whose file downloads; all pass axe-core.
// With FRONTDESK_TEST_SCREENSHOTS set, each is saved at a phone's and a desktop's width.
func TestInboundConsoleInBrowser_C8_X3_T2(t *testing.T) {
	axe := axeSource(t)
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	a.mustOwner(t, "owner@example.com", "owner-password-1")

	addr, host, user, pw := "help@desk.example", "imap.desk.example", "help", "imap-secret-42"
	mb, err := a.DB.SaveMailbox(sys, 0, frontdesk.MailboxInput{Address: &addr, IMAP: &frontdesk.IMAPInput{Host: &host, User: &user, Password: &pw}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.SetMailboxPolled(sys, mb.ID, 0, 0, "dial tcp: connection refused"); err != nil {
		t.Fatal(err)
	}
	sales := "sales@desk.example"
	hold := frontdesk.UnknownSendersHold
	if _, err := a.DB.SaveMailbox(sys, 0, frontdesk.MailboxInput{Address: &sales, UnknownSenders: &hold}); err != nil {
		t.Fatal(err)
	}
	held := a.mustHeldMail(t, mb.ID, "From: Stan Stranger <stan@stranger.example>\r\nTo: help@desk.example\r\nSubject: Printer on fire\r\nMessage-ID: <held-1@stranger.example>\r\n\r\nIt is on fire.\r\n")
	by := int64(0)
	if _, err := a.DB.Suppress(sys, &frontdesk.Suppression{Address: "gone@example.com", Reason: frontdesk.SuppressedHardBounce, Diagnostic: "550 5.1.1 user unknown", CreatedBy: nil}); err != nil {
		t.Fatal(err)
	}
	_ = by
	if _, err := a.DB.RecordBounce(sys, &frontdesk.Bounce{InboundID: held, Address: "forged@example.com", Hard: true, Status: "5.1.1", Diagnostic: "no such user"}, 3); err != nil {
		t.Fatal(err)
	}

	// A ticket whose second message came by mail, with quoted history and a file.
	requester := a.mustContactIn(t, "rita@example.com", frontdesk.WebAccessOwn, 0, 0)
	tk, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: requester.ID, Subject: "Invoice is wrong", Body: "The total is off."}, frontdesk.TicketViaWeb)
	if err != nil {
		t.Fatal(err)
	}
	quoted := "On Monday, Support wrote:\n> We sent the corrected invoice.\n> Regards, Support\n--\nRita Requester\nAccounts, Example Ltd"
	msg := &frontdesk.TicketMessage{TicketID: tk.ID, AuthorID: requester.ID, Public: true, Body: "It is still wrong: see the scan.",
		Folded: quoted, InboundID: &held, Attachments: []*frontdesk.Attachment{{Filename: "invoice-scan.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4 scan")}}}
	if err := a.DB.AddTicketMessage(sys, msg); err != nil {
		t.Fatal(err)
	}

	a.logIn(t, ctx, "owner@example.com", "owner-password-1")
	visit := func(path, wait, shot string) {
		t.Helper()
		run(t, ctx, "open "+path, chromedp.Navigate(a.URL+path), chromedp.WaitVisible(chromedp.CSS(wait)))
		checkA11y(t, ctx, axe, path)
		if shot != "" {
			shots(t, ctx, shot)
		}
	}

	// Mailboxes.
	run(t, ctx, "open Mailboxes from the navigation",
		chromedp.Click(chromedp.CSS(`nav a[href="/console/mailboxes"]`)),
		chromedp.WaitVisible(chromedp.CSS("#mailboxes")),
	)
	checkA11y(t, ctx, axe, "/console/mailboxes")
	shots(t, ctx, "inbound-mailboxes")
	if text := mainText(t, ctx); !strings.Contains(text, "connection refused") || !strings.Contains(text, "held for review") {
		t.Errorf("mailboxes page: %s", text)
	}
	visit(fmt.Sprintf("/console/mailboxes/%d", mb.ID), "#mailbox-form", "inbound-mailbox-form")
	if html := mustHTML(t, ctx); strings.Contains(html, pw) {
		t.Error("the mailbox form shows the IMAP password")
	}
	run(t, ctx, "save with bad input",
		chromedp.SetValue(chromedp.CSS(`[id="address"]`), "not an address"),
		chromedp.SetValue(chromedp.CSS(`[id="imap.port"]`), "99999"),
		chromedp.Click(chromedp.CSS(`#mailbox-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[id="imap.port-error"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[id="address-error"]`)),
	)
	checkA11y(t, ctx, axe, "refused mailbox form")
	if got, _ := a.DB.GetMailbox(sys, mb.ID); got.Address != addr || got.IMAP.Port != 993 || got.IMAP.Password != pw {
		t.Errorf("a refused form changed the mailbox: %+v", got)
	}
	run(t, ctx, "save a change without retyping the password",
		chromedp.SetValue(chromedp.CSS(`[id="address"]`), addr),
		chromedp.SetValue(chromedp.CSS(`[id="imap.port"]`), "143"),
		chromedp.SetValue(chromedp.CSS(`[id="imap.security"]`), "starttls"),
		chromedp.Click(chromedp.CSS(`#mailbox-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#mailboxes")),
	)
	if got, _ := a.DB.GetMailbox(sys, mb.ID); got.IMAP.Port != 143 || got.IMAP.Security != "starttls" || got.IMAP.Password != pw {
		t.Errorf("saved mailbox: %+v", got.IMAP)
	}
	visit("/console/mailboxes/new", "#mailbox-form", "")

	// The suppression list.
	visit("/console/suppressions", "#suppressions", "inbound-suppressions")
	if text := mainText(t, ctx); !strings.Contains(text, "gone@example.com") || !strings.Contains(text, "hard bounce") || !strings.Contains(text, "unmatched") {
		t.Errorf("suppressions page: %s", text)
	}
	run(t, ctx, "suppress an address",
		chromedp.SendKeys(chromedp.CSS("#suppress-form #address"), "Spam.Trap@Example.com"),
		chromedp.SendKeys(chromedp.CSS("#suppress-form #diagnostic"), "complaint"),
		chromedp.Click(chromedp.CSS(`#suppress-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-address="spam.trap@example.com"]`)),
	)
	if s, err := a.DB.GetSuppression(sys, "spam.trap@example.com"); err != nil || s.Reason != frontdesk.SuppressedByStaff || s.CreatedBy == nil {
		t.Errorf("suppressed by hand: %+v %v", s, err)
	}
	run(t, ctx, "remove it",
		chromedp.Click(chromedp.CSS(`tr[data-address="spam.trap@example.com"] button`)),
		// The page before showed a notice too (the address added): wait for the row to go.
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-address="spam.trap@example.com"]`)),
	)
	if _, err := a.DB.GetSuppression(sys, "spam.trap@example.com"); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
		t.Errorf("after removal: %v", err)
	}

	// Received mail: the held message, released.
	run(t, ctx, "open Received mail from the navigation",
		chromedp.Click(chromedp.CSS(`nav a[href="/console/inbound"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`li[data-inbound="%d"][data-state="held"]`, held))),
	)
	checkA11y(t, ctx, axe, "/console/inbound")
	shots(t, ctx, "inbound-log")
	visit("/console/inbound?state=sleeping", "#state-error", "")
	before, err := a.DB.GetInbound(sys, held)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "release the held message",
		chromedp.Navigate(a.URL+"/console/inbound?state=held"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/console/inbound/%d/release"] button`, held))),
		chromedp.WaitVisible(chromedp.CSS(`main .notice`)),
	)
	// Released, the message is processed again (without the check that held it).
	for i := 0; ; i++ {
		m, err := a.DB.GetInbound(sys, held)
		if err != nil {
			t.Fatal(err)
		}
		if m.Attempts > before.Attempts && m.State != frontdesk.InboundReceived {
			break
		}
		if i > 500 {
			t.Fatalf("the released message is not processed again: %+v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The thread: quoted text folded until clicked; the file and the mark of mail.
	checkFolded := func(where string) {
		t.Helper()
		shown := func() bool {
			v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('details.folded pre').checkVisibility()`))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			return v
		}
		if shown() {
			t.Errorf("%s: the quoted text shows before it is asked for", where)
		}
		run(t, ctx, "unfold", chromedp.Click(chromedp.CSS("details.folded summary")))
		if !shown() {
			t.Errorf("%s: the quoted text does not show once clicked", where)
		}
		if text := mainText(t, ctx); !strings.Contains(text, "received by email") || !strings.Contains(text, "invoice-scan.pdf") || !strings.Contains(text, "We sent the corrected invoice.") {
			t.Errorf("%s: %s", where, text)
		}
	}
	visit(fmt.Sprintf("/console/tickets/%d", tk.ID), "#thread", "")
	checkFolded("console thread")
	shots(t, ctx, "inbound-ticket-thread")
	a.logOut(t, ctx)
	a.logIn(t, ctx, "rita@example.com", hcPassword)
	visit(fmt.Sprintf("/tickets/%d", tk.ID), "#thread", "")
	checkFolded("help center thread")
	shots(t, ctx, "inbound-helpcenter-thread")
}

// T2 in a real browser: a contact attaches a file on the help center's form and it reaches
// the ticket, downloadable from the ticket page.
func TestHelpCenterUploadInBrowser_T2(t *testing.T) {
	a := newApp(t, storetest.Engines()[len(storetest.Engines())-1])
	ctx := browser(t)
	a.Flows.LoginLimit = auth.NewLimiter(100, time.Second)
	a.mustOwner(t, "owner@example.com", "owner-password-1")
	a.mustContactIn(t, "uma@example.com", frontdesk.WebAccessOwn, 0, 0)
	file := filepath.Join(t.TempDir(), "error log.txt")
	if err := os.WriteFile(file, []byte("disk full at 03:12"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.logIn(t, ctx, "uma@example.com", hcPassword)
	run(t, ctx, "send a request with a file",
		chromedp.Navigate(a.URL+"/requests/new"),
		chromedp.SendKeys(chromedp.CSS("#subject"), "Backups fail"),
		chromedp.SendKeys(chromedp.CSS("#body"), "See the log."),
		chromedp.SetUploadFiles(chromedp.CSS("#attachments"), []string{file}),
		chromedp.Click(chromedp.CSS(`#request-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="request_sent"]`)),
	)
	_, tickets := a.ticketsOf(t, "uma@example.com")
	if len(tickets) != 1 {
		t.Fatalf("tickets: %v", tickets)
	}
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	files, err := a.DB.TicketAttachments(sys, tickets[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var got *frontdesk.Attachment
	for _, l := range files {
		got = l[0]
	}
	if got == nil || got.Filename != "error log.txt" || got.Size != int64(len("disk full at 03:12")) {
		t.Fatalf("stored file: %+v", got)
	}
	run(t, ctx, "open the ticket", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", a.URL, tickets[0].ID)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[href="/attachments/%d"]`, got.ID))))
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch('/attachments/%d').then(r => r.text())`, got.ID), chromedp.EvalAwaitPromise))
	if err != nil || body != "disk full at 03:12" {
		t.Errorf("download in the browser: %q %v", body, err)
	}
}
