package web

import (
	"net/http"

	"frontdesk/flow"
)

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "register", s.basePage(r, "Register"))
}

// register answers the same whether or not the address was taken (C7).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	p := s.basePage(r, "Register")
	p.Values = formValues(r, "name", "email")
	err := s.flows.Register(r.Context(), flow.Registration{Name: p.Values["name"], Email: p.Values["email"], Password: r.PostFormValue("password")}, clientIP(r))
	if err != nil {
		s.render(w, s.fail(r, p, err), "register", p)
		return
	}
	s.message(w, r, http.StatusOK, "Check your email", "We sent a link to confirm your address. Open it to finish your registration.", "", "")
}
