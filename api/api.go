// Package api serves Frontdesk's JSON REST API under /api/v1 (I2) and the operations
// endpoints (I5). Handlers decode and check input, ask the domain and the store, and encode
// the answer; errors become application/problem+json in one place (writeError).
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"frontdesk/inbound"
	"frontdesk/intake"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"frontdesk"
	"frontdesk/directory"
	"frontdesk/flow"
	"frontdesk/importer"
	"frontdesk/imports"
	"frontdesk/jobs"
	"frontdesk/mail"
	"frontdesk/store"
)

// MaxBodyBytes bounds every request body but the inbound pipe's (the inbox's limit) and
// those that carry files (UploadBodyLimit).
const MaxBodyBytes = 1 << 20

// Config is what the API needs besides the store.
type Config struct {
	PhoneRegion string
	Logger      *slog.Logger
	// Flows runs the flows behind the mail and lifecycle endpoints and sends what creating a
	// person causes; nil builds them with the defaults.
	Flows *flow.Flows
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string
	// Intake takes requests (POST /api/v1/requests and the review queue); nil builds one
	// over Flows.
	Intake *intake.Desk
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client, whom
	// the public endpoint's rate limits count.
	TrustedProxies []netip.Prefix
	// Inbox receives mail an MTA pipes to POST /api/v1/inbound; nil builds one over Intake.
	Inbox *inbound.Inbox
	// Imports stores uploaded imports and queues their jobs; nil builds one whose jobs wait
	// for a runner (tests of the API alone).
	Imports *imports.Service
	// Directory syncs people from LDAP directories (B5); nil builds one over Flows.
	Directory *directory.Syncer
}

// Server is the HTTP API.
type Server struct {
	db      *store.DB
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	reg     *prometheus.Registry
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec

	// cached settings: read on every person shown, changed rarely
	settingsMu sync.Mutex
	cached     frontdesk.Settings
	cachedAt   time.Time
}

// New returns the API with every route registered.
func New(db *store.DB, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PhoneRegion == "" {
		cfg.PhoneRegion = "US"
	}
	if cfg.Flows == nil {
		// Without the server's flows (tests of the API alone), mail is queued with the
		// default settings and stays in the local mailbox.
		mailer, err := mail.New(db, mail.Config{})
		if err != nil {
			panic(err) // the built-in templates are parsed; they cannot fail here
		}
		cfg.Flows = flow.New(db, mailer, "")
		cfg.Flows.PhoneRegion = cfg.PhoneRegion
	}
	if cfg.Intake == nil {
		cfg.Intake = intake.New(cfg.Flows)
	}
	if cfg.Inbox == nil {
		cfg.Inbox = inbound.New(cfg.Intake)
	}
	if cfg.Imports == nil {
		cfg.Imports = imports.New(db, importer.New(db, cfg.Flows), jobs.NewRunner(db, jobs.Config{}), cfg.Logger)
	}
	if cfg.Directory == nil {
		cfg.Directory = directory.New(db, cfg.Flows)
	}
	s := &Server{db: db, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), reg: prometheus.NewRegistry()}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_http_requests_total",
		Help: "HTTP requests by route, method and status code."}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "frontdesk_http_request_duration_seconds",
		Help: "HTTP request latency by route.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	s.reg.MustRegister(s.reqs, s.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.routes()
	return s
}

