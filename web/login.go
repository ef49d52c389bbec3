package web

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"frontdesk"
)

// loginView is the login page; Next is where the person goes once logged in, carried
// through the form so that it survives a failed attempt.
type loginView struct {
	*page
	Next string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login", loginView{s.basePage(r, "Log in"), safeNext(r.URL.Query().Get("next"))})
}

// safeNext keeps redirects after login on this site: only an absolute path of this origin,
// judged after the URL is parsed and cleaned as a browser would read it. Browsers drop tabs
// and newlines and read a backslash as a slash, so "/\t/evil.example" means
// "//evil.example": anything with those, or with a scheme or host, goes home instead.
func safeNext(next string) string {
	if next == "" || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	clean := path.Clean(u.Path)
	if strings.HasPrefix(clean, "//") {
		return "/"
	}
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}

// login logs in with a password, or with a login code when the form carries a code and no
// password (C1): the code form posts here too, so /login is the one door.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("password") == "" && r.PostFormValue("code") != "" {
		s.loginWithCode(w, r)
		return
	}
	v := loginView{s.basePage(r, "Log in"), safeNext(r.PostFormValue("next"))}
	v.Values = formValues(r, "email")
	login, err := s.flows.LoginWithPassword(r.Context(), v.Values["email"], r.PostFormValue("password"), clientIP(r), r.UserAgent())
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "login", v)
		return
	}
	s.setSessionCookie(w, login.Secret, s.flows.SessionLifetime)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// requestLoginCode sends a login code to people who log in by email (C1) and shows the form
// to type it, the same for every address.
func (s *Server) requestLoginCode(w http.ResponseWriter, r *http.Request) {
	v := loginView{s.basePage(r, "Log in with a code"), safeNext(r.PostFormValue("next"))}
	v.Values = formValues(r, "email")
	if err := s.flows.RequestLoginCode(r.Context(), v.Values["email"], clientIP(r)); err != nil {
		v.Title = "Log in"
		s.render(w, s.fail(r, v.page, err), "login", v)
		return
	}
	v.Notice = "If this address belongs to an account that logs in by email, a code is on its way. It works once, for 15 minutes."
	s.render(w, http.StatusOK, "login_code", v)
}

func (s *Server) loginCodeForm(w http.ResponseWriter, r *http.Request) {
	v := loginView{s.basePage(r, "Log in with a code"), safeNext(r.URL.Query().Get("next"))}
	v.Values["email"] = r.URL.Query().Get("email")
	s.render(w, http.StatusOK, "login_code", v)
}

func (s *Server) loginWithCode(w http.ResponseWriter, r *http.Request) {
	v := loginView{s.basePage(r, "Log in with a code"), safeNext(r.PostFormValue("next"))}
	v.Values = formValues(r, "email")
	login, err := s.flows.LoginWithCode(r.Context(), v.Values["email"], r.PostFormValue("code"), clientIP(r), r.UserAgent())
	if err != nil {
		s.render(w, s.fail(r, v.page, err), "login_code", v)
		return
	}
	s.setSessionCookie(w, login.Secret, s.flows.SessionLifetime)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
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
