package web

import (
	"net/http"
	"slices"
	"strconv"

	"frontdesk"
)

// The console's request types (C9): which custom fields of the person a request form asks
// for, and whether it asks for the contact's details at all. One page lists them with a form
// that creates one, or changes the one being edited.

type ticketTypesView struct {
	*page
	Types  []*frontdesk.TicketType
	Fields []*frontdesk.CustomField
	// Editing is the type the form changes, nil for a new one.
	Editing *frontdesk.TicketType
	// Hide and Asked are the form's values.
	Hide  bool
	Asked []string
}

// Asks says whether the form has the custom field key ticked.
func (v ticketTypesView) Asks(key string) bool { return slices.Contains(v.Asked, key) }

func (s *Server) loadTicketTypes(r *http.Request, v *ticketTypesView) error {
	var err error
	if v.Types, err = s.db.TicketTypes(r.Context()); err != nil {
		return err
	}
	v.Fields, err = s.db.ListCustomFields(r.Context())
	return err
}

// editedType finds the type of the path's id, or answers not found.
func (s *Server) editedType(r *http.Request, v *ticketTypesView) error {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, t := range v.Types {
		if t.ID == id {
			v.Editing = t
			return nil
		}
	}
	return frontdesk.Errorf(frontdesk.ENotFound, "there is no request type %s", r.PathValue("id"))
}

func (s *Server) ticketTypes(w http.ResponseWriter, r *http.Request) {
	s.showTicketTypes(w, r, false)
}

func (s *Server) ticketTypeForm(w http.ResponseWriter, r *http.Request) {
	s.showTicketTypes(w, r, true)
}

// ticketTypesPage reads what the page shows, the edited type too when edit is set; on a
// failure it has answered already and returns nil.
func (s *Server) ticketTypesPage(w http.ResponseWriter, r *http.Request, edit bool) *ticketTypesView {
	if !s.requirePermission(w, r, frontdesk.PermSettingsManage) {
		return nil
	}
	v := &ticketTypesView{page: s.basePage(r, "Request types")}
	err := s.loadTicketTypes(r, v)
	if err == nil && edit {
		err = s.editedType(r, v)
	}
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "message", messageView{page: v.page})
		return nil
	}
	return v
}

func (s *Server) showTicketTypes(w http.ResponseWriter, r *http.Request, edit bool) {
	v := s.ticketTypesPage(w, r, edit)
	if v == nil {
		return
	}
	if t := v.Editing; t != nil {
		v.Title = "Request type: " + t.Name
		v.Values["key"], v.Values["name"], v.Hide, v.Asked = t.Key, t.Name, t.HideContactFields, t.PersonFields
	}
	if r.URL.Query().Get("done") == "1" {
		v.Notice = "Request type saved."
	}
	s.render(w, http.StatusOK, "ticket_types", v)
}

func (s *Server) createTicketType(w http.ResponseWriter, r *http.Request) {
	s.saveTicketType(w, r, false)
}

func (s *Server) updateTicketType(w http.ResponseWriter, r *http.Request) {
	s.saveTicketType(w, r, true)
}

// saveTicketType creates or changes a type through the intake's one path, which checks the
// permission, the key, the name and that the fields exist.
func (s *Server) saveTicketType(w http.ResponseWriter, r *http.Request, edit bool) {
	v := s.ticketTypesPage(w, r, edit)
	if v == nil {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.render(w, s.fail(r, v.page, frontdesk.Errorf(frontdesk.EInvalid, "the form could not be read")), "message", messageView{page: v.page})
		return
	}
	v.Values = formValues(r, "key", "name")
	v.Hide, v.Asked = r.PostFormValue("hide_contact_fields") == "true", r.PostForm["person_fields"]
	if v.Asked == nil {
		v.Asked = []string{}
	}
	var id int64
	if v.Editing != nil {
		id = v.Editing.ID
		v.Title = "Request type: " + v.Editing.Name
	}
	in := frontdesk.TicketTypeInput{Key: ptrTo(v.Values["key"]), Name: ptrTo(v.Values["name"]), HideContactFields: &v.Hide, PersonFields: &v.Asked}
	if _, err := s.Intake.SaveTicketType(r.Context(), id, in); err != nil {
		s.render(w, s.fail(r, v.page, err), "ticket_types", v)
		return
	}
	http.Redirect(w, r, "/console/ticket-types?done=1", http.StatusSeeOther)
}

func ptrTo[T any](v T) *T { return &v }
