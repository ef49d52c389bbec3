package frontdesk

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PersonFilter narrows a list of people (L7). A segment stores one under a name.
type PersonFilter struct {
	States         []State           `json:"state,omitempty"`
	Roles          []Role            `json:"role,omitempty"`
	Kind           string            `json:"kind,omitempty"` // contact or staff
	OrganizationID int64             `json:"organization_id,omitempty"`
	SiteID         int64             `json:"site_id,omitempty"`
	WithoutLogin   bool              `json:"without_login,omitempty"`
	Channel        Channel           `json:"channel,omitempty"`
	Email          string            `json:"email,omitempty"`
	Custom         map[string]string `json:"custom,omitempty"`
}

// Page asks for one page of a list: items after the cursor, at most Limit of them.
type Page struct {
	After int64
	Limit int
}

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ParsePersonFilter reads a filter from query parameters: state, role, kind, organization_id,
// site_id, without_login, channel, email and cf.KEY for custom fields. Repeated or
// comma-separated values of state and role mean any of them.
func ParsePersonFilter(q url.Values, fields map[string]*CustomField) (PersonFilter, error) {
	var f PersonFilter
	var p Problems
	for _, s := range splitValues(q["state"]) {
		if st := State(s); st.Valid() {
			f.States = append(f.States, st)
		} else {
			p.Add("state", "%q is not a state; expected one of %v", s, States)
		}
	}
	for _, s := range splitValues(q["role"]) {
		if r := Role(s); r.Valid() {
			f.Roles = append(f.Roles, r)
		} else {
			p.Add("role", "%q is not a role; expected one of %v", s, Roles)
		}
	}
	if k := q.Get("kind"); k != "" {
		if k != "contact" && k != "staff" {
			p.Add("kind", "must be contact or staff")
		}
		f.Kind = k
	}
	f.OrganizationID = parseID(q.Get("organization_id"), "organization_id", &p)
	f.SiteID = parseID(q.Get("site_id"), "site_id", &p)
	if v := q.Get("without_login"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			p.Add("without_login", "must be true or false")
		}
		f.WithoutLogin = b
	}
	if c := Channel(q.Get("channel")); c != "" {
		if !slices.Contains(Channels, c) {
			p.Add("channel", "%q is not a channel; expected one of %v", c, Channels)
		}
		f.Channel = c
	}
	if e := q.Get("email"); e != "" {
		n, err := NormalizeEmail(e)
		if err != nil {
			p.Add("email", "%v", err)
		}
		f.Email = n
	}
	for k, vs := range q {
		key, ok := strings.CutPrefix(k, "cf.")
		if !ok {
			continue
		}
		def, known := fields[key]
		if !known {
			p.Add(k, "there is no custom field %q", key)
			continue
		}
		v := vs[0]
		if msg := textProblem(v, false); msg != "" {
			p.Add(k, "%s", msg)
			continue
		}
		if err := checkFilterValue(def, v); err != nil {
			p.Add(k, "%v", err)
			continue
		}
		if f.Custom == nil {
			f.Custom = map[string]string{}
		}
		f.Custom[key] = v
	}
	return f, p.Err()
}

// Normalize checks a filter given as JSON (a segment's) exactly as ParsePersonFilter checks
// one read from a URL, and returns it normalized the same way.
func (f PersonFilter) Normalize(fields map[string]*CustomField) (PersonFilter, error) {
	q := f.Query()
	if f.OrganizationID < 0 || f.SiteID < 0 {
		var p Problems
		if f.OrganizationID < 0 {
			p.Add("organization_id", "must be a positive integer id")
		}
		if f.SiteID < 0 {
			p.Add("site_id", "must be a positive integer id")
		}
		return f, p.Err()
	}
	return ParsePersonFilter(q, fields)
}

func checkFilterValue(def *CustomField, v string) error {
	switch def.Type {
	case FieldText:
		if n := utf8.RuneCountInString(v); n > maxCustomTextLen {
			return errorString(fmt.Sprintf("is longer than %d characters", maxCustomTextLen))
		}
	case FieldNumber:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return errorString("must be a number")
		}
	case FieldCheckbox:
		if v != "true" && v != "false" {
			return errorString("must be true or false")
		}
	case FieldDate:
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return errorString("must be a date written YYYY-MM-DD")
		}
	case FieldDropdown:
		if !slices.Contains(def.Options, v) {
			return errorString("is not one of the field's options")
		}
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func splitValues(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func parseID(s, field string, p *Problems) int64 {
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		p.Add(field, "must be a positive integer id")
		return 0
	}
	return id
}

// Segment is a named, saved people filter (L7).
type Segment struct {
	ID        int64        `json:"id"`
	Name      string       `json:"name"`
	Filter    PersonFilter `json:"filter"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// SegmentInput creates or changes a segment.
type SegmentInput struct {
	Name   *string       `json:"name"`
	Filter *PersonFilter `json:"filter"`
}

// ApplySegment applies in to s and validates the result.
func ApplySegment(s *Segment, in SegmentInput, fields map[string]*CustomField) error {
	var p Problems
	if in.Name != nil {
		s.Name = CleanText(&p, "name", *in.Name, maxObjectNameLen, OneLine)
	}
	if s.Name == "" && !p.Has("name") {
		p.Add("name", "is required")
	}
	if in.Filter != nil {
		f, err := in.Filter.Normalize(fields)
		if err != nil {
			for _, fe := range err.(*Error).Fields {
				p.Add("filter."+fe.Field, "%s", fe.Message)
			}
		}
		s.Filter = f
	}
	return p.Err()
}

// Query writes the filter as the query parameters ParsePersonFilter reads.
func (f PersonFilter) Query() url.Values {
	q := url.Values{}
	for _, s := range f.States {
		q.Add("state", string(s))
	}
	for _, r := range f.Roles {
		q.Add("role", string(r))
	}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	if f.Email != "" {
		q.Set("email", f.Email)
	}
	if f.OrganizationID != 0 {
		q.Set("organization_id", strconv.FormatInt(f.OrganizationID, 10))
	}
	if f.SiteID != 0 {
		q.Set("site_id", strconv.FormatInt(f.SiteID, 10))
	}
	if f.WithoutLogin {
		q.Set("without_login", "true")
	}
	if f.Channel != "" {
		q.Set("channel", string(f.Channel))
	}
	for k, v := range f.Custom {
		q.Set("cf."+k, v)
	}
	return q
}
