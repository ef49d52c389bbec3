// Package scim is Frontdesk's SCIM 2.0 service provider (B6, RFC 7643 and 7644) at
// /scim/v2: identity providers such as Okta and Microsoft Entra ID create, change and
// deprovision people and push groups through it. Requests carry the API's bearer tokens and
// need the scim.provision permission; every change goes through the flows
// (flow.ProvisionPerson, ProvisionUpdate, ProvisionGrant), so a provider is held to the
// same rules as staff in the console. Errors answer with SCIM's error body and scimType.
package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/flow"
	"frontdesk/store"
)

// Prefix is where the service provider is mounted.
const Prefix = "/scim/v2"

// SCIM's schema and message URNs.
const (
	SchemaUser           = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaListResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaPatchOp        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaError          = "urn:ietf:params:scim:api:messages:2.0:Error"
	schemaSPConfig       = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	schemaResourceType   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema         = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// MaxResults is the most resources one list answer holds (the filter's maxResults).
const MaxResults = 1000

// defaultCount is the page size of a list that names none.
const defaultCount = 100

// maxBody bounds a request body: a group push with thousands of members fits.
const maxBody = 4 << 20

// Config is what the provider needs.
type Config struct {
	// BaseURL is where clients reach Frontdesk (https://help.example.com); resources'
	// locations start with it. Empty: taken from each request's Host.
	BaseURL string
	Logger  *slog.Logger
}

// Provider serves /scim/v2.
type Provider struct {
	db    *store.DB
	flows *flow.Flows
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
}

// New returns the provider with its routes.
func New(db *store.DB, flows *flow.Flows, cfg Config) *Provider {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	p := &Provider{db: db, flows: flows, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
		method, path, _ := strings.Cut(pattern, " ")
		p.mux.Handle(method+" "+Prefix+path, p.authenticated(fn))
	}
	h("GET /ServiceProviderConfig", p.serviceProviderConfig)
	h("GET /ResourceTypes", p.resourceTypes)
	h("GET /ResourceTypes/{id}", p.resourceType)
	h("GET /Schemas", p.schemas)
	h("GET /Schemas/{id}", p.schema)
	h("GET /Users", p.listUsers)
	h("POST /Users", p.createUser)
	h("GET /Users/{id}", p.getUser)
	h("PUT /Users/{id}", p.replaceUser)
	h("PATCH /Users/{id}", p.patchUser)
	h("DELETE /Users/{id}", p.deleteUser)
	h("GET /Groups", p.listGroups)
	h("POST /Groups", p.createGroup)
	h("GET /Groups/{id}", p.getGroup)
	h("PUT /Groups/{id}", p.replaceGroup)
	h("PATCH /Groups/{id}", p.patchGroup)
	h("DELETE /Groups/{id}", p.deleteGroup)
	p.mux.Handle(Prefix+"/", p.authenticated(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "", "there is no SCIM endpoint %s %s", r.Method, r.URL.Path)
	}))
	return p
}

// ServeHTTP answers a SCIM request.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			p.writeError(w, r, fmt.Errorf("panic: %v", v))
		}
	}()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	p.mux.ServeHTTP(w, r)
}

// authenticated checks the bearer token and the scim.provision permission, then runs fn with
// the actor in the context.
func (p *Provider) authenticated(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		secret = strings.TrimSpace(secret)
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk-scim"`)
			p.writeError(w, r, errorf(http.StatusUnauthorized, "", "an API token is required: send Authorization: Bearer <token>"))
			return
		}
		actor, err := p.db.Authenticate(r.Context(), secret)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk-scim", error="invalid_token"`)
			p.writeError(w, r, err)
			return
		}
		ctx := frontdesk.WithActor(r.Context(), actor)
		if err := flow.CheckProvision(ctx); err != nil {
			p.writeError(w, r, err)
			return
		}
		if err := fn(w, r.WithContext(ctx)); err != nil {
			p.writeError(w, r, err)
		}
	})
}

// Error is a SCIM error: an HTTP status, SCIM's scimType (or "") and a detail.
type Error struct {
	Status   int
	SCIMType string
	Detail   string
}

func (e *Error) Error() string { return e.Detail }

func errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, SCIMType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// asSCIM turns any error into a SCIM error: Frontdesk's codes map to statuses, and the
// store's scimType (invalidFilter, uniqueness) is kept. Internal errors are logged only.
func (p *Provider) asSCIM(r *http.Request, err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	var fe *frontdesk.Error
	if !errors.As(err, &fe) {
		p.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		return errorf(http.StatusInternalServerError, "", "an internal error occurred; it has been logged")
	}
	scimType, _ := fe.Extra["scimType"].(string)
	detail := fe.Message
	if len(fe.Fields) > 0 {
		var parts []string
		for _, f := range fe.Fields {
			parts = append(parts, f.Field+": "+f.Message)
		}
		detail = strings.Join(parts, "; ")
		if fe.Code != frontdesk.EInvalid {
			detail = fe.Message + " (" + detail + ")"
		}
	}
	status := http.StatusInternalServerError
	switch fe.Code {
	case frontdesk.EMalformed:
		status = http.StatusBadRequest
	case frontdesk.EInvalid:
		// SCIM answers every bad value with 400.
		status = http.StatusBadRequest
		if scimType == "" {
			scimType = "invalidValue"
		}
	case frontdesk.ENotFound:
		status = http.StatusNotFound
	case frontdesk.EConflict:
		status = http.StatusConflict
		if scimType == "" {
			scimType = "uniqueness"
		}
	case frontdesk.EForbidden:
		status = http.StatusForbidden
	case frontdesk.EUnauthorized:
		status = http.StatusUnauthorized
	case frontdesk.ETooLarge:
		status = http.StatusRequestEntityTooLarge
	case frontdesk.ETooMany:
		status = http.StatusTooManyRequests
	default:
		p.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		detail = "an internal error occurred; it has been logged"
	}
	return &Error{Status: status, SCIMType: scimType, Detail: detail}
}

func (p *Provider) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := p.asSCIM(r, err)
	body := map[string]any{"schemas": []string{SchemaError}, "status": strconv.Itoa(e.Status), "detail": e.Detail}
	if e.SCIMType != "" {
		body["scimType"] = e.SCIMType
	}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// readJSON reads a request body as a JSON object. Numbers stay json.Number.
func readJSON(r *http.Request) (map[string]any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/scim+json") && !strings.HasPrefix(ct, "application/json") {
		return nil, errorf(http.StatusUnsupportedMediaType, "", "send application/scim+json, not %q", ct)
	}
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errorf(http.StatusRequestEntityTooLarge, "", "the body is larger than %d bytes", tooBig.Limit)
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "the body could not be read")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "the body is not a JSON object")
	}
	return m, nil
}

// baseURL is where this request reached Frontdesk, for resources' locations.
func (p *Provider) baseURL(r *http.Request) string {
	if p.cfg.BaseURL != "" {
		return p.cfg.BaseURL + Prefix
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// listPage reads startIndex and count (RFC 7644 section 3.4.2.4): a startIndex below 1 is
// 1, a negative count 0, and count is at most MaxResults.
func listPage(r *http.Request) (start, count int, err error) {
	q := r.URL.Query()
	start, count = 1, defaultCount
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, errorf(http.StatusBadRequest, "invalidValue", "startIndex must be an integer, not %q", v)
		}
		start = max(n, 1)
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, errorf(http.StatusBadRequest, "invalidValue", "count must be an integer, not %q", v)
		}
		count = min(max(n, 0), MaxResults)
	}
	return start, count, nil
}

// listResponse is RFC 7644's ListResponse.
func listResponse(resources []map[string]any, total, start int) map[string]any {
	if resources == nil {
		resources = []map[string]any{}
	}
	return map[string]any{"schemas": []string{SchemaListResponse}, "totalResults": total,
		"startIndex": start, "itemsPerPage": len(resources), "Resources": resources}
}

// pathID reads the {id} of a route; ids are Frontdesk's numeric ids.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusNotFound, "", "there is no %s %q", what, r.PathValue("id"))
	}
	return id, nil
}

// checkIfMatch compares If-Match with the resource's ETag: a mismatch is 412 (RFC 7644
// section 3.14).
func checkIfMatch(r *http.Request, etag string) error {
	im := r.Header.Get("If-Match")
	if im == "" || im == "*" {
		return nil
	}
	for _, t := range strings.Split(im, ",") {
		if weakEqual(strings.TrimSpace(t), etag) {
			return nil
		}
	}
	return errorf(http.StatusPreconditionFailed, "", "the resource changed: its version is %s, not %s", etag, im)
}

// notModified answers 304 when If-None-Match names the current ETag.
func notModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	for _, t := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if t = strings.TrimSpace(t); t != "" && weakEqual(t, etag) {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

func weakEqual(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}
