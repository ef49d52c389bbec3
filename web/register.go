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
	browser, err := s.flows.Register(r.Context(), flow.Registration{Name: p.Values["name"], Email: p.Values["email"], Password: r.PostFormValue("password")}, clientIP(r))
	if err != nil {
		s.render(w, s.fail(r, p, err), "register", p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: RegistrationCookie, Value: browser, Path: "/confirm", MaxAge: 7 * 24 * 3600,
		HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode})
	s.message(w, r, http.StatusOK, "Check your email", "We sent a link to confirm your address. Open it in this browser to finish your registration with the password you chose; opened elsewhere, it asks you to choose a password.", "", "")
}
