package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/api"
	"frontdesk/intake"
)

// The help center's request form (C4, C5, C6, C9): a guest gives their contact details, a
// signed-in person only the request; the intake decides what becomes of it, as for every
// other channel. The handlers translate the form and say what happened.

// requestFields are the form's fields besides the custom ones; body is the message.
var requestFields = []string{"name", "email", "phone", "subject", "body", "type"}

type requestFormView struct {
	*page
	Types []*frontdesk.TicketType
	// Type is the chosen request type, nil for none.
	Type *frontdesk.TicketType
	// Fields are the custom person fields the chosen type asks a guest for (C9).
	Fields []*frontdesk.CustomField
	// Contact shows the contact fields: a guest's request, of a type that asks for them.
	Contact bool
	// SignInFirst says the chosen type is for signed-in people only (it hides the contact
	// fields) and the visitor is not signed in.
	SignInFirst bool
	// MaxMB is the per-file limit of the form's files.
	MaxMB int
}

// loadRequestForm fills v for the type named key ("" for none). An unknown key is shown as
// an error beside the type.
func (s *Server) loadRequestForm(r *http.Request, v *requestFormView, key string) error {
	ctx := r.Context()
	types, err := s.db.TicketTypes(ctx)
	if err != nil {
		return err
	}
	v.Types, v.Type = types, nil
	for _, t := range types {
		if t.Key == key {
			v.Type = t
		}
	}
	if key != "" && v.Type == nil && v.Errors["type"] == "" {
		v.Errors["type"] = "there is no request type " + strconv.Quote(key)
	}
	signedIn := v.Viewer != nil
	hidden := v.Type != nil && v.Type.HideContactFields
	v.Contact = !signedIn && !hidden
	v.SignInFirst = !signedIn && hidden
	v.Fields = nil
	if v.Type != nil && v.Contact && len(v.Type.PersonFields) > 0 {
		all, err := s.db.ListCustomFields(ctx)
		if err != nil {
			return err
		}
		for _, f := range all {
			for _, k := range v.Type.PersonFields {
				if f.Key == k {
					v.Fields = append(v.Fields, f)
				}
			}
		}
	}
	return nil
}

// requestForm shows the form. Values in the query fill it in: the embeddable form without
// JavaScript lands here with what the visitor typed.
func (s *Server) requestForm(w http.ResponseWriter, r *http.Request) {
	v := requestFormView{page: s.basePage(r, "Ask for help"), MaxMB: s.maxAttachmentMB(r)}
	q := r.URL.Query()
	for _, k := range requestFields {
		v.Values[k] = strings.TrimSpace(q.Get(k))
	}
	if err := s.loadRequestForm(r, &v, v.Values["type"]); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	s.render(w, http.StatusOK, "request_new", v)
}

type requestSentView struct {
	*page
	Status intake.Status
	// TicketID is shown to the signed-in person who raised it, with a link to it.
	TicketID int64
	Guest    bool
}

// submitRequest hands the form to the intake: as the signed-in person's own request, or as a
// guest's with the details they gave.
func (s *Server) submitRequest(w http.ResponseWriter, r *http.Request) {
	v := requestFormView{page: s.basePage(r, "Ask for help"), MaxMB: s.maxAttachmentMB(r)}
	files, err := s.formUploads(w, r, api.MaxRequestBytes)
	if r.PostForm == nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page, Link: &struct{ Href, Text string }{"/requests/new", "Back to the form"}})
		return
	}
	v.Values = formValues(r, requestFields...)
	v.Values["body"] = r.PostFormValue("body") // the message keeps its lines and spaces
	if err := s.loadRequestForm(r, &v, v.Values["type"]); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	in := frontdesk.RequestInput{Subject: v.Values["subject"], Body: v.Values["body"], Type: v.Values["type"],
		Website: r.PostFormValue("website")}
	if v.Viewer == nil {
		in.Name, in.Email, in.Phone = v.Values["name"], v.Values["email"], v.Values["phone"]
	}
	in.Custom = customFromForm(r, v.Fields, v.Values)
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "request_new", v)
		return
	}
	in.Attachments = files
	out, err := s.Intake.Submit(r.Context(), in, intake.Source{Channel: frontdesk.TicketViaWeb, ClientIP: clientIP(r), Self: v.Viewer != nil})
	if err != nil {
		status := s.fail(r, v.page, err)
		if v.Errors["website"] != "" {
			v.Error = "The request was refused: a field that people leave empty was filled in."
		}
		s.render(w, status, "request_new", v)
		return
	}
	sent := requestSentView{page: s.basePage(r, "Request received"), Status: out.Status, Guest: v.Viewer == nil}
	switch out.Status {
	case intake.Created:
		if !sent.Guest {
			sent.TicketID = out.Ticket.ID
			sent.Title = "Your request #" + strconv.FormatInt(out.Ticket.ID, 10) + " is open"
		}
	case intake.AwaitingConfirmation:
		sent.Title = "Check your email"
	}
	s.render(w, http.StatusOK, "request_sent", sent)
}