// Registry returns the metrics registry, so that other parts of the binary add theirs.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.Handle("GET /metrics", s.Metrics())
	s.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(OpenAPI)
	})

	type perm = frontdesk.Permission
	handle := func(pattern string, p perm, h func(w http.ResponseWriter, r *http.Request) error) {
		s.mux.Handle(pattern, s.authenticated(p, h))
	}
	handle("GET /api/v1/people", frontdesk.PermPeopleRead, s.listPeople)
	handle("POST /api/v1/people", frontdesk.PermPeopleCreate, s.createPerson)
	handle("GET /api/v1/people/suggest", frontdesk.PermPeopleRead, s.suggestPeople)
	handle("GET /api/v1/people/{id}", frontdesk.PermPeopleRead, s.getPerson)
	handle("PATCH /api/v1/people/{id}", frontdesk.PermPeopleUpdate, s.updatePerson)
	handle("POST /api/v1/people/{id}/state", frontdesk.PermPeopleManage, s.setPersonState)
	// X7, X8: the flows check people.create, people.update and rank item by item.
	handle("POST /api/v1/people/bulk", anyStaff, s.bulkPeople)
	handle("POST /api/v1/people/invitations", frontdesk.PermPeopleUpdate, s.inviteSegment)
	handle("POST /api/v1/people/{id}/addresses/{index}/copy-to-site", frontdesk.PermPeopleUpdate, s.copyAddressToSite)

	handle("GET /api/v1/organizations", frontdesk.PermPeopleRead, s.listOrganizations)
	handle("POST /api/v1/organizations", frontdesk.PermPeopleUpdate, s.createOrganization)
	handle("GET /api/v1/organizations/{id}", frontdesk.PermPeopleRead, s.getOrganization)
	handle("PATCH /api/v1/organizations/{id}", frontdesk.PermPeopleUpdate, s.updateOrganization)
	handle("GET /api/v1/organizations/{id}/sites", frontdesk.PermPeopleRead, s.listOrganizationSites)
	// X6: adding domains previews, then moves, the people with a confirmed address there.
	handle("POST /api/v1/organizations/{id}/domains/preview", frontdesk.PermPeopleUpdate, s.previewOrganizationDomains)
	handle("POST /api/v1/organizations/{id}/domains/apply", frontdesk.PermPeopleUpdate, s.applyOrganizationDomains)

	handle("GET /api/v1/sites", frontdesk.PermPeopleRead, s.listSites)
	handle("POST /api/v1/sites", frontdesk.PermPeopleUpdate, s.createSite)
	handle("GET /api/v1/sites/{id}", frontdesk.PermPeopleRead, s.getSite)
	handle("PATCH /api/v1/sites/{id}", frontdesk.PermPeopleUpdate, s.updateSite)

	handle("GET /api/v1/custom-fields", frontdesk.PermPeopleRead, s.listCustomFields)
	handle("POST /api/v1/custom-fields", frontdesk.PermSettingsManage, s.createCustomField)
	handle("GET /api/v1/custom-fields/{id}", frontdesk.PermPeopleRead, s.getCustomField)
	handle("PATCH /api/v1/custom-fields/{id}", frontdesk.PermSettingsManage, s.updateCustomField)

	handle("GET /api/v1/segments", frontdesk.PermPeopleRead, s.listSegments)
	handle("POST /api/v1/segments", frontdesk.PermPeopleRead, s.createSegment)
	handle("GET /api/v1/segments/{id}", frontdesk.PermPeopleRead, s.getSegment)
	handle("PATCH /api/v1/segments/{id}", frontdesk.PermPeopleRead, s.updateSegment)
	handle("GET /api/v1/segments/{id}/people", frontdesk.PermPeopleRead, s.listSegmentPeople)

	handle("GET /api/v1/audit", frontdesk.PermAuditRead, s.listAudit)

	// R2: custom staff roles; defining them needs roles.assign and settings.manage.
	handle("GET /api/v1/roles", frontdesk.PermPeopleRead, s.listStaffRoles)
	handle("POST /api/v1/roles", frontdesk.PermRolesAssign, also(frontdesk.PermSettingsManage, s.createStaffRole))
	handle("GET /api/v1/roles/{id}", frontdesk.PermPeopleRead, s.getStaffRole)
	handle("PATCH /api/v1/roles/{id}", frontdesk.PermRolesAssign, also(frontdesk.PermSettingsManage, s.updateStaffRole))
	// P2: the owner alone hands ownership over; the handler checks for the owner.
	handle("POST /api/v1/owner/hand-over", frontdesk.PermRolesAssign, s.handOverOwnership)

	handle("POST /api/v1/people/{id}/activate", frontdesk.PermPeopleManage, s.activatePerson)
	handle("POST /api/v1/people/{id}/welcome", frontdesk.PermPeopleUpdate, s.sendWelcome)
	handle("POST /api/v1/people/{id}/password-reset", frontdesk.PermPeopleUpdate, s.sendPasswordReset)

	handle("GET /api/v1/mail-templates", frontdesk.PermSettingsManage, s.listMailTemplates)
	handle("GET /api/v1/mail-templates/{name}", frontdesk.PermSettingsManage, s.getMailTemplate)
	handle("PUT /api/v1/mail-templates/{name}", frontdesk.PermSettingsManage, s.saveMailTemplate)
	handle("DELETE /api/v1/mail-templates/{name}", frontdesk.PermSettingsManage, s.resetMailTemplate)
	handle("POST /api/v1/mail-templates/{name}/preview", frontdesk.PermSettingsManage, s.previewMailTemplate)
	handle("GET /api/v1/mail", frontdesk.PermSettingsManage, s.listMail)
	handle("GET /api/v1/mail/{id}", frontdesk.PermSettingsManage, s.getMail)

	// T1: the flows decide between a note (tickets.note) and a reply (tickets.answer).
	handle("GET /api/v1/tickets", frontdesk.PermTicketsRead, s.listTickets)
	handle("POST /api/v1/tickets", frontdesk.PermTicketsAnswer, s.createTicket)
	handle("GET /api/v1/tickets/{id}", frontdesk.PermTicketsRead, s.getTicket)
	handle("PATCH /api/v1/tickets/{id}", frontdesk.PermTicketsAnswer, s.updateTicket)
	handle("GET /api/v1/tickets/{id}/messages", frontdesk.PermTicketsRead, s.listTicketMessages)
	handle("POST /api/v1/tickets/{id}/messages", frontdesk.PermTicketsRead, s.addTicketMessage)
	handle("POST /api/v1/tickets/{id}/spam", frontdesk.PermTicketsAnswer, s.markTicketSpam)

	// C6: the public door for requests; a token is optional (see createRequest).
	s.mux.Handle("POST /api/v1/requests", s.public(s.createRequest))
	s.mux.HandleFunc("OPTIONS /api/v1/requests", s.requestPreflight)
	// X4: requests the intake policy held; C9: request forms; X5: a ticket's guest links.
	handle("GET /api/v1/review-queue", frontdesk.PermTicketsAnswer, s.listReview)
	handle("GET /api/v1/review-queue/{id}", frontdesk.PermTicketsAnswer, s.getReview)
	handle("POST /api/v1/review-queue/{id}/release", frontdesk.PermTicketsAnswer, s.releaseReview)
	handle("POST /api/v1/review-queue/{id}/discard", frontdesk.PermTicketsAnswer, s.discardReview)
	handle("GET /api/v1/ticket-types", frontdesk.PermTicketsRead, s.listTicketTypes)
	handle("POST /api/v1/ticket-types", frontdesk.PermSettingsManage, s.createTicketType)
	handle("PATCH /api/v1/ticket-types/{id}", frontdesk.PermSettingsManage, s.updateTicketType)
	handle("DELETE /api/v1/ticket-types/{id}", frontdesk.PermSettingsManage, s.deleteTicketType)
	handle("POST /api/v1/tickets/{id}/links/revoke", frontdesk.PermTicketsAnswer, s.revokeTicketLinks)
	// C8: an MTA's pipe hands received mail in.
	handle("POST /api/v1/inbound", frontdesk.PermMailInbound, s.receiveMail)
	// C8, X3, X4: mailboxes, the log of received mail, the suppression list and bounces.
	handle("GET /api/v1/mailboxes", frontdesk.PermSettingsManage, s.listMailboxes)
	handle("POST /api/v1/mailboxes", frontdesk.PermSettingsManage, s.createMailbox)
	handle("GET /api/v1/mailboxes/{id}", frontdesk.PermSettingsManage, s.getMailbox)
	handle("PATCH /api/v1/mailboxes/{id}", frontdesk.PermSettingsManage, s.updateMailbox)
	handle("DELETE /api/v1/mailboxes/{id}", frontdesk.PermSettingsManage, s.deleteMailbox)
	// B5: directory sources, their previews and runs.
	handle("GET /api/v1/directories", frontdesk.PermSettingsManage, s.listDirectories)
	handle("POST /api/v1/directories", frontdesk.PermSettingsManage, s.createDirectory)
	handle("GET /api/v1/directories/{id}", frontdesk.PermSettingsManage, s.getDirectory)
	handle("PATCH /api/v1/directories/{id}", frontdesk.PermSettingsManage, s.updateDirectory)
	handle("DELETE /api/v1/directories/{id}", frontdesk.PermSettingsManage, s.deleteDirectory)
	handle("POST /api/v1/directories/{id}/preview", frontdesk.PermImportsRun, s.previewDirectory)
	handle("GET /api/v1/directories/{id}/runs", frontdesk.PermImportsRun, s.listDirectoryRuns)
	handle("GET /api/v1/directories/{id}/runs/{run}", frontdesk.PermImportsRun, s.getDirectoryRun)
	handle("POST /api/v1/directories/{id}/runs/{run}/apply", frontdesk.PermImportsRun, s.applyDirectoryRun)
	handle("GET /api/v1/inbound", frontdesk.PermTicketsAnswer, s.listInbound)
	handle("GET /api/v1/inbound/{id}", frontdesk.PermTicketsAnswer, s.getInbound)
	handle("GET /api/v1/inbound/{id}/raw", frontdesk.PermTicketsAnswer, s.inboundRaw)
	handle("POST /api/v1/inbound/{id}/release", frontdesk.PermTicketsAnswer, s.releaseInbound)
	handle("POST /api/v1/inbound/{id}/discard", frontdesk.PermTicketsAnswer, s.discardInbound)
	handle("GET /api/v1/suppressions", frontdesk.PermSettingsManage, s.listSuppressions)
	handle("POST /api/v1/suppressions", frontdesk.PermSettingsManage, s.addSuppression)
	handle("DELETE /api/v1/suppressions/{address}", frontdesk.PermSettingsManage, s.removeSuppression)
	handle("GET /api/v1/bounces", frontdesk.PermSettingsManage, s.listBounces)
	// T2: a ticket's files, to whoever may see the ticket (flow.Attachment decides).
	handle("GET /api/v1/attachments/{id}", frontdesk.PermTicketsRead, s.getAttachment)

	// B6: the groups SCIM pushes, and what each gives its members.
	handle("GET /api/v1/scim-groups", frontdesk.PermPeopleRead, s.listSCIMGroups)
	handle("PATCH /api/v1/scim-groups/{id}", frontdesk.PermSettingsManage, s.mapSCIMGroup)

	handle("GET /api/v1/settings", frontdesk.PermPeopleRead, s.getSettings)
	handle("PATCH /api/v1/settings", frontdesk.PermSettingsManage, s.updateSettings)

	// B1-B4: imports run as jobs; imports.Service checks the permission again.
	handle("GET /api/v1/imports", frontdesk.PermImportsRun, s.listImports)
	handle("POST /api/v1/imports", frontdesk.PermImportsRun, s.createImport)
	handle("GET /api/v1/imports/{id}", frontdesk.PermImportsRun, s.getImport)
	handle("POST /api/v1/imports/{id}/retry", frontdesk.PermImportsRun, s.retryImport)
	handle("GET /api/v1/imports/{id}/{file}", frontdesk.PermImportsRun, s.importFile)

	// I2: every staff member's own API tokens; whose others' a caller sees and revokes, the
	// domain decides (people.manage, and rank).
	handle("GET /api/v1/tokens", anyStaff, s.listTokens)
	handle("POST /api/v1/tokens", anyStaff, s.createToken)
	handle("DELETE /api/v1/tokens/{id}", anyStaff, s.revokeToken)

	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if allowed := s.allowedMethods(r); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, r, s.log, &frontdesk.Error{Code: frontdesk.EMethod, Message: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or "))})
			return
		}
		writeError(w, r, s.log, frontdesk.Errorf(frontdesk.ENotFound, "there is no endpoint %s %s", r.Method, r.URL.Path))
	})
}

