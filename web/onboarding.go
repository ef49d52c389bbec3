package web

import (
	"net/http"
	"net/url"

	"frontdesk/flow"
	"frontdesk/store"
)

// confirm spends a confirmation link and leads on to onboarding (C1, C2).
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	next, err := s.flows.Confirm(r.Context(), r.URL.Query().Get("token"))
	s.afterAddressLink(w, r, next, err)
}

// welcome spends a welcome link (E2, L5) and leads on to setting credentials.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request) {
	next, err := s.flows.Welcome(r.Context(), r.URL.Query().Get("token"))
	s.afterAddressLink(w, r, next, err)
}

func (s *Server) afterAddressLink(w http.ResponseWriter, r *http.Request, next flow.Next, err error) {
	if err != nil {
		p := s.basePage(r, "This link does not work")
		status := s.fail(r, p, err)
		s.render(w, status, "message", messageView{page: p, Body: "Ask for a new one from the login page, or from whoever sent it."})
		return
	}
	if next.OnboardingToken != "" {
		http.Redirect(w, r, "/onboarding?token="+url.QueryEscape(next.OnboardingToken), http.StatusSeeOther)
		return
	}
	body := "Your address is confirmed."
	if next.Person.State == "awaiting_approval" {
		body += " A manager will review your registration; we will email you when you can log in."
	}
	s.message(w, r, http.StatusOK, "Address confirmed", body, "/login", "Log in")
}

type onboardingView struct {
	*page
	Token    string
	Staff    bool
	Required bool
	Method   string
	Person   interface{ FullName() string }
}

func (s *Server) onboardingForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	p, err := s.flows.PeekOnboarding(r.Context(), token)
	if err != nil {
		pg := s.basePage(r, "This link does not work")
		s.render(w, s.fail(r, pg, err), "message", messageView{page: pg, Body: "Ask for a new link from the login page."})
		return
	}
	v := onboardingView{page: s.basePage(r, "Finish your account"), Token: token, Staff: p.Role.IsStaff(), Required: p.Role.IsStaff(), Person: p}
	v.Values["preferred_name"], v.Values["timezone"] = p.PreferredName, p.Timezone
	s.render(w, http.StatusOK, "onboarding", v)
}

// onboarding completes the wizard (C1: staff become active here) and sends the person on to
// the login.
func (s *Server) onboarding(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	v := onboardingView{page: s.basePage(r, "Finish your account"), Token: token, Method: r.PostFormValue("method")}
	v.Values = formValues(r, "preferred_name", "timezone")
	person, err := s.flows.CompleteOnboarding(r.Context(), token, flow.OnboardingInput{Method: store.LoginMethod(v.Method),
		Password: r.PostFormValue("password"), PreferredName: v.Values["preferred_name"], Timezone: v.Values["timezone"]})
	if err != nil {
		// The failed attempt spent nothing, so the token still names the person to show.
		if p, perr := s.flows.PeekOnboarding(r.Context(), token); perr == nil {
			v.Staff, v.Required, v.Person = p.Role.IsStaff(), p.Role.IsStaff(), p
		}
		s.render(w, s.fail(r, v.page, err), "onboarding", v)
		return
	}
	body := "Your account is ready."
	if store.CanLogIn(person) && v.Method != string(store.LoginCode) {
		body += " Log in with your address and your new password."
	}
	s.message(w, r, http.StatusOK, "You are all set", body, "/login", "Log in")
}
