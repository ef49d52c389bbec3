package server_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/store/storetest"
)

// fileField is one file of a multipart form.
type fileField struct {
	name, contentType string
	data              []byte
}

// postFiles submits a multipart form with files under "attachments", as a same-origin
// browser would.
func (c *client) postFiles(path string, form url.Values, files ...fileField) page {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="attachments"; filename=%q`, f.name))
		h.Set("Content-Type", f.contentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			c.t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.a.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.a.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

var fileLink = regexp.MustCompile(`<a href="(/[a-z/]*attachments/(\d+))" download>([^<]*)</a>`)

// fileLinks returns the download links of a thread page: path by file name.
func fileLinks(body string) map[string]string {
	out := map[string]string{}
	for _, m := range fileLink.FindAllStringSubmatch(body, -1) {
		out[m[3]] = m[1]
	}
	return out
}

// T2, X5: files reach the ticket through the help center's form and reply, and download
// only to those who may see the ticket: its requester signed in or by the link of their
// request, staff who read tickets; not another contact, not a stranger, not by a link to
// another ticket, and never a private note's file. They download as attachments, and a
// sender's HTML as application/octet-stream.
func TestHelpCenterFilesAndAccess_T2(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newIntakeApp(t, engine)
			guest := a.client(t)
			res := guest.postFiles("/requests/new", url.Values{"name": {"Gil Guest"}, "email": {"gil@example.com"}, "subject": {"Broken screen"},
				"body": {"Photo attached."}}, fileField{"C:\\photos\\screen.png", "image/png", []byte("\x89PNG\r\n\x1a\nscreen")},
				fileField{"page.html", "text/html", []byte("<script>alert(document.cookie)</script>")})
			if res.Status != http.StatusOK || !strings.Contains(res.Body, `data-status="created"`) {
				t.Fatalf("request with files: %d %s", res.Status, res.Body)
			}
			gil, tickets := a.ticketsOf(t, "gil@example.com")
			if len(tickets) != 1 {
				t.Fatalf("tickets of gil: %v", tickets)
			}
			tk := tickets[0]
			staff := frontdesk.WithActor(context.Background(), frontdesk.System)
			files, err := a.DB.TicketAttachments(staff, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, list := range files {
				for _, f := range list {
					names = append(names, f.Filename)
				}
			}
			if strings.Join(names, ",") != "screen.png,page.html" {
				t.Fatalf("stored files: %v", names)
			}

			// The guest, by the link of their request.
			_, text := a.mailTo(t, "gil@example.com", 1)
			guest.followRequestLink(linkIn(t, text, "/requests/access"))
			pg := guest.get("/requests/ticket")
			links := fileLinks(pg.Body)
			if len(links) != 2 || !strings.HasPrefix(links["screen.png"], "/requests/ticket/attachments/") {
				t.Fatalf("guest's ticket page links: %v\n%s", links, pg.Body)
			}
			png := guest.get(links["screen.png"])
			if png.Status != 200 || png.Body != "\x89PNG\r\n\x1a\nscreen" || png.Header.Get("Content-Type") != "image/png" ||
				!strings.HasPrefix(png.Header.Get("Content-Disposition"), "attachment;") || png.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("guest's png: %d %v", png.Status, png.Header)
			}
			htm := guest.get(links["page.html"])
			if htm.Status != 200 || htm.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("guest's html file: %d %v", htm.Status, htm.Header)
			}
			pngID := strings.TrimPrefix(links["screen.png"], "/requests/ticket/attachments/")

			// The guest replies with a file.
			if res := guest.postFiles("/requests/ticket/reply", url.Values{"body": {"And the log."}}, fileField{"log.txt", "text/plain", []byte("boot failed")}); res.Status != http.StatusSeeOther {
				t.Fatalf("guest reply with a file: %d %s", res.Status, res.Body)
			}
			if links := fileLinks(guest.get("/requests/ticket").Body); links["log.txt"] == "" {
				t.Errorf("the reply's file is not on the page: %v", links)
			}

			// Another ticket's files: not by this link; a private note's: to staff only.
			other := a.client(t)
			other.postFiles("/requests/new", url.Values{"name": {"Oda Other"}, "email": {"oda@example.com"}, "subject": {"Mine"},
				"body": {"Private."}}, fileField{"secret.txt", "text/plain", []byte("oda's secret")})
			_, odaTickets := a.ticketsOf(t, "oda@example.com")
			odaFiles, _ := a.DB.TicketAttachments(staff, odaTickets[0].ID)
			var odaFile int64
			for _, l := range odaFiles {
				odaFile = l[0].ID
			}
			if res := guest.get(fmt.Sprintf("/requests/ticket/attachments/%d", odaFile)); res.Status != http.StatusNotFound || strings.Contains(res.Body, "oda's secret") {
				t.Errorf("another ticket's file by a guest link: %d", res.Status)
			}
			agent := a.mustPersonWithPassword(t, staff, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
			note := false
			m, err := a.Flows.AddMessage(frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: agent.ID, Role: frontdesk.RoleAgent}), tk.ID,
				frontdesk.MessageInput{Body: "Internal.", Public: &note, Attachments: []*frontdesk.Attachment{{Filename: "internal.txt", ContentType: "text/plain", Content: []byte("staff only")}}})
			if err != nil {
				t.Fatal(err)
			}
			noteFile := m.Attachments[0].ID
			if res := guest.get(fmt.Sprintf("/requests/ticket/attachments/%d", noteFile)); res.Status != http.StatusNotFound {
				t.Errorf("a note's file by the requester's link: %d", res.Status)
			}

			// Signed in: the requester yes, another contact no, a stranger is sent to log in.
			a.mustContactIn(t, "carl@example.com", frontdesk.WebAccessOwn, 0, 0)
			if _, err := a.DB.GetPerson(staff, gil.ID); err != nil {
				t.Fatal(err)
			}
			carl := a.client(t)
			carl.mustLogIn("carl@example.com", hcPassword)
			if res := carl.get("/attachments/" + pngID); res.Status != http.StatusNotFound || strings.Contains(res.Body, "screen") {
				t.Errorf("another contact: %d", res.Status)
			}
			if res := a.client(t).get("/attachments/" + pngID); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
				t.Errorf("a stranger: %d %s", res.Status, res.Location)
			}
			ag := a.client(t)
			ag.mustLogIn("agent@example.com", "agent-password-1")
			if res := ag.get(fmt.Sprintf("/attachments/%d", noteFile)); res.Status != 200 || res.Body != "staff only" {
				t.Errorf("staff and a note's file: %d", res.Status)
			}
			// The console thread links every file, notes' included.
			if links := fileLinks(ag.get(fmt.Sprintf("/console/tickets/%d", tk.ID)).Body); len(links) != 4 || links["internal.txt"] != fmt.Sprintf("/attachments/%d", noteFile) {
				t.Errorf("console thread links: %v", links)
			}
		})
	}
}

// T2: a file over max_attachment_mb on the help center's form is an error beside the file
// input naming it, the text typed is kept, and nothing is stored.
func TestHelpCenterOversizeFile_T2(t *testing.T) {
	a := newIntakeApp(t, storetest.Engines()[0])
	one := 1
	a.mustSettings(t, frontdesk.SettingsInput{MaxAttachmentMB: &one})
	res := a.client(t).postFiles("/requests/new", url.Values{"name": {"Bo Big"}, "email": {"bo@example.com"}, "subject": {"Huge"},
		"body": {"Keep this text."}}, fileField{"report.pdf", "application/pdf", make([]byte, 3<<19)})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "report.pdf is 1.5 MB, over the 1 MB limit") ||
		!strings.Contains(res.Body, `id="attachments-error"`) || !strings.Contains(res.Body, "Keep this text.") {
		t.Fatalf("oversize file: %d %s", res.Status, res.Body)
	}
	if p, _ := a.ticketsOf(t, "bo@example.com"); p != nil {
		t.Errorf("an oversize request made its requester")
	}
}

// T2: a ticket a late reply by mail opened links back to the closed one it follows up, in
// the console and in the help center.
func TestFollowUpLink_T2(t *testing.T) {
	a := newIntakeApp(t, storetest.Engines()[0])
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	rita := a.mustContactIn(t, "rita@example.com", frontdesk.WebAccessOwn, 0, 0)
	old, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: rita.ID, Subject: "Old", Body: "Done long ago."}, frontdesk.TicketViaWeb)
	if err != nil {
		t.Fatal(err)
	}
	follow := &frontdesk.Ticket{RequesterID: rita.ID, Subject: "Re: Old", Channel: frontdesk.TicketViaEmail, Status: frontdesk.TicketOpen, FollowUpOf: &old.ID}
	if err := a.DB.CreateTicket(sys, follow); err != nil {
		t.Fatal(err)
	}
	a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	ag := a.client(t)
	ag.mustLogIn("agent@example.com", "agent-password-1")
	if body := ag.get(fmt.Sprintf("/console/tickets/%d", follow.ID)).Body; !strings.Contains(body, fmt.Sprintf(`<a href="/console/tickets/%d">Ticket #%d</a>`, old.ID, old.ID)) {
		t.Errorf("console: no link to the ticket followed up:\n%s", body)
	}
	c := a.client(t)
	c.mustLogIn("rita@example.com", hcPassword)
	if body := c.get(fmt.Sprintf("/tickets/%d", follow.ID)).Body; !strings.Contains(body, fmt.Sprintf(`<a href="/tickets/%d">Ticket #%d</a>`, old.ID, old.ID)) {
		t.Errorf("help center: no link to the ticket followed up:\n%s", body)
	}
}

