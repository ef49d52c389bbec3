package web

import (
	"net/http"
	"strings"

	"frontdesk"
)

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login", s.basePage(r, "Log in"))
}

// safeNext keeps redirects after login on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	p := s.basePage(r, "Log in")
	p.Values = formValues(r, "email")
	login, err := s.flows.LoginWithPassword(r.Context(), p.Values["email"], r.PostFormValue("password"), clientIP(r), r.UserAgent())
	if err != nil {
		s.render(w, s.fail(r, p, err), "login", p)
		return
	}
	s.setSessionCookie(w, login.Secret, s.flows.SessionLifetime)
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

func (s *Server) requestLoginLink(w http.ResponseWriter, r *http.Request) {
	p := s.basePage(r, "Log in")
	if err := s.flows.RequestLoginLink(r.Context(), r.PostFormValue("email"), clientIP(r)); err != nil {
		s.render(w, s.fail(r, p, err), "login", p)
		return
	}
	s.message(w, r, http.StatusOK, "Check your email", "If this address belongs to an account that logs in by email, a login link is on its way. It works once, for 15 minutes.", "", "")
}

func (s *Server) loginWithLink(w http.ResponseWriter, r *http.Request) {
	login, err := s.flows.LoginWithLink(r.Context(), r.URL.Query().Get("token"), clientIP(r), r.UserAgent())
	if err != nil {
		p := s.basePage(r, "Log in")
		s.render(w, s.fail(r, p, err), "login", p)
		return
	}
	s.setSessionCookie(w, login.Secret, s.flows.SessionLifetime)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := s.basePage(r, "Log out")
	if c, err := r.Cookie(SessionCookie); err == nil && p.Viewer != nil {
		if sess, _, err := s.db.SessionPerson(r.Context(), c.Value); err == nil {
			s.db.RevokeSession(r.Context(), p.Viewer.ID, sess.ID)
		}
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "forgot", s.basePage(r, "Forgot your password?"))
}

// forgot answers the same for known and unknown addresses (E3).
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	p := s.basePage(r, "Forgot your password?")
	p.Values = formValues(r, "email")
	if err := s.flows.ForgotPassword(r.Context(), p.Values["email"], clientIP(r)); err != nil {
		s.render(w, s.fail(r, p, err), "forgot", p)
		return
	}
	s.message(w, r, http.StatusOK, "Check your email", "If this address belongs to an account that can log in, a link to set a new password is on its way.", "/login", "Back to the login")
}

type tokenView struct {
	*page
	Token string
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "reset", tokenView{s.basePage(r, "Set a new password"), r.URL.Query().Get("token")})
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	v := tokenView{s.basePage(r, "Set a new password"), r.PostFormValue("token")}
	if _, err := s.flows.ResetPassword(r.Context(), v.Token, r.PostFormValue("password")); err != nil {
		s.render(w, s.fail(r, v.page, err), "reset", v)
		return
	}
	s.message(w, r, http.StatusOK, "Password set", "Your new password is set and your other sessions have ended.", "/login", "Log in")
}

// viewerActor is the actor of the logged-in person.
func viewerActor(r *http.Request) frontdesk.Actor { return frontdesk.ActorFrom(r.Context()) }
