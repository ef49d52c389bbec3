// Package web serves the server-rendered pages: the help center's login, registration,
// confirmation, onboarding and recovery pages, and the staff console's person actions,
// approval queue and mailbox. Pages work without JavaScript; every state-changing form is
// protected against cross-site requests.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"frontdesk/auth"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/api"
	"frontdesk/directory"
	"frontdesk/flow"
	"frontdesk/imports"
	"frontdesk/inbound"
	"frontdesk/intake"
	"frontdesk/store"
)

//go:embed templates
var templateFS embed.FS

// SessionCookie names the session cookie.
const SessionCookie = "fd_session"

// Server serves the pages.
type Server struct {
	db    *store.DB
	flows *flow.Flows
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux
	csrf  *http.CrossOriginProtection
	// Secure marks cookies Secure; set when the helpdesk is served over TLS.
	Secure bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client; the
	// rate limits and the sessions see the client's address instead of the proxy's.
	TrustedProxies []netip.Prefix
	// Intake takes the help center's requests and works the review queue and the links
	// that open one ticket to a guest (C4, C5, C6, X4, X5).
	Intake *intake.Desk
	// Inbox is received mail: the console's log of it and its held messages.
	Inbox *inbound.Inbox
	// Imports uploads and follows imports (B1-B4).
	Imports *imports.Service
	// Directory syncs people from LDAP directories (B5).
	Directory *directory.Syncer
}

// templateFuncs are the few helpers the templates share.
var templateFuncs = template.FuncMap{"sizeOf": frontdesk.FormatSize}

// New parses every template (a broken one stops the binary at start, not a customer later)
// and registers the routes.
func New(db *store.DB, flows *flow.Flows, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{db: db, flows: flows, log: log, pages: map[string]*template.Template{}, mux: http.NewServeMux(),
		csrf: http.NewCrossOriginProtection(), Directory: directory.New(db, flows)}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, err
		}
		s.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	s.routes()
	return s, nil
}

// ServeHTTP refuses cross-origin state-changing requests (CSRF), then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer") // links carry one-time tokens
	s.csrf.Handler(s.mux).ServeHTTP(w, s.withClientIP(r))
}

// page is what every page shows: title, the logged-in person, a notice or an error, and the
// values and errors of its form, field by field.
type page struct {
	// Name is the template shown, marked on <main> so that tests know which page they see.
	Name    string
	Title   string
	Viewer  *frontdesk.Person
	Notice  string
	Error   string
	Values  map[string]string
	Errors  map[string]string
	focused bool
	// retryAfter is the Retry-After header of a page refused by a rate limit.
	retryAfter string
}

func (p *page) setName(name string) { p.Name = name }

func (p *page) retryAfterHeader() string { return p.retryAfter }

// fieldView is one labelled input with its error beside it.
type fieldView struct {
	Name, Label, Type, Value, Autocomplete, Error string
	Required, Autofocus                           bool
}

// Field returns the view of one input; the first field with an error gets the focus.
func (p *page) Field(name, label, typ, autocomplete string) fieldView {
	f := fieldView{Name: name, Label: label, Type: typ, Autocomplete: autocomplete, Error: p.Errors[name],
		Required: typ == "email" && name == "email"}
	if typ != "password" {
		f.Value = p.Values[name]
	}
	if f.Error != "" && !p.focused {
		f.Autofocus, p.focused = true, true
	}
	return f
}

// fail fills the page's errors from err: field errors beside their fields, the rest on top.
// Internal errors are logged and shown as a bare apology.
func (s *Server) fail(r *http.Request, p *page, err error) int {
	var e *frontdesk.Error
	if !errors.As(err, &e) {
		s.log.Error("page", "path", r.URL.Path, "err", err)
		p.Error = "Something went wrong on our side; it has been logged. Please try again."
		return http.StatusInternalServerError
	}
	p.Error = e.Message
	p.retryAfter = api.RetryAfter(e)
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	for _, f := range e.Fields {
		p.Errors[f.Field] = f.Message
	}
	if len(e.Fields) > 0 {
		p.Error = "Please correct the fields marked below."
	}
	return api.StatusOf(e.Code)
}

// render writes a page; its view embeds *page.
func (s *Server) render(w http.ResponseWriter, status int, name string, view any) {
	if n, ok := view.(interface{ setName(string) }); ok {
		n.setName(name)
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", view); err != nil {
		s.log.Error("render", "page", name, "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if ra, ok := view.(interface{ retryAfterHeader() string }); ok && ra.retryAfterHeader() != "" {
		w.Header().Set("Retry-After", ra.retryAfterHeader())
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type messageView struct {
	*page
	Body string
	Link *struct{ Href, Text string }
}

func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, title, body, href, text string) {
	v := messageView{page: s.basePage(r, title), Body: body}
	if href != "" {
		v.Link = &struct{ Href, Text string }{href, text}
	}
	s.render(w, status, "message", v)
}

type viewerKey struct{}
type sessionKey struct{}

// basePage starts a page with the logged-in person, if any.
func (s *Server) basePage(r *http.Request, title string) *page {
	p := &page{Title: title, Values: map[string]string{}, Errors: map[string]string{}}
	p.Viewer, _ = r.Context().Value(viewerKey{}).(*frontdesk.Person)
	return p
}

// withSession reads the session cookie; a request with a live session carries its person
// and actor in the context. A session of someone who may no longer log in is ignored (L3).
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			sess, p, err := s.db.SessionPerson(r.Context(), c.Value)
			var actor frontdesk.Actor
			if err == nil {
				actor = frontdesk.Actor{ID: p.ID, Role: p.Role, Name: p.FullName(), Permissions: []frontdesk.Permission{}}
				if p.Role.IsStaff() {
					// Staff act with their effective permissions, a custom role's included (R2).
					actor, err = s.db.ActorFor(r.Context(), p.ID)
				}
			}
			if err == nil {
				ctx := context.WithValue(r.Context(), viewerKey{}, p)
				ctx = context.WithValue(ctx, sessionKey{}, sess)
				r = r.WithContext(frontdesk.WithActor(ctx, actor))
			} else if frontdesk.ErrorCode(err) == frontdesk.EUnauthorized {
				s.clearCookie(w)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, secret string, lifetime time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(lifetime.Seconds())})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// ParseTrustedProxies reads a comma-separated list of CIDRs (or single addresses) of the
// reverse proxies whose X-Forwarded-For is believed.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			bad = append(bad, fmt.Sprintf("%q", f))
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s is not a CIDR such as 10.0.0.0/8 or an address", strings.Join(bad, ", "))
	}
	return out, nil
}

type clientIPKey struct{}

// clientIP is the address of the client that sent the request, as withClientIP found it.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	return auth.ClientIP(r, nil)
}

// withClientIP finds the client's address once per request (auth.ClientIP), believing
// X-Forwarded-For only from the trusted proxies.
func (s *Server) withClientIP(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientIPKey{}, auth.ClientIP(r, s.TrustedProxies)))
}

func formValues(r *http.Request, names ...string) map[string]string {
	v := map[string]string{}
	for _, n := range names {
		v[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return v
}
