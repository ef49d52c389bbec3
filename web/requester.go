package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
)

// Choosing a ticket's requester on the console (C10, C11, C12): a field that takes a person's
// #id, address or exact name, with suggestions while typing (a datalist the small script
// people-suggest.js fills from /console/people/suggest; without JavaScript the field still
// takes an address or #id), and the fields of a person created inline.

// newPersonFields are the inline person's form fields, in order.
var newPersonFields = []string{"new_first_name", "new_last_name", "new_email", "new_phone"}

// resolveRequester finds the person the requester field names: "#12" or "12" by id, an
// address by its owner, anything else by an exact name that one person has. "" is nobody.
func (s *Server) resolveRequester(ctx context.Context, text string) (int64, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, nil
	}
	digits := strings.TrimPrefix(text, "#")
	if i := strings.IndexByte(digits, ' '); i > 0 && strings.HasPrefix(text, "#") {
		digits = digits[:i] // a suggestion: "#12 Ann Asker <ann@example.com>"
	}
	if id, err := strconv.ParseInt(digits, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	if strings.Contains(text, "@") {
		p, err := s.db.GetPersonByEmail(ctx, text)
		if err != nil {
			return 0, frontdesk.InvalidField("requester", "nobody has the address %s; to add them, fill in the new person's fields", text)
		}
		return p.ID, nil
	}
	found, err := s.db.SuggestPeople(ctx, text, 10)
	if err != nil {
		return 0, err
	}
	var match []*frontdesk.Person
	for _, p := range found {
		if strings.EqualFold(p.FullName(), text) && !containsPerson(match, p.ID) {
			match = append(match, p)
		}
	}
	if len(match) == 1 {
		return match[0].ID, nil
	}
	if len(match) > 1 {
		return 0, frontdesk.InvalidField("requester", "%d people are called %s; pick one from the suggestions or type their address or #id", len(match), text)
	}
	return 0, frontdesk.InvalidField("requester", "nobody is called %s; type an address or #id, or pick from the suggestions", text)
}

func containsPerson(list []*frontdesk.Person, id int64) bool {
	for _, p := range list {
		if p.ID == id {
			return true
		}
	}
	return false
}

// postedNewPerson reads the inline person's fields into v's values and returns their input,
// or nil when all are empty.
func postedNewPerson(r *http.Request, v *page) *frontdesk.PersonInput {
	var in frontdesk.PersonInput
	filled := false
	for _, k := range newPersonFields {
		val := strings.TrimSpace(r.PostFormValue(k))
		v.Values[k] = val
		if val == "" {
			continue
		}
		filled = true
		switch k {
		case "new_first_name":
			in.FirstName = &val
		case "new_last_name":
			in.LastName = &val
		case "new_email":
			in.Email = &val
		case "new_phone":
			in.Phones = &[]frontdesk.Phone{{Number: val}}
		}
	}
	if !filled {
		return nil
	}
	return &in
}

// newPersonErrors puts the problems of an inline person (requester.FIELD) beside its form
// fields, and those of requester_id beside the requester field.
func newPersonErrors(p *page) {
	for k, msg := range p.Errors {
		field, ok := strings.CutPrefix(k, "requester.")
		target := ""
		switch {
		case k == "requester_id":
			target = "requester"
		case !ok:
			continue
		case field == "name" || field == "first_name":
			target = "new_first_name"
		case field == "last_name":
			target = "new_last_name"
		case field == "email" || strings.HasPrefix(field, "emails"):
			target = "new_email"
		case strings.HasPrefix(field, "phones"):
			target = "new_phone"
		default:
			target = "requester"
		}
		if p.Errors[target] == "" {
			p.Errors[target] = msg
		}
	}
}

// personOption is one suggestion: the value the field takes and what it shows.
type personOption struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

func optionFor(p *frontdesk.Person) personOption {
	v := "#" + strconv.FormatInt(p.ID, 10) + " " + p.FullName()
	if e := p.PrimaryEmail(); e != "" {
		v += " <" + e + ">"
	}
	return personOption{ID: p.ID, Value: strings.TrimSpace(v)}
}

// suggestPeople answers the requester field's type-ahead with up to ten people whose name or
// address starts with q (P5), for staff who may read people: {"data": [{id, value}]}.
func (s *Server) suggestPeople(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermPeopleRead) {
		return
	}
	var probs frontdesk.Problems
	q := frontdesk.CleanText(&probs, "q", r.URL.Query().Get("q"), 254, frontdesk.OneLine)
	out := []personOption{}
	status := http.StatusOK
	if probs.Err() != nil {
		status = http.StatusUnprocessableEntity
	} else if q != "" {
		people, err := s.db.SuggestPeople(r.Context(), q, 10)
		if err != nil {
			s.log.Error("suggest people", "err", err)
			status = http.StatusInternalServerError
		}
		for _, p := range people {
			if p.State != frontdesk.StateTrashed {
				out = append(out, optionFor(p))
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Data []personOption `json:"data"`
	}{out})
}