// customFromForm reads the custom fields the type asks for, in the types the field
// definitions hold; the intake checks the values.
func customFromForm(r *http.Request, fields []*frontdesk.CustomField, values map[string]string) map[string]any {
	var out map[string]any
	for _, f := range fields {
		k := "custom." + f.Key
		raw := strings.TrimSpace(r.PostFormValue(k))
		values[k] = raw
		if raw == "" || f.Type == frontdesk.FieldCheckbox && raw == "false" {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		switch f.Type {
		case frontdesk.FieldNumber:
			out[f.Key] = json.Number(raw)
		case frontdesk.FieldCheckbox:
			out[f.Key] = raw == "true"
		default:
			out[f.Key] = raw
		}
	}
	return out
}

// confirmRequestForm shows the request a confirmation link is for and a button: the GET
// that a mail scanner makes spends nothing (C5).
func (s *Server) confirmRequestForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	h, err := s.Intake.PeekConfirmation(r.Context(), token)
	if err != nil {
		s.deadRequestLink(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "link", linkView{s.basePage(r, "Confirm your request"), "/requests/confirm", token, "Send my request",
		"Your request: “" + h.Request.Subject + "”. Confirm it to send it to our team."})
}

func (s *Server) deadRequestLink(w http.ResponseWriter, r *http.Request, err error) {
	p := s.basePage(r, "This link does not work")
	status := s.fail(r, p, err)
	s.render(w, status, "message", messageView{page: p, Body: "Links from our emails work once and expire. You can send your request again from the form.",
		Link: &struct{ Href, Text string }{"/requests/new", "Ask for help"}})
}

type requestConfirmedView struct {
	*page
	TicketID        int64
	OnboardingToken string
}

// confirmRequest spends a confirmation link (C5): contact and ticket are made together, the
// browser keeps the link that opens the ticket (X5), and onboarding is offered.
func (s *Server) confirmRequest(w http.ResponseWriter, r *http.Request) {
	c, err := s.Intake.Confirm(r.Context(), r.PostFormValue("token"))
	if err != nil {
		s.deadRequestLink(w, r, err)
		return
	}
	s.setGuestCookie(w, c.TicketLink)
	v := requestConfirmedView{page: s.basePage(r, "Your request #"+strconv.FormatInt(c.Ticket.ID, 10)+" is open"),
		TicketID: c.Ticket.ID, OnboardingToken: c.OnboardingToken}
	s.render(w, http.StatusOK, "request_confirmed", v)
}

// The guest's access to one ticket (X5). The link from the mail shows a button; its POST
// checks the link and keeps it in a cookie that only the /requests pages receive, so that
// the ticket page's address carries no secret. Each request opens the link again, so a
// revoked link stops working at once.

// GuestTicketCookie holds the secret of the link that opens one ticket to a guest (X5).
const GuestTicketCookie = "fd_ticket"

func (s *Server) setGuestCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{Name: GuestTicketCookie, Value: secret, Path: "/requests", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: 90 * 24 * 3600})
}

func (s *Server) clearGuestCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: GuestTicketCookie, Value: "", Path: "/requests", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func (s *Server) ticketAccessForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if _, _, err := s.Intake.OpenTicketLink(r.Context(), token); err != nil {
		s.deadTicketLink(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "link", linkView{s.basePage(r, "Open your request"), "/requests/access", token, "Open my request",
		"This link opens your request: read the answers, reply, close it or rate it. No password needed."})
}

func (s *Server) ticketAccess(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	if _, _, err := s.Intake.OpenTicketLink(r.Context(), token); err != nil {
		s.deadTicketLink(w, r, err)
		return
	}
	s.setGuestCookie(w, token)
	http.Redirect(w, r, "/requests/ticket", http.StatusSeeOther)
}

func (s *Server) deadTicketLink(w http.ResponseWriter, r *http.Request, err error) {
	s.clearGuestCookie(w)
	p := s.basePage(r, "This link does not open a request")
	status := s.fail(r, p, err)
	p.Error = ""
	s.render(w, status, "message", messageView{page: p, Body: "The link was revoked, or it is not one of ours. Reply to our last email to ask for a new one, or log in to see your requests.",
		Link: &struct{ Href, Text string }{"/login", "Log in"}})
}

// guestTicketView is the help center's ticket page (my_ticket.html) for a guest who came by a
// link: the forms post under /requests/ticket, and there is no list of other tickets.
type guestTicketView struct {
	myTicketView
}