// allowedMethods lists the methods that have a route for the request's path.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "" {
			out = append(out, m)
		}
	}
	return out
}

// Metrics serves the Prometheus metrics, to holders of the metrics token when one is set.
func (s *Server) Metrics() http.Handler {
	h := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	if s.cfg.MetricsToken == "" {
		return h
	}
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(secret)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk-metrics"`)
			writeError(w, r, s.log, frontdesk.Errorf(frontdesk.EUnauthorized, "the metrics token is required: send Authorization: Bearer <token>"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ready answers whether the database answers.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// ServeHTTP logs and measures every request, recovers from panics, and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			if !rec.wrote {
				writeError(rec, r, s.log, fmt.Errorf("panic: %v", v))
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.reqs.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		s.latency.WithLabelValues(route).Observe(d.Seconds())
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "route", route, "status", rec.status,
			"duration_ms", float64(d.Microseconds())/1000)
	}()
	limit := int64(MaxBodyBytes)
	if r.URL.Path == inboundPath {
		// Mail comes with attachments: the inbox's own limit holds there.
		limit = s.cfg.Inbox.MaxMessageBytes
	} else if r.Method == http.MethodPost && r.URL.Path == importsPath {
		// Import files: the import setting's limit (createImport names it in its 413).
		n, _ := s.importLimit(r.Context())
		limit = n + importFormSlack
	} else if r.URL.Path == bulkPeoplePath {
		// A thousand people are more than a single person's megabyte.
		limit = MaxBulkBodyBytes
	} else if r.Method == http.MethodPost && takesUploads(r.URL.Path) {
		// Requests and replies bring files: as much as the attachment setting allows.
		limit = s.uploadBodyLimit(r.Context())
	}
	r.Body = http.MaxBytesReader(rec, r.Body, limit)
	s.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// public runs h for anyone, token or not; h decides what a token changes.
func (s *Server) public(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// bearer returns the bearer token of r, if it sends one.
func bearer(r *http.Request) (scheme, secret string, ok bool) {
	scheme, secret, _ = strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	return scheme, secret, strings.EqualFold(scheme, "Bearer") && secret != ""
}

// authenticated checks the bearer token and the permission, then runs h with the actor in
// the context (R4: every endpoint checks).
func (s *Server) authenticated(p frontdesk.Permission, h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, secret, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk"`)
			writeError(w, r, s.log, frontdesk.Errorf(frontdesk.EUnauthorized, "an API token is required: send Authorization: Bearer <token>"))
			return
		}
		actor, err := s.db.Authenticate(r.Context(), secret)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk", error="invalid_token"`)
			writeError(w, r, s.log, err)
			return
		}
		if p != anyStaff && !actor.Can(p) {
			writeError(w, r, s.log, frontdesk.Errorf(frontdesk.EForbidden, "the %s role lacks the %s permission", actor.RoleName(), p))
			return
		}
		r = r.WithContext(frontdesk.WithActor(r.Context(), actor))
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// StatusOf maps an error code to its HTTP status; the only place that does (the pages use
// it too).
func StatusOf(code frontdesk.Code) int {
	switch code {
	case frontdesk.EMalformed:
		return http.StatusBadRequest
	case frontdesk.EInvalid:
		return http.StatusUnprocessableEntity
	case frontdesk.ENotFound:
		return http.StatusNotFound
	case frontdesk.EConflict:
		return http.StatusConflict
	case frontdesk.EForbidden:
		return http.StatusForbidden
	case frontdesk.EUnauthorized:
		return http.StatusUnauthorized
	case frontdesk.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case frontdesk.EMethod:
		return http.StatusMethodNotAllowed
	case frontdesk.ETooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// RetryAfter returns the Retry-After header (in seconds) that goes with a refusal by a rate
// limit, or "" for other errors; the API and the pages both send it.
func RetryAfter(e *frontdesk.Error) string {
	if e.Code != frontdesk.ETooMany {
		return ""
	}
	if n, ok := e.Extra["retry_after_seconds"].(int); ok && n > 0 {
		return strconv.Itoa(n)
	}
	return "1"
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string                 `json:"type"`
	Title  string                 `json:"title"`
	Status int                    `json:"status"`
	Detail string                 `json:"detail"`
	Errors []frontdesk.FieldError `json:"errors,omitempty"`
	Extra  map[string]any         `json:"-"`
}

// writeError answers with a problem document. Errors that are not a *frontdesk.Error are
// internal: logged in full, shown as a bare 500.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *frontdesk.Error
	if !errors.As(err, &e) {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = frontdesk.Errorf(frontdesk.EInternal, "an internal error occurred; it has been logged")
	}
	status := StatusOf(e.Code)
	p := problem{Type: "https://frontdesk.invalid/problems/" + string(e.Code), Title: http.StatusText(status),
		Status: status, Detail: e.Message, Errors: e.Fields}
	body := map[string]any{}
	for k, v := range e.Extra {
		body[k] = v
	}
	b, _ := json.Marshal(p)
	json.Unmarshal(b, &body)
	if v := RetryAfter(e); v != "" {
		w.Header().Set("Retry-After", v)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body into v, refusing bodies that are not valid UTF-8 (400), unknown
// fields (matched exactly, case included), keys given twice, wrong types, trailing data and
// bodies over MaxBodyBytes, with the field at fault named.
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	if err := checkUTF8(body); err != nil {
		return err
	}
	if err := checkKeys(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		return frontdesk.InvalidField("body", "holds more than one JSON value")
	}
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return frontdesk.InvalidField("body", "is empty; a JSON object is expected")
	case errors.As(err, &syntax):
		return frontdesk.InvalidField("body", "is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return frontdesk.InvalidField(field, "must be %s, not %s", describeType(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// checkKeys names unknown fields first; this is the decoder's word, kept in case.
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return frontdesk.InvalidField(name, "is not a known field")
	}
	return frontdesk.InvalidField("body", "%v", err)
}

// checkUTF8 refuses a body that is not valid UTF-8, and JSON escapes of lone UTF-16
// surrogates, which are no characters: encoding/json would turn either into U+FFFD without a
// word, storing something other than what was sent.
func checkUTF8(body []byte) error {
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, n := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return malformed("is not valid UTF-8 (the first bad byte is at offset %d)", off)
	}
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(body):
			if body[i+1] != 'u' {
				i++ // skip the escaped character, which may be a quote
				continue
			}
			hi, ok := hexRune(body, i+2)
			if !ok || !utf16.IsSurrogate(hi) {
				i++
				continue
			}
			lo, ok := rune(0), false
			if i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
				lo, ok = hexRune(body, i+8)
			}
			if !ok || utf16.DecodeRune(hi, lo) == utf8.RuneError {
				return malformed("holds the escape \\u%04X at offset %d, half of a UTF-16 surrogate pair, which is no character", hi, i)
			}
			i += 11 // past both escapes, less the loop's own step
		}
	}
	return nil
}

