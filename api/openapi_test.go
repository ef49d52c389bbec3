package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"frontdesk"
	"frontdesk/api"
	"frontdesk/directory/ldaptest"
)

// I2: the OpenAPI document describes every route the server registers, and every answer the
// server gives, success or problem, matches the schema the document declares for its path,
// method, status and content type.
func TestOpenAPIConformance_I2(t *testing.T) {
	spec := loadOpenAPISpec(t)

	t.Run("document", func(t *testing.T) {
		onDisk, err := os.ReadFile("openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(onDisk, api.OpenAPI) {
			t.Error("the embedded document differs from api/openapi.json")
		}
		if v := spec.doc["openapi"]; v != "3.1.0" {
			t.Errorf(`"openapi" is %v, want "3.1.0"`, v)
		}
		// Every schema of the document compiles, with every $ref resolved.
		names := slices.Sorted(maps.Keys(spec.lookup(t, "/components/schemas").(map[string]any)))
		for _, name := range names {
			spec.schema(t, "/components/schemas/"+oaEscape(name))
		}
		for _, o := range spec.operations() {
			for _, ptr := range spec.schemaPointers(t, o) {
				spec.schema(t, ptr)
			}
		}
	})

	t.Run("routes", func(t *testing.T) {
		inCode := registeredRoutes(t)
		inDoc := map[string]bool{}
		for _, o := range spec.operations() {
			inDoc[o.String()] = true
		}
		for r := range inCode {
			if !inDoc[r] {
				t.Errorf("route %s is registered but not in openapi.json", r)
			}
		}
		for r := range inDoc {
			if !inCode[r] {
				t.Errorf("openapi.json documents %s, which is not registered", r)
			}
		}
	})

	eachServer(t, func(t *testing.T, s *testServer) {
		c := &oaChecker{t: t, s: s, spec: spec, seen: map[string]map[int]bool{}}
		c.walk()
		c.checkCoverage()
	})
}

// --- the document

const oaBaseURL = "https://frontdesk.invalid/openapi.json"

type oaSpec struct {
	doc     map[string]any
	c       *jsonschema.Compiler
	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
}

