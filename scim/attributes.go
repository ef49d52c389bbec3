package scim

import (
	"net/http"
	"strings"
)

// projection is the attributes and excludedAttributes parameters (RFC 7644 section 3.4.2.5):
// which attributes an answer holds. id and schemas are always returned.
type projection struct {
	include []attrRef
	exclude []attrRef
}

// attrRef is one attribute named by those parameters: an extension's URN or "", the
// attribute and a sub-attribute or "".
type attrRef struct {
	urn, attr, sub string
}

func parseAttrRefs(s, coreSchema string) []attrRef {
	var out []attrRef
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var ref attrRef
		if strings.HasPrefix(strings.ToLower(part), "urn:") {
			i := strings.LastIndex(part, ":")
			urn, rest := part[:i], part[i+1:]
			if isSchemaURN(part) {
				urn, rest = part, ""
			}
			if !strings.EqualFold(urn, coreSchema) {
				ref.urn = canonicalName(urn)
			}
			part = rest
		}
		attr, sub, _ := strings.Cut(part, ".")
		ref.attr, ref.sub = canonicalName(attr), canonicalName(sub)
		out = append(out, ref)
	}
	return out
}

func readProjection(r *http.Request, coreSchema string) projection {
	q := r.URL.Query()
	return projection{include: parseAttrRefs(q.Get("attributes"), coreSchema), exclude: parseAttrRefs(q.Get("excludedAttributes"), coreSchema)}
}

// wants reports whether the answer may hold attribute attr of the core schema at all, so
// that costly attributes (a group's members) are read only when they are returned.
func (p projection) wants(attr string) bool {
	if len(p.include) > 0 {
		for _, r := range p.include {
			if r.urn == "" && strings.EqualFold(r.attr, attr) {
				return true
			}
		}
		return false
	}
	for _, r := range p.exclude {
		if r.urn == "" && r.sub == "" && strings.EqualFold(r.attr, attr) {
			return false
		}
	}
	return true
}

// apply returns res cut down to what the parameters ask for.
func (p projection) apply(res map[string]any) map[string]any {
	if len(p.include) == 0 && len(p.exclude) == 0 {
		return res
	}
	always := func(k string) bool { return k == "id" || k == "schemas" }
	if len(p.include) > 0 {
		out := map[string]any{}
		for k, v := range res {
			if always(k) {
				out[k] = v
			}
		}
		for _, r := range p.include {
			src, dst := res, out
			if r.urn != "" {
				ext, ok := res[r.urn].(map[string]any)
				if !ok {
					continue
				}
				if r.attr == "" {
					out[r.urn] = ext
					continue
				}
				d, _ := out[r.urn].(map[string]any)
				if d == nil {
					d = map[string]any{}
					out[r.urn] = d
				}
				src, dst = ext, d
			}
			v, ok := src[r.attr]
			if !ok {
				continue
			}
			if r.sub == "" {
				dst[r.attr] = v
				continue
			}
			dst[r.attr] = pick(v, dst[r.attr], r.sub)
		}
		return out
	}
	out := map[string]any{}
	for k, v := range res {
		out[k] = v
	}
	for _, r := range p.exclude {
		m := out
		if r.urn != "" {
			ext, ok := out[r.urn].(map[string]any)
			if !ok {
				continue
			}
			if r.attr == "" {
				delete(out, r.urn)
				continue
			}
			m = copyMap(ext)
			out[r.urn] = m
		}
		if always(r.attr) && r.urn == "" {
			continue
		}
		if r.sub == "" {
			delete(m, r.attr)
			continue
		}
		m[r.attr] = drop(m[r.attr], r.sub)
	}
	return out
}

// pick adds sub-attribute sub of v (an object, or a list of objects) to what is picked
// already.
func pick(v, have any, sub string) any {
	switch x := v.(type) {
	case map[string]any:
		h, _ := have.(map[string]any)
		if h == nil {
			h = map[string]any{}
		}
		if s, ok := x[sub]; ok {
			h[sub] = s
		}
		return h
	case []any:
		h, _ := have.([]any)
		out := make([]any, len(x))
		for i, e := range x {
			var prev any
			if i < len(h) {
				prev = h[i]
			}
			out[i] = pick(e, prev, sub)
		}
		return out
	}
	return v
}

// drop removes sub-attribute sub from v (an object, or a list of objects) in a copy.
func drop(v any, sub string) any {
	switch x := v.(type) {
	case map[string]any:
		c := copyMap(x)
		delete(c, sub)
		return c
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = drop(e, sub)
		}
		return out
	}
	return v
}

func copyMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