// hexRune reads the four hex digits of a \u escape starting at body[i].
func hexRune(body []byte, i int) (rune, bool) {
	if i+4 > len(body) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(body[i:i+4]), 16, 16)
	return rune(n), err == nil
}

func malformed(format string, args ...any) error {
	var p frontdesk.Problems
	p.Add("body", format, args...)
	return &frontdesk.Error{Code: frontdesk.EMalformed, Message: "the body cannot be read", Fields: p}
}

// checkKeys walks the body's JSON against the type it is decoded into and names, at every
// depth, each key given twice and each key that is not exactly a field of the target
// (encoding/json would match "NAME" to name and let the last of two keys win). A body that
// is not JSON passes, for the decoder to describe.
func checkKeys(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var probs frontdesk.Problems
	if err := walkKeys(dec, reflect.TypeOf(v), "", &probs); err != nil {
		return nil
	}
	return probs.Err()
}

// walkKeys reads one JSON value from dec; t is the Go type it is decoded into, or nil when
// none (an unknown field, or any).
func walkKeys(dec *json.Decoder, t reflect.Type, path string, probs *frontdesk.Problems) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		t = nil // a type that reads itself (Ref) takes any shape; keys are still checked
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			field := key
			if path != "" {
				field = path + "." + key
			}
			var elem reflect.Type
			switch {
			case seen[key]:
				probs.Add(field, "is given twice; give each field once")
			case fields != nil:
				if ft, ok := fields[key]; ok {
					elem = ft
				} else {
					probs.Add(field, "is not a known field")
				}
			case t != nil && t.Kind() == reflect.Map:
				elem = t.Elem()
			}
			seen[key] = true
			if err := walkKeys(dec, elem, field, probs); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkKeys(dec, elem, fmt.Sprintf("%s[%d]", path, i), probs); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields, as encoding/json reads them, to their
