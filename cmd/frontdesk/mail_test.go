package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/store"
)

// I4, E6: operators read the local mailbox from the command line: the list, one message,
// and the message as it goes out.
func TestMailCommands_I4_E6(t *testing.T) {
	data := t.TempDir()
	t.Setenv("FRONTDESK_DATA", data)
	ctx := frontdesk.WithActor(context.Background(), frontdesk.System)
	db, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	m := &frontdesk.Message{To: "ada@example.com", ToName: "Ada Lovelace", From: "Help <help@example.com>", Template: "welcome",
		Subject: "Welcome, Ada", Text: "Hello Ada,\nyour link: https://help.example.com/w/1", HTML: "<p>Hello Ada</p>"}
	if err := db.EnqueueMail(ctx, m); err != nil {
		t.Fatal(err)
	}
	db.Close()

	list := mustRun(t, "mail", "list")
	if !strings.Contains(list, "ID") || !strings.Contains(list, fmt.Sprint(m.ID)) || !strings.Contains(list, "queued") || !strings.Contains(list, "Welcome, Ada") {
		t.Fatalf("mail list:\n%s", list)
	}
	if out := mustRun(t, "mail", "list", "--state", "sent"); !strings.Contains(out, "no messages") {
		t.Fatalf("mail list --state sent:\n%s", out)
	}
	show := mustRun(t, "mail", "show", fmt.Sprint(m.ID))
	for _, want := range []string{"Ada Lovelace <ada@example.com>", m.MessageID, "https://help.example.com/w/1", "State:"} {
		if !strings.Contains(show, want) {
			t.Fatalf("mail show lacks %q:\n%s", want, show)
		}
	}
	if html := mustRun(t, "mail", "show", fmt.Sprint(m.ID), "--html"); !strings.Contains(html, "<p>Hello Ada</p>") {
		t.Fatalf("mail show --html:\n%s", html)
	}
	raw := mustRun(t, "mail", "show", fmt.Sprint(m.ID), "--raw")
	if !strings.Contains(raw, "Message-ID: "+m.MessageID+"\r\n") || !strings.Contains(raw, "Auto-Submitted: auto-generated") {
		t.Fatalf("mail show --raw:\n%s", raw)
	}
	if err := run(ctx, []string{"mail", "show", "999"}, &strings.Builder{}, &strings.Builder{}); frontdesk.ErrorCode(err) != frontdesk.ENotFound {
		t.Fatalf("unknown message: %v", err)
	}
	if err := run(ctx, []string{"mail", "list", "--state", "lost"}, &strings.Builder{}, &strings.Builder{}); err == nil {
		t.Fatal("an unknown state was accepted")
	}
}