// Base is where the ticket page's forms post.
func (v myTicketView) Base() string { return "/tickets/" + strconv.FormatInt(v.Ticket.ID, 10) }

// Guest says the page is a guest's, who came by a link (X5).
func (v myTicketView) Guest() bool { return false }

// Base is where the guest's forms post.
func (v guestTicketView) Base() string { return "/requests/ticket" }

// Guest says the page is a guest's.
func (v guestTicketView) Guest() bool { return true }

// FileURL is where a file of the thread downloads.
func (v myTicketView) FileURL(id int64) string { return "/attachments/" + strconv.FormatInt(id, 10) }

// FileURL is where a file of the thread downloads for a guest: under /requests, where the
// link's cookie goes.
func (v guestTicketView) FileURL(id int64) string {
	return "/requests/ticket/attachments/" + strconv.FormatInt(id, 10)
}

// guestTicketContext opens the link in the guest's cookie, and answers the page itself when
// there is none or it is dead.
func (s *Server) guestTicketContext(w http.ResponseWriter, r *http.Request) (*http.Request, int64, bool) {
	c, err := r.Cookie(GuestTicketCookie)
	if err != nil || c.Value == "" {
		p := s.basePage(r, "Open your request from its link")
		s.render(w, http.StatusUnauthorized, "message", messageView{page: p, Body: "Open the link in the email we sent you about your request, or log in to see your requests.",
			Link: &struct{ Href, Text string }{"/login", "Log in"}})
		return nil, 0, false
	}
	ctx, id, err := s.Intake.OpenTicketLink(r.Context(), c.Value)
	if err != nil {
		s.deadTicketLink(w, r, err)
		return nil, 0, false
	}
	return r.WithContext(ctx), id, true
}

func (s *Server) loadGuestTicket(r *http.Request, v *guestTicketView, id int64) error {
	if err := s.loadMyTicket(r.Context(), &v.myTicketView, id); err != nil {
		return err
	}
	// The link opens the ticket to its requester alone (flow.WithTicketGrant).
	v.IsRequester = true
	return nil
}

func (s *Server) guestTicket(w http.ResponseWriter, r *http.Request) {
	gr, id, ok := s.guestTicketContext(w, r)
	if !ok {
		return
	}
	v := guestTicketView{myTicketView{page: s.basePage(r, "Your request"), Rating: string(frontdesk.RatingGood)}}
	if err := s.loadGuestTicket(gr, &v, id); err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return
	}
	switch r.URL.Query().Get("done") {
	case "reply":
		v.Notice = "Your reply is added."
	case "close":
		v.Notice = "The request is closed."
	case "rate":
		v.Notice = "Thank you for your rating."
	}
	s.render(w, http.StatusOK, "my_ticket", v)
}

// guestTicketAction runs one form of the guest's ticket page through the requester flows,
// with the context the link opened.
func (s *Server) guestTicketAction(w http.ResponseWriter, r *http.Request, done string, run func(r *http.Request, id int64, v *guestTicketView) error) {
	gr, id, ok := s.guestTicketContext(w, r)
	if !ok {
		return
	}
	v := guestTicketView{myTicketView{page: s.basePage(r, "Your request"), Rating: string(frontdesk.RatingGood)}}
	if err := run(gr, id, &v); err != nil {
		status := s.fail(r, v.page, err)
		if lerr := s.loadGuestTicket(gr, &v, id); lerr != nil {
			s.render(w, status, "message", messageView{page: v.page})
			return
		}
		s.render(w, status, "my_ticket", v)
		return
	}
	http.Redirect(w, r, "/requests/ticket?done="+url.QueryEscape(done), http.StatusSeeOther)
}

func (s *Server) guestReply(w http.ResponseWriter, r *http.Request) {
	s.guestTicketAction(w, r, "reply", func(r *http.Request, id int64, v *guestTicketView) error {
		files, err := s.formUploads(w, r, api.MaxBodyBytes)
		v.Body = r.PostFormValue("body")
		if err != nil {
			return err
		}
		_, err = s.flows.RequesterReply(r.Context(), id, v.Body, files...)
		return err
	})
}

func (s *Server) guestClose(w http.ResponseWriter, r *http.Request) {
	s.guestTicketAction(w, r, "close", func(r *http.Request, id int64, v *guestTicketView) error {
		_, err := s.flows.RequesterClose(r.Context(), id)
		return err
	})
}

func (s *Server) guestRate(w http.ResponseWriter, r *http.Request) {
	s.guestTicketAction(w, r, "rate", func(r *http.Request, id int64, v *guestTicketView) error {
		v.Rating, v.Comment = r.PostFormValue("rating"), r.PostFormValue("comment")
		_, err := s.flows.Rate(r.Context(), id, frontdesk.RatingInput{Rating: frontdesk.Rating(v.Rating), Comment: v.Comment})
		return err
	})
}