// types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" && !strings.HasPrefix(tag, "-,"):
			continue
		case f.Anonymous && name == "" && (f.Type.Kind() == reflect.Struct || f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct):
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			for k, v := range jsonFields(et) {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		if t.Name() == "Ref" {
			return "a positive integer id or null"
		}
		return "an object"
	}
	return t.String()
}

// pathID reads the {id} of the route.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, frontdesk.Errorf(frontdesk.ENotFound, "%q is not an id", r.PathValue("id"))
	}
	return id, nil
}

// getByID answers a GET of one object by the route's {id}.
func getByID[T any](w http.ResponseWriter, r *http.Request, get func(context.Context, int64) (T, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// updateByID answers a PATCH of one object by the route's {id}: the body is decoded into
// the object's input type and handed to update, which validates, stores and audits.
func updateByID[In, T any](w http.ResponseWriter, r *http.Request, update func(context.Context, int64, In) (T, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in In
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := update(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// page reads the cursor and limit of a list request.
func page(r *http.Request) (frontdesk.Page, error) {
	var p frontdesk.Page
	var probs frontdesk.Problems
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		id, err2 := strconv.ParseInt(strings.TrimPrefix(string(b), "after:"), 10, 64)
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "after:") || id <= 0 {
			probs.Add("cursor", "is not a cursor this API gave")
		}
		p.After = id
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > frontdesk.MaxPageSize {
			probs.Add("limit", "must be a number from 1 to %d", frontdesk.MaxPageSize)
		}
		p.Limit = n
	}
	return p, probs.Err()
}

// list is the envelope of every list answer.
type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func newList[T any](items []T, next int64) list[T] {
	l := list[T]{Data: items}
	if next != 0 {
		c := base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.FormatInt(next, 10)))
		l.NextCursor = &c
	}
	return l
}

// creator stores what a create request asked for and returns what to answer.
type creator func(ctx context.Context) (any, error)

// replayer is an answer that differs when replayed: a new API token's secret is answered
// once and never stored with the Idempotency-Key.
type replayer interface{ Replay() any }

// create runs a create request. prepare decodes and checks the body and returns the creator.
// With an Idempotency-Key, a stored answer is replayed before anything else (even if the
// body would no longer pass, say after a custom field changed), and a new answer is stored
// with the created object in one transaction.
func (s *Server) create(w http.ResponseWriter, r *http.Request, prepare func(body []byte) (creator, error)) error {
	return s.createWith(w, r, http.StatusCreated, prepare)
}

// createWith is create answering status: a bulk request answers 200, since what it did is
// in its body, item by item.
func (s *Server) createWith(w http.ResponseWriter, r *http.Request, status int, prepare func(body []byte) (creator, error)) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		run, err := prepare(body)
		if err != nil {
			return err
		}
		v, err := run(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, status, v)
		return nil
	}
	if len(key) > 255 {
		return frontdesk.InvalidField("Idempotency-Key", "is longer than 255 characters")
	}
	actor := frontdesk.ActorFrom(r.Context())
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	hash := hex.EncodeToString(sum[:])
	var run creator
	var shown any // the first answer, when it differs from what a replay answers
	for range 3 {
		if stored, err := s.db.LookupIdempotencyKey(r.Context(), actor.ID, key, hash); err != nil {
			return err
		} else if stored != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(stored.Status)
			w.Write(stored.Body)
			return nil
		}
		if run == nil {
			if run, err = prepare(body); err != nil {
				return err
			}
		}
		status, out, err := s.db.Idempotently(r.Context(), actor.ID, key, hash, func(ctx context.Context) (int, []byte, error) {
			v, err := run(ctx)
			if err != nil {
				return 0, nil, err
			}
			if o, ok := v.(replayer); ok {
				shown, v = v, o.Replay()
			}
			b, err := json.Marshal(v)
			return status, append(b, '\n'), err
		})
		if errors.Is(err, store.ErrIdempotencyRace) {
			continue // the other request committed: replay its answer
		}
		if err != nil {
			return err
		}
		if shown != nil {
			writeJSON(w, status, shown)
			return nil
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(out)
		return nil
	}
	return frontdesk.Errorf(frontdesk.EConflict, "a request with this Idempotency-Key is in progress; retry shortly")
}

// readBody reads the body once, so that a create can both decode it and hash it.
func readBody(r *http.Request) ([]byte, error) {
	body, err := readRaw(r)
	if err != nil {
		return nil, err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, frontdesk.InvalidField("Content-Type", "must be application/json, not %q", ct)
	}
	return body, nil
}

// readRaw reads a body of any type, within the limit its reader holds.
func readRaw(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		// The limit of the reader that refused: MaxBodyBytes, or an endpoint's own.
		return nil, &frontdesk.Error{Code: frontdesk.ETooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit),
			Fields: []frontdesk.FieldError{{Field: "body", Message: fmt.Sprintf("exceeds %d bytes", tooBig.Limit)}}}
	}
	if err != nil {
		return nil, frontdesk.InvalidField("body", "could not be read")
	}
	return body, nil
}

//go:embed openapi.json
var OpenAPI []byte