// T2: an agent's reply on the console carries files; one over the limit is named beside the
// file input and nothing is sent or stored.
func TestConsoleReplyWithFile_T2(t *testing.T) {
	a := newIntakeApp(t, storetest.Engines()[0])
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	rita := a.mustContactIn(t, "rita@example.com", frontdesk.WebAccessOwn, 0, 0)
	tk, err := a.Flows.CreateTicket(sys, frontdesk.TicketInput{RequesterID: rita.ID, Subject: "Manual", Body: "Where is it?"}, frontdesk.TicketViaWeb)
	if err != nil {
		t.Fatal(err)
	}
	a.mustPersonWithPassword(t, sys, frontdesk.RoleAgent, "agent@example.com", "agent-password-1")
	ag := a.client(t)
	ag.mustLogIn("agent@example.com", "agent-password-1")
	path := fmt.Sprintf("/console/tickets/%d/messages", tk.ID)
	if res := ag.postFiles(path, url.Values{"body": {"Here it is."}, "public": {"1"}}, fileField{"manual.pdf", "application/pdf", []byte("%PDF manual")}); res.Status != http.StatusSeeOther {
		t.Fatalf("reply with a file: %d %s", res.Status, res.Body)
	}
	one := 1
	a.mustSettings(t, frontdesk.SettingsInput{MaxAttachmentMB: &one})
	res := ag.postFiles(path, url.Values{"body": {"Too big."}, "public": {"1"}}, fileField{"video.mp4", "video/mp4", make([]byte, 2<<20)})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "video.mp4 is 2 MB, over the 1 MB limit") || !strings.Contains(res.Body, "Too big.") {
		t.Fatalf("oversize reply: %d %s", res.Status, res.Body)
	}
	_, thread, err := a.Flows.GetTicket(frontdesk.WithActor(context.Background(), frontdesk.Actor{ID: 1, Role: frontdesk.RoleOwner}), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(thread) != 2 || len(thread[1].Attachments) != 1 || thread[1].Attachments[0].Filename != "manual.pdf" {
		t.Errorf("thread: %d messages, last %+v", len(thread), thread[len(thread)-1])
	}
}