func loadOpenAPISpec(t *testing.T) *oaSpec {
	t.Helper()
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(api.OpenAPI))
	if err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	doc, ok := raw.(map[string]any)
	if !ok {
		t.Fatal("openapi.json is not a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(oaBaseURL, raw); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return &oaSpec{doc: doc, c: c, schemas: map[string]*jsonschema.Schema{}}
}

// oaEscape escapes one JSON pointer token.
func oaEscape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// lookup returns the value at a JSON pointer of the document.
func (sp *oaSpec) lookup(t *testing.T, ptr string) any {
	t.Helper()
	v, ok := sp.find(ptr)
	if !ok {
		t.Fatalf("openapi.json has nothing at %s", ptr)
	}
	return v
}

func (sp *oaSpec) find(ptr string) (any, bool) {
	var v any = sp.doc
	if ptr == "" {
		return v, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// deref follows a local $ref (of a response, parameter or request body) and returns the
// object and its pointer.
func (sp *oaSpec) deref(t *testing.T, ptr string) (map[string]any, string) {
	t.Helper()
	for range 10 {
		m, ok := sp.lookup(t, ptr).(map[string]any)
		if !ok {
			t.Fatalf("openapi.json: %s is not an object", ptr)
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return m, ptr
		}
		if !strings.HasPrefix(r, "#/") {
			t.Fatalf("openapi.json: %s refers outside the document: %s", ptr, r)
		}
		ptr = strings.TrimPrefix(r, "#")
	}
	t.Fatalf("openapi.json: %s: $ref loop", ptr)
	return nil, ""
}

// schema compiles the schema at a JSON pointer of the document.
func (sp *oaSpec) schema(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sch, ok := sp.schemas[ptr]; ok {
		return sch
	}
	toks := strings.Split(ptr, "/")
	for i := range toks {
		toks[i] = url.PathEscape(toks[i])
	}
	sch, err := sp.c.Compile(oaBaseURL + "#" + strings.Join(toks, "/"))
	if err != nil {
		t.Fatalf("openapi.json: schema at %s: %v", ptr, err)
	}
	sp.schemas[ptr] = sch
	return sch
}

type oaOperation struct{ Method, Path string }

func (o oaOperation) String() string { return o.Method + " " + o.Path }

// pointer is the JSON pointer of the operation object.
func (o oaOperation) pointer() string {
	return "/paths/" + oaEscape(o.Path) + "/" + strings.ToLower(o.Method)
}

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (sp *oaSpec) operations() []oaOperation {
	var out []oaOperation
	paths, _ := sp.doc["paths"].(map[string]any)
	for p, item := range paths {
		m, _ := item.(map[string]any)
		for _, meth := range oaMethods {
			if _, ok := m[meth]; ok {
				out = append(out, oaOperation{strings.ToUpper(meth), p})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// schemaPointers lists the pointers of every request and response schema of an operation.
func (sp *oaSpec) schemaPointers(t *testing.T, o oaOperation) []string {
	var out []string
	op := sp.lookup(t, o.pointer()).(map[string]any)
	if _, ok := op["requestBody"]; ok {
		body, ptr := sp.deref(t, o.pointer()+"/requestBody")
		for ct := range body["content"].(map[string]any) {
			out = append(out, ptr+"/content/"+oaEscape(ct)+"/schema")
		}
	}
	for status := range op["responses"].(map[string]any) {
		resp, ptr := sp.deref(t, o.pointer()+"/responses/"+status)
		content, _ := resp["content"].(map[string]any)
		for ct := range content {
			out = append(out, ptr+"/content/"+oaEscape(ct)+"/schema")
		}
	}
	return out
}

// statuses lists the statuses an operation documents.
func (sp *oaSpec) statuses(t *testing.T, o oaOperation) []int {
	var out []int
	for status := range sp.lookup(t, o.pointer()+"/responses").(map[string]any) {
		n, err := strconv.Atoi(status)
		if err != nil {
			t.Errorf("%s documents response %q; only numeric statuses are used", o, status)
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// secured reports whether an operation needs the bearer token.
func (sp *oaSpec) secured(t *testing.T, o oaOperation) bool {
	op := sp.lookup(t, o.pointer()).(map[string]any)
	sec, ok := op["security"]
	if !ok {
		sec = sp.doc["security"]
	}
	list, _ := sec.([]any)
	for _, req := range list {
		if m, _ := req.(map[string]any); len(m) == 0 {
			return false // an empty requirement makes the token optional
		}
	}
	return len(list) > 0
}

// match returns the documented path template a concrete path falls under, preferring
// literal segments over parameters as the server's router does.
func (sp *oaSpec) match(path string) (string, bool) {
	segs := strings.Split(path, "/")
	best, bestScore := "", -1
	paths, _ := sp.doc["paths"].(map[string]any)
	for p := range paths {
		tsegs := strings.Split(p, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		score := 0
		for i, ts := range tsegs {
			if strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "}") {
				continue
			}
			if ts != segs[i] {
				score = -1
				break
			}
			score++
		}
		if score > bestScore {
			best, bestScore = p, score
		}
	}
	return best, bestScore >= 0
}

// parameters returns the parameters of an operation, its path's and its own, dereferenced.
func (sp *oaSpec) parameters(t *testing.T, o oaOperation) []map[string]any {
	var out []map[string]any
	for _, base := range []string{"/paths/" + oaEscape(o.Path), o.pointer()} {
		list, _ := sp.lookup(t, base).(map[string]any)["parameters"].([]any)
		for i := range list {
			p, _ := sp.deref(t, base+"/parameters/"+strconv.Itoa(i))
			out = append(out, p)
		}
	}
	return out
}

// registeredRoutes reads the routes the server registers from the source of package api, as
// "METHOD /path", leaving out /metrics (Prometheus' own format) and the /api/ catch-all.
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	withMethod := regexp.MustCompile(`\b(?:handle|HandleFunc|Handle)\(\s*"([A-Z]+) +(/[^"]*)"`)
	withoutMethod := regexp.MustCompile(`\b(?:handle|HandleFunc|Handle)\(\s*"(/[^"]*)"`)
	routes := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range withMethod.FindAllStringSubmatch(string(src), -1) {
			if m[2] != "/metrics" {
				routes[m[1]+" "+m[2]] = true
			}
		}
		for _, m := range withoutMethod.FindAllStringSubmatch(string(src), -1) {
			if m[1] != "/api/" {
				t.Errorf("%s registers %q for every method; register each method and document it in openapi.json", f, m[1])
			}
		}
	}
	if !routes["GET /api/v1/people"] || !routes["GET /healthz"] {
		t.Fatalf("reading the routes out of the source found only %v; has routes() changed shape?", slices.Sorted(maps.Keys(routes)))
	}
	return routes
}

// --- checking answers

type oaChecker struct {
	t    *testing.T
	s    *testServer
	spec *oaSpec
	seen map[string]map[int]bool // operation → statuses answered and checked
}

// do sends a request and checks the request and the answer against the document.
func (c *oaChecker) do(token, method, target string, body any, headers ...string) response {
	c.t.Helper()
	r := c.s.do(token, method, target, body, headers...)
	c.check(method, target, body, headers, r)
	return r
}

// expect is do that also wants a status, and returns the answer's JSON object.
func (c *oaChecker) expect(want int, token, method, target string, body any, headers ...string) map[string]any {
	c.t.Helper()
	r := c.do(token, method, target, body, headers...)
	if r.Status != want {
		c.t.Fatalf("%s %s: want %d, got %d: %s", method, target, want, r.Status, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.JSON(c.t)
}

func (c *oaChecker) check(method, target string, body any, headers []string, r response) {
	t := c.t
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, ok := c.spec.match(u.Path)
	if !ok {
		t.Errorf("%s %s: no path of openapi.json matches %s", method, target, u.Path)
		return
	}
	o := oaOperation{method, tmpl}
	opv, ok := c.spec.find(o.pointer())
	if !ok {
		t.Errorf("%s %s: openapi.json does not document %s", method, target, o)
		return
	}
	op := opv.(map[string]any)
	where := fmt.Sprintf("%s %s (%s, %d)", method, target, o, r.Status)

	// The query parameters and headers sent are documented.
	params := c.spec.parameters(t, o)
	for name := range u.Query() {
		if !paramDeclared(params, "query", name) {
			t.Errorf("%s: query parameter %q is not documented", where, name)
		}
	}
	sentType := ""
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Content-Type" {
			sentType = headers[i+1] // documented as the request body's media type
			if mt, _, err := mime.ParseMediaType(sentType); err == nil {
				sentType = mt // multipart/form-data; boundary=...
			}
			continue
		}
		if !paramDeclared(params, "header", headers[i]) {
			t.Errorf("%s: header %q is not documented", where, headers[i])
		}
	}
	// A body the server took is one the document allows.
	if r.Status < 300 && body != nil {
		if _, ok := op["requestBody"]; !ok {
			t.Errorf("%s: the server took a body, but openapi.json documents none", where)
		} else {
			rb, ptr := c.spec.deref(t, o.pointer()+"/requestBody")
			if _, ok := rb["content"].(map[string]any)[sentType]; ok && sentType != "application/json" {
				// A raw body of its own type (message/rfc822): documented, not JSON.
			} else if _, ok := rb["content"].(map[string]any)["application/json"]; !ok {
				t.Errorf("%s: the request body is not documented as application/json", where)
			} else {
				enc, isBytes := body.([]byte)
				if !isBytes {
					var err error
					if enc, err = json.Marshal(body); err != nil {
						t.Fatal(err)
					}
				}
				c.validate(where+" request body", ptr+"/content/application~1json/schema", enc)
			}
		}
	}

	status := strconv.Itoa(r.Status)
	if _, ok := op["responses"].(map[string]any)[status]; !ok {
		t.Errorf("%s: status %d is not documented: %s", where, r.Status, r.Body)
		return
	}
	resp, ptr := c.spec.deref(t, o.pointer()+"/responses/"+status)
	declared, _ := resp["headers"].(map[string]any)
	for name, h := range declared {
		if req, _ := h.(map[string]any)["required"].(bool); req && r.Header.Get(name) == "" {
			t.Errorf("%s: header %s is required by openapi.json but missing", where, name)
		}
	}
	for _, name := range []string{"Idempotent-Replayed", "WWW-Authenticate"} {
		if r.Header.Get(name) != "" && declared[name] == nil {
			t.Errorf("%s: the answer carries header %s, which openapi.json does not document", where, name)
		}
	}
	if c.seen[o.String()] == nil {
		c.seen[o.String()] = map[int]bool{}
	}
	if r.Status == 204 {
		if len(r.Body) != 0 {
			t.Errorf("%s: a 204 answer carries a body: %s", where, r.Body)
		}
		c.seen[o.String()][r.Status] = true
		return
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Errorf("%s: bad Content-Type %q", where, r.Header.Get("Content-Type"))
		return
	}
	content, _ := resp["content"].(map[string]any)
	if _, ok := content[ct]; !ok {
		t.Errorf("%s: content type %s is not documented (documented: %v)", where, ct, slices.Sorted(maps.Keys(content)))
		return
	}
	if ct == "application/json" || ct == "application/problem+json" {
		c.validate(where, ptr+"/content/"+oaEscape(ct)+"/schema", r.Body)
	}
	if c.seen[o.String()] == nil {
		c.seen[o.String()] = map[int]bool{}
	}
	c.seen[o.String()][r.Status] = true
}

func paramDeclared(params []map[string]any, in, name string) bool {
	for _, p := range params {
		if p["in"] != in {
			continue
		}
		if pn, _ := p["name"].(string); strings.EqualFold(pn, name) && (in == "header" || pn == name) {
			return true
		}
		// A form-exploded object parameter stands for parameters named after its properties.
		sch, _ := p["schema"].(map[string]any)
		if in == "query" && sch["type"] == "object" && p["style"] == "form" && p["explode"] == true {
			if pat, ok := sch["propertyNames"].(map[string]any)["pattern"].(string); ok && regexp.MustCompile(pat).MatchString(name) {
				return true
			}
		}
	}
	return false
}

func (c *oaChecker) validate(where, ptr string, body []byte) {
	c.t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		c.t.Errorf("%s: not JSON: %v: %s", where, err, body)
		return
	}
	if err := c.spec.schema(c.t, ptr).Validate(v); err != nil {
		c.t.Errorf("%s: does not match %s:\n%v\nbody: %s", where, ptr, err, body)
	}
}

// checkCoverage fails unless every documented operation was seen giving every status it
// documents, but for internal errors and an unready database.
func (c *oaChecker) checkCoverage() {
	for _, o := range c.spec.operations() {
		for _, st := range c.spec.statuses(c.t, o) {
			if st == 500 || st == 503 {
				continue
			}
			if !c.seen[o.String()][st] {
				c.t.Errorf("%s: documented status %d was never checked against a real answer", o, st)
			}
		}
	}
}

// --- the walk

func oaID(t *testing.T, m map[string]any) int64 {
	t.Helper()
	id, ok := m["id"].(float64)
	if !ok || id <= 0 {
		t.Fatalf("no id in %v", m)
	}
	return int64(id)
}

type oaObj = map[string]any

// walk requests every route: successes with the optional fields filled in and left out, and
// every error status each route documents.
func (c *oaChecker) walk() {
	t, s := c.t, c.s
	owner := s.token
	collab := s.mustToken(s.mustStaff(frontdesk.RoleCollaborator, "collab@example.com").ID)
	p := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }

	// Operations and the document itself.
	c.expect(200, "", "GET", "/healthz", nil)
	c.expect(200, "", "GET", "/readyz", nil)
	served := c.do("", "GET", "/api/v1/openapi.json", nil)
	if served.Status != 200 || !bytes.Equal(served.Body, api.OpenAPI) {
		t.Errorf("GET /api/v1/openapi.json: status %d, and the body differs from the embedded document", served.Status)
	}
	if v := served.JSON(t)["openapi"]; v != "3.1.0" {
		t.Errorf(`served document: "openapi" is %v, want "3.1.0"`, v)
	}

	// Organizations.
	acmeIn := oaObj{"name": "Acme", "domains": []string{"acme.example", "Sub.Acme.Example."}, "external_id": "org-1", "notes": "key account"}
	first := c.do(owner, "POST", "/api/v1/organizations", acmeIn, "Idempotency-Key", "org-acme")
	if first.Status != 201 {
		t.Fatalf("create organization: %d %s", first.Status, first.Body)
	}
	acme := oaID(t, first.JSON(t))
	again := c.do(owner, "POST", "/api/v1/organizations", acmeIn, "Idempotency-Key", "org-acme")
	if again.Status != 201 || again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.Body, first.Body) {
		t.Errorf("replayed create: %d %v %s", again.Status, again.Header, again.Body)
	}
	c.expect(422, owner, "POST", "/api/v1/organizations", oaObj{"name": "Other"}, "Idempotency-Key", "org-acme")
	c.expect(422, owner, "POST", "/api/v1/organizations", oaObj{"name": "Other"}, "Idempotency-Key", strings.Repeat("k", 256))
	globex := oaID(t, c.expect(201, owner, "POST", "/api/v1/organizations", oaObj{"name": "Globex"}))
	c.expect(409, owner, "POST", "/api/v1/organizations", oaObj{"name": "ACME"})
	if pr := c.expect(409, owner, "POST", "/api/v1/organizations", oaObj{"name": "Initech", "domains": []string{"acme.example"}}); pr["existing_organization_id"] != float64(acme) {
		t.Errorf("taken domain: want existing_organization_id %d: %v", acme, pr)
	}
	c.expect(422, owner, "POST", "/api/v1/organizations", oaObj{})
	c.expect(422, owner, "POST", "/api/v1/organizations", oaObj{"name": "X", "domains": []string{"not a domain"}})
	c.expect(422, owner, "POST", "/api/v1/organizations", oaObj{"name": "X", "colour": "red"})
	c.expect(422, owner, "POST", "/api/v1/organizations", []byte(`{"name": 1}`))
	c.expect(200, owner, "GET", "/api/v1/organizations", nil)
	pg := c.expect(200, owner, "GET", "/api/v1/organizations?limit=1", nil)
	if cur, ok := pg["next_cursor"].(string); !ok {
		t.Errorf("organizations limit=1: want a next_cursor: %v", pg)
	} else {
		c.expect(200, owner, "GET", "/api/v1/organizations?limit=1&cursor="+url.QueryEscape(cur), nil)
	}
	c.expect(422, owner, "GET", "/api/v1/organizations?cursor=nonsense", nil)
	c.expect(422, owner, "GET", "/api/v1/organizations?limit=0", nil)
	c.expect(200, owner, "GET", p("/api/v1/organizations/%d", acme), nil)
	c.expect(404, owner, "GET", "/api/v1/organizations/abc", nil)
	c.expect(200, owner, "PATCH", p("/api/v1/organizations/%d", globex), oaObj{"notes": "changed", "domains": []string{"globex.example"}})
	c.expect(409, owner, "PATCH", p("/api/v1/organizations/%d", globex), oaObj{"name": "acme"})
	c.expect(422, owner, "PATCH", p("/api/v1/organizations/%d", globex), oaObj{"name": " "})

	// Sites.
	hq := oaID(t, c.expect(201, owner, "POST", "/api/v1/sites", oaObj{"organization_id": acme, "name": "HQ",
		"address":  oaObj{"label": "office", "street": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "us"},
		"timezone": "America/Chicago"}, "Idempotency-Key", "site-hq"))
	branch := oaID(t, c.expect(201, owner, "POST", "/api/v1/sites", oaObj{"organization_id": acme, "name": "Branch"}))
	c.expect(201, owner, "POST", "/api/v1/sites", oaObj{"organization_id": globex, "name": "Main"})
	c.expect(409, owner, "POST", "/api/v1/sites", oaObj{"organization_id": acme, "name": "hq"})
	c.expect(422, owner, "POST", "/api/v1/sites", oaObj{"name": "Nowhere"})
	c.expect(422, owner, "POST", "/api/v1/sites", oaObj{"organization_id": 999999, "name": "Nowhere"})
	c.expect(422, owner, "POST", "/api/v1/sites", oaObj{"organization_id": acme, "name": "X", "timezone": "Mars/Olympus"})
	c.expect(200, owner, "GET", "/api/v1/sites", nil)
	pg = c.expect(200, owner, "GET", "/api/v1/sites?limit=2", nil)
	if cur, ok := pg["next_cursor"].(string); ok {
		c.expect(200, owner, "GET", "/api/v1/sites?cursor="+url.QueryEscape(cur), nil)
	} else {
		t.Errorf("sites limit=2: want a next_cursor: %v", pg)
	}
	c.expect(422, owner, "GET", "/api/v1/sites?limit=501", nil)
	c.expect(200, owner, "GET", p("/api/v1/sites/%d", hq), nil)
	c.expect(200, owner, "GET", p("/api/v1/sites/%d", branch), nil)
	c.expect(200, owner, "PATCH", p("/api/v1/sites/%d", branch), oaObj{"timezone": "Europe/Paris", "address": oaObj{"city": "Paris", "country": "FR"}})
	c.expect(409, owner, "PATCH", p("/api/v1/sites/%d", branch), oaObj{"name": "HQ"})
	c.expect(422, owner, "PATCH", p("/api/v1/sites/%d", branch), oaObj{"organization_id": globex})
	c.expect(200, owner, "GET", p("/api/v1/organizations/%d/sites", acme), nil)
	c.expect(200, owner, "GET", p("/api/v1/organizations/%d/sites?limit=1", acme), nil)
	c.expect(422, owner, "GET", p("/api/v1/organizations/%d/sites?cursor=x", acme), nil)

	// Custom fields.
	tier := oaID(t, c.expect(201, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "tier", "label": "Tier", "type": "dropdown", "options": []string{"gold", "silver"}}, "Idempotency-Key", "cf-tier"))
	c.expect(201, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "vip", "type": "checkbox"})
	c.expect(201, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "since", "type": "date"})
	c.expect(201, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "score", "type": "number"})
	c.expect(201, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "nickname", "type": "text"})
	c.expect(409, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "tier", "type": "text"})
	c.expect(422, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "Bad Key", "type": "text"})
	c.expect(422, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "choice", "type": "dropdown"})
	c.expect(200, owner, "GET", "/api/v1/custom-fields", nil)
	c.expect(200, owner, "GET", p("/api/v1/custom-fields/%d", tier), nil)
	c.expect(200, owner, "PATCH", p("/api/v1/custom-fields/%d", tier), oaObj{"label": "Customer tier", "options": []string{"gold", "silver", "bronze"}})
	c.expect(422, owner, "PATCH", p("/api/v1/custom-fields/%d", tier), oaObj{"type": "text"})

	// People.
	adaIn := oaObj{
		"name":             "Ada Lovelace",
		"preferred_name":   "Ada",
		"email":            "Ada@Acme.Example",
		"phones":           []oaObj{{"number": "(415) 555-0100", "label": "work"}},
		"addresses":        []oaObj{{"label": "home", "street": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "gb"}},
		"timezone":         "Europe/London",
		"locale":           "en-gb",
		"external_id":      "ext-ada",
		"notes":            "first programmer",
		"custom":           oaObj{"tier": "gold", "vip": true, "since": "2020-01-02", "score": 4.5, "nickname": "Enchantress"},
		"site_id":          hq,
		"marketing_opt_in": true,
		"web_access":       "organization",
	}
	created := c.do(owner, "POST", "/api/v1/people", adaIn, "Idempotency-Key", "person-ada")
	if created.Status != 201 {
		t.Fatalf("create person: %d %s", created.Status, created.Body)
	}
	ada := oaID(t, created.JSON(t))
	if r := c.do(owner, "POST", "/api/v1/people", adaIn, "Idempotency-Key", "person-ada"); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed person create: %d %v", r.Status, r.Header)
	}
	bob := oaID(t, c.expect(201, owner, "POST", "/api/v1/people", oaObj{"first_name": "Bob", "last_name": "Builder",
		"emails": []oaObj{{"address": "bob@example.com"}, {"address": "bob2@example.com", "primary": true, "verified": true}}, "organization_id": globex}))
	c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Monitor", "email": "monitor@acme.example", "machine": true, "do_not_email": true})
	c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Nina New", "email": "nina@example.com", "role": "agent"})
	c.expect(201, owner, "POST", "/api/v1/people", oaObj{"external_id": "only-an-id", "organization_id": nil, "site_id": nil})
	if pr := c.expect(409, owner, "POST", "/api/v1/people", oaObj{"name": "Impostor", "email": "ADA@acme.example"}); pr["existing_person_id"] != float64(ada) {
		t.Errorf("taken address: want existing_person_id %d: %v", ada, pr)
	}
	c.expect(409, owner, "POST", "/api/v1/people", oaObj{"name": "Impostor", "external_id": "ext-ada"})
	c.expect(422, owner, "POST", "/api/v1/people", oaObj{})
	c.expect(422, owner, "POST", "/api/v1/people", oaObj{"name": "X", "email": "not an address", "timezone": "Nowhere/Else", "custom": oaObj{"nope": 1}})
	c.expect(422, owner, "POST", "/api/v1/people", oaObj{"name": "X", "organization_id": 0})
	c.expect(422, owner, "POST", "/api/v1/people", oaObj{"name": "X", "custom": oaObj{"tier": "platinum"}})
	c.expect(403, owner, "POST", "/api/v1/people", oaObj{"name": "Usurper", "role": "owner"})

	c.expect(200, owner, "GET", "/api/v1/people", nil)
	pg = c.expect(200, owner, "GET", p("/api/v1/people?state=not_activated,active&role=contact&kind=contact&organization_id=%d&site_id=%d"+
		"&without_login=true&channel=api&email=ADA@acme.example&cf.tier=gold&cf.vip=true&cf.since=2020-01-02&cf.score=4.5&cf.nickname=Enchantress&limit=10", acme, hq), nil)
	if data, _ := pg["data"].([]any); len(data) != 1 {
		t.Errorf("filtered list: want Ada alone: %v", pg)
	}
	pg = c.expect(200, owner, "GET", "/api/v1/people?limit=1&state=not_activated&state=active", nil)
	if cur, ok := pg["next_cursor"].(string); ok {
		c.expect(200, owner, "GET", "/api/v1/people?limit=1&cursor="+url.QueryEscape(cur), nil)
	} else {
		t.Errorf("people limit=1: want a next_cursor: %v", pg)
	}
	c.expect(422, owner, "GET", "/api/v1/people?state=bogus", nil)
	c.expect(422, owner, "GET", "/api/v1/people?cf.nope=1&kind=robots", nil)
	c.expect(422, owner, "GET", "/api/v1/people?limit=501", nil)
	// A search in the list (P5, L7): q with filters, page after page.
	c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Bea Bishop", "email": "bea@example.com"})
	pg = c.expect(200, owner, "GET", "/api/v1/people?q=b&limit=1", nil)
	if cur, ok := pg["next_cursor"].(string); ok {
		c.expect(200, owner, "GET", "/api/v1/people?q=b&limit=1&cursor="+url.QueryEscape(cur), nil)
	} else {
		t.Errorf("people q=b limit=1: want a next_cursor: %v", pg)
	}
	if data, _ := c.expect(200, owner, "GET", "/api/v1/people?q=ADA&kind=contact&state=not_activated,active", nil)["data"].([]any); len(data) != 1 {
		t.Errorf("people q=ADA: want Ada alone")
	}
	c.expect(422, owner, "GET", "/api/v1/people?q=ada&cursor=bm9wZQ&state=bogus", nil)
	c.expect(200, owner, "GET", "/api/v1/people/suggest?q=ada", nil)
	c.expect(200, owner, "GET", "/api/v1/people/suggest?q=LOVE&limit=5", nil)
	c.expect(422, owner, "GET", "/api/v1/people/suggest", nil)
	c.expect(422, owner, "GET", "/api/v1/people/suggest?q=a&limit=51", nil)
	c.expect(200, owner, "GET", p("/api/v1/people/%d", ada), nil)
	c.expect(200, owner, "GET", p("/api/v1/people/%d", s.owner.ID), nil)
	c.expect(200, owner, "PATCH", p("/api/v1/people/%d", ada), oaObj{"preferred_name": "Countess", "custom": oaObj{"score": nil}, "site_id": nil})
	c.expect(200, owner, "PATCH", p("/api/v1/people/%d", bob), oaObj{"organization_id": nil, "do_not_email": true})
	c.expect(409, owner, "PATCH", p("/api/v1/people/%d", ada), oaObj{"email": "bob@example.com"})
	c.expect(422, owner, "PATCH", p("/api/v1/people/%d", ada), oaObj{"timezone": "Mars/Olympus"})
	c.expect(422, owner, "PATCH", p("/api/v1/people/%d", ada), oaObj{"email": "ada@acme.example", "emails": []oaObj{}})

	// States.
	c.expect(200, owner, "POST", p("/api/v1/people/%d/state", ada), oaObj{"state": "active"})
	until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	c.expect(200, owner, "POST", p("/api/v1/people/%d/state", bob), oaObj{"state": "banned", "ban_reason": "spam", "banned_until": until})
	c.expect(200, owner, "POST", p("/api/v1/people/%d/state", bob), oaObj{"state": "trashed", "banned_until": nil})
	c.expect(200, owner, "POST", p("/api/v1/people/%d/state", bob), oaObj{"state": "banned"})
	c.expect(422, owner, "POST", p("/api/v1/people/%d/state", ada), oaObj{"state": "bogus"})
	c.expect(422, owner, "POST", p("/api/v1/people/%d/state", ada), oaObj{"state": "active", "ban_reason": "no"})
	c.expect(422, owner, "POST", p("/api/v1/people/%d/state", ada), oaObj{"state": "not_activated"})
	c.expect(403, owner, "POST", p("/api/v1/people/%d/state", s.owner.ID), oaObj{"state": "disabled"})

	// Segments.
	gold := oaID(t, c.expect(201, owner, "POST", "/api/v1/segments", oaObj{"name": "Gold contacts", "filter": oaObj{
		"state": []string{"active"}, "role": []string{"contact"}, "kind": "contact", "organization_id": acme,
		"without_login": false, "channel": "api", "email": "ada@acme.example", "custom": oaObj{"tier": "gold", "vip": "true"}}},
		"Idempotency-Key", "seg-gold"))
	everyone := oaID(t, c.expect(201, owner, "POST", "/api/v1/segments", oaObj{"name": "Everyone"}))
	c.expect(201, owner, "POST", "/api/v1/segments", oaObj{"name": "Acme HQ", "filter": oaObj{"site_id": hq, "without_login": true}})
	c.expect(409, owner, "POST", "/api/v1/segments", oaObj{"name": "gold CONTACTS"})
	c.expect(422, owner, "POST", "/api/v1/segments", oaObj{"name": ""})
	c.expect(422, owner, "POST", "/api/v1/segments", oaObj{"name": "X", "filter": oaObj{"state": []string{"bogus"}, "custom": oaObj{"nope": "1"}}})
	c.expect(200, owner, "GET", "/api/v1/segments", nil)
	c.expect(200, owner, "GET", p("/api/v1/segments/%d", gold), nil)
	c.expect(200, owner, "GET", p("/api/v1/segments/%d", everyone), nil)
	c.expect(200, owner, "PATCH", p("/api/v1/segments/%d", gold), oaObj{"name": "Gold"})
	c.expect(409, owner, "PATCH", p("/api/v1/segments/%d", everyone), oaObj{"name": "GOLD"})
	c.expect(422, owner, "PATCH", p("/api/v1/segments/%d", gold), oaObj{"filter": oaObj{"kind": "robots"}})
	pg = c.expect(200, owner, "GET", p("/api/v1/segments/%d/people", gold), nil)
	if data, _ := pg["data"].([]any); len(data) != 1 {
		t.Errorf("segment people: want Ada alone: %v", pg)
	}
	pg = c.expect(200, owner, "GET", p("/api/v1/segments/%d/people?limit=1", everyone), nil)
	if cur, ok := pg["next_cursor"].(string); ok {
		c.expect(200, owner, "GET", p("/api/v1/segments/%d/people?cursor=%s", everyone, url.QueryEscape(cur)), nil)
	} else {
		t.Errorf("segment people limit=1: want a next_cursor: %v", pg)
	}
	c.expect(422, owner, "GET", p("/api/v1/segments/%d/people?limit=abc", everyone), nil)

	// The audit log.
	c.expect(200, owner, "GET", "/api/v1/audit", nil)
	c.expect(200, owner, "GET", p("/api/v1/audit?subject_type=person&subject_id=%d&action=person.state&actor_id=%d", bob, s.owner.ID), nil)
	pg = c.expect(200, owner, "GET", "/api/v1/audit?limit=1", nil)
	if cur, ok := pg["next_cursor"].(string); ok {
		c.expect(200, owner, "GET", "/api/v1/audit?limit=1&cursor="+url.QueryEscape(cur), nil)
	} else {
		t.Errorf("audit limit=1: want a next_cursor: %v", pg)
	}
	c.expect(422, owner, "GET", "/api/v1/audit?subject_id=x", nil)
	c.expect(422, owner, "GET", "/api/v1/audit?cursor=x", nil)

	// R2: custom staff roles, given and taken through the profile. Nobody ranks as a
	// collaborator and holds no permission at all: every secured route refuses them with 403.
	support := oaID(t, c.expect(201, owner, "POST", "/api/v1/roles", oaObj{"name": "Support", "base_role": "agent",
		"permissions": []string{"people.update", "people.read", "people.read"}}, "Idempotency-Key", "role-support"))
	nobodyRole := oaID(t, c.expect(201, owner, "POST", "/api/v1/roles", oaObj{"name": "Nobody", "base_role": "collaborator"}))
	c.expect(409, owner, "POST", "/api/v1/roles", oaObj{"name": "SUPPORT", "base_role": "agent"})
	c.expect(422, owner, "POST", "/api/v1/roles", oaObj{"name": "X", "base_role": "owner", "permissions": []string{"people.fly"}})
	c.expect(422, owner, "POST", "/api/v1/roles", oaObj{})
	c.expect(200, owner, "GET", "/api/v1/roles", nil)
	c.expect(200, owner, "GET", p("/api/v1/roles/%d", support), nil)
	c.expect(200, owner, "PATCH", p("/api/v1/roles/%d", support), oaObj{"permissions": []string{"people.read", "people.create", "people.update"}})
	c.expect(200, owner, "PATCH", p("/api/v1/roles/%d", nobodyRole), oaObj{"name": "Nobody at all", "base_role": "collaborator", "permissions": []string{}})
	c.expect(409, owner, "PATCH", p("/api/v1/roles/%d", support), oaObj{"name": "nobody AT ALL"})
	c.expect(422, owner, "PATCH", p("/api/v1/roles/%d", support), oaObj{"base_role": "contact"})
	member := s.mustStaff(frontdesk.RoleCollaborator, "nobody@example.com")
	c.expect(200, owner, "PATCH", p("/api/v1/people/%d", member.ID), oaObj{"staff_role_id": nobodyRole})
	nobody := s.mustToken(member.ID)
	sid := oaID(t, c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Sid Support", "email": "sid@example.com", "staff_role_id": support}))
	c.expect(422, owner, "PATCH", p("/api/v1/people/%d", sid), oaObj{"staff_role_id": 999999})
	c.expect(422, owner, "PATCH", p("/api/v1/people/%d", sid), oaObj{"staff_role_id": support, "role": "admin"})
	c.expect(200, owner, "PATCH", p("/api/v1/people/%d", sid), oaObj{"staff_role_id": nil})

	// P2: the hand-over refuses anyone but an active admin (the 200 comes last, below).
	heir := s.mustStaff(frontdesk.RoleAdmin, "heir@example.com")
	c.expect(422, owner, "POST", "/api/v1/owner/hand-over", oaObj{"person_id": ada})
	c.expect(422, owner, "POST", "/api/v1/owner/hand-over", oaObj{})
	c.expect(403, s.mustToken(heir.ID), "POST", "/api/v1/owner/hand-over", oaObj{"person_id": heir.ID})

	// P4: a person's postal address becomes their site's.
	{
		org := c.expect(201, owner, "POST", "/api/v1/organizations", map[string]any{"name": "Copy Org"})
		site := c.expect(201, owner, "POST", "/api/v1/sites", map[string]any{"organization_id": org["id"], "name": "Copy Site"})
		mover := c.expect(201, owner, "POST", "/api/v1/people", map[string]any{"name": "Addr Mover", "site_id": site["id"],
			"addresses": []any{map[string]any{"street": "1 Quay", "city": "Leith", "country": "GB"}}})
		got := c.expect(200, owner, "POST", p("/api/v1/people/%v/addresses/0/copy-to-site", mover["id"]), nil)
		if addr, _ := got["address"].(map[string]any); addr["city"] != "Leith" {
			t.Errorf("copy to site: %v", got)
		}
		c.expect(404, owner, "POST", p("/api/v1/people/%v/addresses/3/copy-to-site", mover["id"]), nil)
		homeless := c.expect(201, owner, "POST", "/api/v1/people", map[string]any{"name": "No Site",
			"addresses": []any{map[string]any{"street": "2 Quay"}}})
		c.expect(422, owner, "POST", p("/api/v1/people/%v/addresses/0/copy-to-site", homeless["id"]), nil)
	}

	// Settings (P3): the display name follows name_display.
	c.expect(200, owner, "GET", "/api/v1/settings", nil)
	c.expect(422, owner, "PATCH", "/api/v1/settings", map[string]any{"name_display": "nickname"})
	c.expect(200, owner, "PATCH", "/api/v1/settings", map[string]any{"name_display": "preferred"})
	c.expect(200, owner, "PATCH", "/api/v1/settings", map[string]any{"name_display": "full"})

	// E4: templates are read, previewed, saved (an unknown variable refused) and reset.
	c.expect(200, owner, "GET", "/api/v1/mail-templates", nil)
	c.expect(200, owner, "GET", "/api/v1/mail-templates/welcome", nil)
	c.expect(200, owner, "POST", "/api/v1/mail-templates/welcome/preview", nil)
	draft := oaObj{"subject": "Hello {{.first_name}}", "text": "Set your password: {{.link}}", "html": "<p><a href=\"{{.link}}\">Set your password</a></p>"}
	c.expect(200, owner, "POST", "/api/v1/mail-templates/welcome/preview", draft)
	c.expect(422, owner, "POST", "/api/v1/mail-templates/welcome/preview", oaObj{"subject": "{{.shoe_size}}", "text": "x", "html": "x"})
	c.expect(200, owner, "PUT", "/api/v1/mail-templates/welcome", draft)
	c.expect(422, owner, "PUT", "/api/v1/mail-templates/welcome", oaObj{"subject": "Hi {{.shoe_size}}", "text": "x", "html": "x"})
	c.expect(200, owner, "DELETE", "/api/v1/mail-templates/welcome", nil)

	// L5, E2, E3: activation by hand, welcome and reset from the profile; the mail they
	// cause is in the outbox (E6).
	{
		newcomer := c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "New Comer", "email": "newcomer@example.com"})
		c.expect(200, owner, "POST", p("/api/v1/people/%v/activate", newcomer["id"]), nil)
		c.expect(422, owner, "POST", p("/api/v1/people/%v/activate", newcomer["id"]), nil)
		c.expect(202, owner, "POST", p("/api/v1/people/%v/welcome", newcomer["id"]), nil)
		// No reset link goes to an address nobody confirmed; once it is confirmed, one does.
		c.expect(422, owner, "POST", p("/api/v1/people/%v/password-reset", newcomer["id"]), nil)
		if _, err := c.s.db.UpdatePerson(context.Background(), int64(newcomer["id"].(float64)), func(p *frontdesk.Person) error {
			p.Emails[0].Verified = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		c.expect(202, owner, "POST", p("/api/v1/people/%v/password-reset", newcomer["id"]), nil)
		machine := c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Fax", "email": "fax@example.com", "machine": true})
		c.expect(422, owner, "POST", p("/api/v1/people/%v/welcome", machine["id"]), nil)
		c.expect(422, owner, "POST", p("/api/v1/people/%v/password-reset", machine["id"]), nil)
		mails := c.expect(200, owner, "GET", p("/api/v1/mail?person_id=%v", newcomer["id"]), nil)
		list, _ := mails["data"].([]any)
		if len(list) != 4 { // confirmation, registration (welcome) on activation, welcome, reset
			t.Errorf("newcomer's mail: want 4 messages, got %d", len(list))
		} else {
			c.expect(200, owner, "GET", p("/api/v1/mail/%v", list[0].(map[string]any)["id"]), nil)
		}
		c.expect(422, owner, "GET", "/api/v1/mail?state=lost", nil)
	}

	// T1: tickets on behalf of a requester, their thread, status and assignee; spam (L4).
	{
		req := oaID(t, c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Tess Ticket", "email": "tess@example.com"}))
		agent := s.mustStaff(frontdesk.RoleAgent, "agent.t1@example.com")
		tkIn := oaObj{"requester_id": req, "subject": "Printer jams", "body": "It jams on page two.", "channel": "phone",
			"status": "open", "assignee_id": agent.ID, "organization_id": acme}
		first := c.do(owner, "POST", "/api/v1/tickets", tkIn, "Idempotency-Key", "ticket-1")
		if first.Status != 201 {
			t.Fatalf("create ticket: %d %s", first.Status, first.Body)
		}
		tk := oaID(t, first.JSON(t))
		if again := c.do(owner, "POST", "/api/v1/tickets", tkIn, "Idempotency-Key", "ticket-1"); again.Status != 201 || !bytes.Equal(again.Body, first.Body) {
			t.Errorf("replayed ticket create: %d %s", again.Status, again.Body)
		}
		bare := oaID(t, c.expect(201, owner, "POST", "/api/v1/tickets", oaObj{"requester_id": req, "subject": "Bare"}))
		c.expect(422, owner, "POST", "/api/v1/tickets", oaObj{"subject": " ", "status": "lost", "channel": "pigeon"})
		c.expect(422, owner, "POST", "/api/v1/tickets", oaObj{"requester_id": req, "subject": "x", "assignee_id": req})
		c.expect(200, owner, "GET", "/api/v1/tickets", nil)
		pg := c.expect(200, owner, "GET", p("/api/v1/tickets?requester_id=%d&status=open&limit=1", req), nil)
		if cur, ok := pg["next_cursor"].(string); ok {
			c.expect(200, owner, "GET", p("/api/v1/tickets?requester_id=%d&limit=1&cursor=%s", req, url.QueryEscape(cur)), nil)
		} else {
			t.Errorf("tickets limit=1: want a next_cursor: %v", pg)
		}
		c.expect(200, collab, "GET", p("/api/v1/tickets?assignee_id=%d&organization_id=%d", agent.ID, acme), nil)
		c.expect(422, owner, "GET", "/api/v1/tickets?status=lost&requester_id=x", nil)
		c.expect(200, owner, "GET", p("/api/v1/tickets/%d", tk), nil)
		c.expect(200, owner, "PATCH", p("/api/v1/tickets/%d", tk), oaObj{"status": "pending", "assignee_id": nil})
		c.expect(200, owner, "PATCH", p("/api/v1/tickets/%d", tk), oaObj{})
		c.expect(422, owner, "PATCH", p("/api/v1/tickets/%d", tk), oaObj{"status": "lost"})
		c.expect(201, owner, "POST", p("/api/v1/tickets/%d/messages", tk), oaObj{"body": "Replaced the fuser.", "public": true})
		c.expect(201, collab, "POST", p("/api/v1/tickets/%d/messages", tk), oaObj{"body": "Customer sounds annoyed.", "public": false})
		c.expect(403, collab, "POST", p("/api/v1/tickets/%d/messages", tk), oaObj{"body": "Hello!", "public": true})
		c.expect(422, owner, "POST", p("/api/v1/tickets/%d/messages", tk), oaObj{"body": ""})
		c.expect(200, owner, "GET", p("/api/v1/tickets/%d/messages", tk), nil)
		c.expect(422, owner, "POST", p("/api/v1/tickets/%d/spam", bare), oaObj{"ban_reason": strings.Repeat("x", 1001)})
		c.expect(200, owner, "POST", p("/api/v1/tickets/%d/spam", bare), oaObj{"ban_reason": "sells watches"})
		// The requester in the trash takes the tickets along (L2): they take no change.
		other := oaID(t, c.expect(201, owner, "POST", "/api/v1/people", oaObj{"name": "Tom Trash", "email": "tom.trash@example.com"}))
		gone := oaID(t, c.expect(201, owner, "POST", "/api/v1/tickets", oaObj{"requester_id": other, "subject": "Soon gone"}))
		c.expect(200, owner, "POST", p("/api/v1/people/%d/state", other), oaObj{"state": "trashed"})
		c.expect(409, owner, "PATCH", p("/api/v1/tickets/%d", gone), oaObj{"status": "closed"})
		c.expect(409, owner, "POST", p("/api/v1/tickets/%d/messages", gone), oaObj{"body": "Anyone?", "public": false})
		c.expect(409, owner, "POST", p("/api/v1/tickets/%d/spam", gone), nil)
	}

	// C8: an MTA's pipe hands in raw mail.
	{
		addr := "pipe.oa@desk.example"
		if _, err := s.db.SaveMailbox(frontdesk.WithActor(context.Background(), frontdesk.System), 0, frontdesk.MailboxInput{Address: &addr}); err != nil {
			t.Fatal(err)
		}
		raw := []byte("From: a@example.net\r\nTo: pipe.oa@desk.example\r\nSubject: OA\r\nMessage-ID: <oa@example.net>\r\n\r\nHi\r\n")
		c.expect(202, owner, "POST", "/api/v1/inbound", raw, "Content-Type", "message/rfc822")
		c.expect(200, owner, "POST", "/api/v1/inbound", raw, "Content-Type", "message/rfc822")
		c.expect(422, owner, "POST", "/api/v1/inbound", oaObj{})
	}

	// C4, C5, C6, C9, X4, X5: the public door, request forms, the review queue, guest links.
	{
		c.expect(401, "fd_not_a_token", "POST", "/api/v1/requests", oaObj{"email": "a@example.com", "subject": "S", "body": "B"})
		c.expect(403, "", "POST", "/api/v1/requests", oaObj{"email": "a@example.com", "subject": "S", "body": "B"}, "Origin", "https://evil.example")
		c.expect(422, "", "POST", "/api/v1/requests", oaObj{"email": "a@example.com", "subject": "S", "body": "B", "website": "x"})
		c.expect(201, "", "POST", "/api/v1/requests", oaObj{"email": "guest.oa@example.com", "name": "Gus Guest", "subject": "Help", "body": "Please"})
		c.expect(200, owner, "PATCH", "/api/v1/settings", oaObj{"guest_requests": "confirm", "embed_origins": []string{"https://shop.example"}})
		c.expect(202, "", "POST", "/api/v1/requests", oaObj{"email": "guest2.oa@example.com", "subject": "Help", "body": "Please"})
		c.expect(204, "", "OPTIONS", "/api/v1/requests", nil, "Origin", "https://shop.example", "Access-Control-Request-Method", "POST")
		c.expect(200, owner, "PATCH", "/api/v1/settings", oaObj{"guest_requests": "open", "intake_policy": "closed"})
		c.expect(202, "", "POST", "/api/v1/requests", oaObj{"email": "held1.oa@example.com", "subject": "Held", "body": "Please"})
		c.expect(202, "", "POST", "/api/v1/requests", oaObj{"email": "held2.oa@example.com", "subject": "Held", "body": "Please"})
		c.expect(200, owner, "PATCH", "/api/v1/settings", oaObj{"intake_policy": "open"})
		queue := c.expect(200, owner, "GET", "/api/v1/review-queue", nil)
		items, _ := queue["data"].([]any)
		if len(items) != 2 {
			t.Fatalf("review queue: %v", queue)
		}
		c.expect(422, owner, "GET", "/api/v1/review-queue?cursor=nope", nil)
		first, second := oaID(t, items[0].(map[string]any)), oaID(t, items[1].(map[string]any))
		c.expect(200, owner, "GET", p("/api/v1/review-queue/%d", first), nil)
		released := c.expect(200, owner, "POST", p("/api/v1/review-queue/%d/release", first), nil)
		c.expect(204, owner, "POST", p("/api/v1/review-queue/%d/discard", second), nil)
		tk := oaID(t, released["ticket"].(map[string]any))
		c.expect(200, owner, "POST", p("/api/v1/tickets/%d/links/revoke", tk), nil)

		c.expect(201, owner, "POST", "/api/v1/custom-fields", oaObj{"key": "plan", "type": "text"})
		tt := oaID(t, c.expect(201, owner, "POST", "/api/v1/ticket-types", oaObj{"key": "billing", "name": "Billing", "person_fields": []string{"plan"}}))
		c.expect(409, owner, "POST", "/api/v1/ticket-types", oaObj{"key": "billing", "name": "Again"})
		c.expect(422, owner, "POST", "/api/v1/ticket-types", oaObj{"key": "Bad Key", "person_fields": []string{"nope"}})
		other := oaID(t, c.expect(201, owner, "POST", "/api/v1/ticket-types", oaObj{"key": "other", "name": "Other"}))
		c.expect(200, owner, "PATCH", p("/api/v1/ticket-types/%d", tt), oaObj{"hide_contact_fields": false})
		c.expect(409, owner, "PATCH", p("/api/v1/ticket-types/%d", other), oaObj{"key": "billing"})
		c.expect(422, owner, "PATCH", p("/api/v1/ticket-types/%d", other), oaObj{"name": ""})
		c.expect(200, collab, "GET", "/api/v1/ticket-types", nil)
		c.expect(204, owner, "DELETE", p("/api/v1/ticket-types/%d", other), nil)
		// The same address again and again is told to wait (429).
		for i := 0; ; i++ {
			r := c.do("", "POST", "/api/v1/requests", oaObj{"email": "again.oa@example.com", "subject": "S", "body": "B"})
			if r.Status == 429 {
				break
			}
			if r.Status != 201 || i > 10 {
				t.Fatalf("repeated request: %d %s", r.Status, r.Body)
			}
		}
	}

	c.walkInbound(collab)
	c.walkImports(collab)
	c.walkTokens(collab, nobody)
	c.walkBulk()
	c.walkDirectories(ldaptest.Start(t), collab)
	c.walkSCIMGroups()

	// Every documented error status of every route, the same way for all.
	tooBig := []byte(`{"notes": "` + strings.Repeat("x", api.MaxBodyBytes) + `"}`)
	for _, o := range c.spec.operations() {
		statuses := c.spec.statuses(t, o)
		path := strings.ReplaceAll(o.Path, "{id}", "1")
		var body any
		if o.Method == "POST" || o.Method == "PATCH" || o.Method == "PUT" {
			body = oaObj{}
		}
		if c.spec.secured(t, o) {
			c.expect(401, "", o.Method, path, body)
			c.expect(401, "fd_not_a_token", o.Method, path, body)
		}
		if c.spec.secured(t, o) && !slices.Contains(statuses, 403) && !everyStaffMember[o.String()] {
			t.Errorf("%s: needs a token but does not document 403, which a role without its permission gets (R2, R4)", o)
		}
		// The public request door's 403 is for other sites' pages, not for a permission.
		if slices.Contains(statuses, 403) && o.String() != "POST /api/v1/people/{id}/state" && o.String() != "POST /api/v1/requests" && !everyStaffMember[o.String()] {
			c.expect(403, nobody, o.Method, path, body)
		}
		if slices.Contains(statuses, 404) {
			var notFoundBody any = body
			if strings.HasSuffix(o.Path, "/state") {
				notFoundBody = oaObj{"state": "active"}
			}
			c.expect(404, owner, o.Method, strings.ReplaceAll(o.Path, "{id}", "999999"), notFoundBody)
		}
		// An import's limit is its own setting, hundreds of MB: walkImports checks its 413;
		// the bulk route has its own limit too: walkBulk.
		if slices.Contains(statuses, 413) && o.String() != "POST /api/v1/imports" && o.Path != "/api/v1/people/bulk" {
			c.expect(413, owner, o.Method, path, tooBig)
		}
		if slices.Contains(statuses, 400) {
			c.expect(400, owner, o.Method, path, []byte("{\"name\": \"\xff\"}"))
		}
	}
	c.expect(403, collab, "POST", p("/api/v1/people/%d/state", ada), oaObj{"state": "disabled"})

	// P2: last, since the owner's token then acts as an admin.
	c.expect(200, owner, "POST", "/api/v1/owner/hand-over", oaObj{"person_id": heir.ID})
}
