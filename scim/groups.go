package scim

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/store"
)

// The /Groups endpoints. Members are users; adding or removing one also gives or takes what
// the group maps to (the scim_groups setting: a custom staff role or an organization), through
// flow.ProvisionGrant.

func groupETag(g *frontdesk.SCIMGroup) string { return fmt.Sprintf(`W/"%d"`, g.Version) }

func groupResource(g *frontdesk.SCIMGroup, base string, withMembers bool) map[string]any {
	id := strconv.FormatInt(g.ID, 10)
	res := map[string]any{"schemas": []any{SchemaGroup}, "id": id, "displayName": g.DisplayName,
		"meta": map[string]any{"resourceType": "Group", "created": g.CreatedAt.Format("2006-01-02T15:04:05.000000Z07:00"),
			"lastModified": g.UpdatedAt.Format("2006-01-02T15:04:05.000000Z07:00"), "location": base + "/Groups/" + id, "version": groupETag(g)}}
	if g.ExternalID != "" {
		res["externalId"] = g.ExternalID
	}
	if withMembers {
		members := []any{}
		for _, m := range g.Members {
			mid := strconv.FormatInt(m.PersonID, 10)
			members = append(members, map[string]any{"value": mid, "display": m.Display, "type": "User", "$ref": base + "/Users/" + mid})
		}
		res["members"] = members
	}
	return res
}

func (p *Provider) writeGroup(w http.ResponseWriter, r *http.Request, id int64, status int) error {
	proj := readProjection(r, SchemaGroup)
	g, err := p.db.GetSCIMGroup(r.Context(), id, proj.wants("members"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", groupETag(g))
	if status == http.StatusCreated {
		w.Header().Set("Location", p.baseURL(r)+"/Groups/"+strconv.FormatInt(g.ID, 10))
	}
	writeJSON(w, status, proj.apply(groupResource(g, p.baseURL(r), proj.wants("members"))))
	return nil
}

func (p *Provider) listGroups(w http.ResponseWriter, r *http.Request) error {
	start, count, err := listPage(r)
	if err != nil {
		return err
	}
	l := store.SCIMList{StartIndex: start, Count: count}
	if f := r.URL.Query().Get("filter"); f != "" {
		if l.Filter, err = store.ParseSCIMFilter(f); err != nil {
			return err
		}
	}
	if r.URL.Query().Get("sortBy") != "" {
		return errorf(http.StatusBadRequest, "invalidValue", "sorting is not supported; results come in the order they were created")
	}
	proj := readProjection(r, SchemaGroup)
	groups, total, err := p.db.ListSCIMGroups(r.Context(), l, proj.wants("members"))
	if err != nil {
		return err
	}
	base := p.baseURL(r)
	resources := make([]map[string]any, len(groups))
	for i, g := range groups {
		resources[i] = proj.apply(groupResource(g, base, proj.wants("members")))
	}
	writeJSON(w, http.StatusOK, listResponse(resources, total, start))
	return nil
}

func (p *Provider) getGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	g, err := p.db.GetSCIMGroup(r.Context(), id, false)
	if err != nil {
		return err
	}
	if notModified(w, r, groupETag(g)) {
		return nil
	}
	return p.writeGroup(w, r, id, http.StatusOK)
}

// groupBody reads displayName, externalId and members of a POST or PUT body.
func groupBody(body map[string]any) (name, externalID string, members []int64, err error) {
	res := canonical(body).(map[string]any)
	var probs frontdesk.Problems
	n, _ := res["displayName"].(string)
	name, nerr := frontdesk.CheckSCIMGroupName(n)
	if fe, ok := nerr.(*frontdesk.Error); ok {
		probs = append(probs, fe.Fields...)
	}
	switch x := res["externalId"].(type) {
	case nil:
	case string:
		externalID = strings.TrimSpace(x)
	default:
		probs.Add("externalId", "must be a string")
	}
	members, merr := memberIDs(res["members"], true)
	if merr != nil {
		return "", "", nil, merr
	}
	if err := probs.Err(); err != nil {
		return "", "", nil, err
	}
	return name, externalID, members, nil
}

// memberIDs reads a list of members ({"value": "12"}, or a bare id). strict refuses what is
// not a user's id; otherwise such values are left out (removing someone unknown is no error).
func memberIDs(v any, strict bool) ([]int64, error) {
	var ids []int64
	if v == nil {
		return ids, nil
	}
	for _, e := range asList(v) {
		raw := e
		if m, ok := e.(map[string]any); ok {
			raw = m["value"]
		}
		s := strings.TrimSpace(fmt.Sprint(raw))
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			if strict {
				return nil, errorf(http.StatusBadRequest, "invalidValue", "%q is not the id of a user", s)
			}
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (p *Provider) createGroup(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	name, ext, members, err := groupBody(body)
	if err != nil {
		return err
	}
	g := &frontdesk.SCIMGroup{DisplayName: name, ExternalID: ext}
	for _, id := range members {
		g.Members = append(g.Members, frontdesk.SCIMMember{PersonID: id})
	}
	err = p.db.WithTx(r.Context(), func(ctx context.Context) error {
		if err := p.db.CreateSCIMGroup(ctx, g); err != nil {
			return err
		}
		return p.grant(ctx, g, members, true)
	})
	if err != nil {
		return err
	}
	return p.writeGroup(w, r, g.ID, http.StatusCreated)
}

// grant gives or takes what group g maps to for each of the people.
func (p *Provider) grant(ctx context.Context, g *frontdesk.SCIMGroup, people []int64, member bool) error {
	for _, id := range people {
		if err := p.flows.ProvisionGrant(ctx, g, id, member); err != nil {
			return err
		}
	}
	return nil
}

func (p *Provider) replaceGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	name, ext, members, err := groupBody(body)
	if err != nil {
		return err
	}
	err = p.db.WithTx(r.Context(), func(ctx context.Context) error {
		g, err := p.db.UpdateSCIMGroup(ctx, id, func(g *frontdesk.SCIMGroup) error {
			if err := checkIfMatch(r, groupETag(g)); err != nil {
				return err
			}
			g.DisplayName, g.ExternalID = name, ext
			return nil
		})
		if err != nil {
			return err
		}
		return p.setMembers(ctx, g, members)
	})
	if err != nil {
		return err
	}
	return p.writeGroup(w, r, id, http.StatusOK)
}

// setMembers makes the group's members exactly want.
func (p *Provider) setMembers(ctx context.Context, g *frontdesk.SCIMGroup, want []int64) error {
	cur, err := p.db.SCIMGroupMemberIDs(ctx, g.ID)
	if err != nil {
		return err
	}
	var gone, fresh []int64
	for _, id := range cur {
		if !slices.Contains(want, id) {
			gone = append(gone, id)
		}
	}
	for _, id := range want {
		if !slices.Contains(cur, id) {
			fresh = append(fresh, id)
		}
	}
	return p.changeMembers(ctx, g, fresh, gone)
}

func (p *Provider) changeMembers(ctx context.Context, g *frontdesk.SCIMGroup, add, remove []int64) error {
	if len(remove) > 0 {
		removed, err := p.db.RemoveSCIMGroupMembers(ctx, g.ID, remove)
		if err != nil {
			return err
		}
		if err := p.grant(ctx, g, removed, false); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		added, err := p.db.AddSCIMGroupMembers(ctx, g.ID, add)
		if err != nil {
			return err
		}
		if err := p.grant(ctx, g, added, true); err != nil {
			return err
		}
	}
	return nil
}

// patchGroup applies the operations Okta and Entra ID send: members added and removed (by a
// value filter or, as Entra does, by listing them), a new displayName or externalId, with or
// without a path.
func (p *Provider) patchGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	ops, err := readPatch(body)
	if err != nil {
		return err
	}
	err = p.db.WithTx(r.Context(), func(ctx context.Context) error {
		g, err := p.db.GetSCIMGroup(ctx, id, false)
		if err != nil {
			return err
		}
		if err := checkIfMatch(r, groupETag(g)); err != nil {
			return err
		}
		name, ext := g.DisplayName, g.ExternalID
		membersChanged := false
		for _, op := range ops {
			if op.Path == "" {
				obj, ok := op.Value.(map[string]any)
				if !ok {
					return errorf(http.StatusBadRequest, "invalidValue", "an %s without a path takes an object of attributes", op.Op)
				}
				for _, k := range sortedKeys(obj) {
					if err := p.groupAttr(ctx, g, patchOp{Op: op.Op, Path: k, Value: obj[k]}, &name, &ext, &membersChanged); err != nil {
						return err
					}
				}
				continue
			}
			if err := p.groupAttr(ctx, g, op, &name, &ext, &membersChanged); err != nil {
				return err
			}
		}
		if name != g.DisplayName || ext != g.ExternalID {
			_, err := p.db.UpdateSCIMGroup(ctx, id, func(g *frontdesk.SCIMGroup) error {
				g.DisplayName, g.ExternalID = name, ext
				return nil
			})
			return err
		}
		if membersChanged {
			return p.db.TouchSCIMGroup(ctx, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.writeGroup(w, r, id, http.StatusOK)
}

// groupAttr applies one operation with a path to a group: to its members at once, to its
// name and external id through name and ext.
func (p *Provider) groupAttr(ctx context.Context, g *frontdesk.SCIMGroup, op patchOp, name, ext *string, membersChanged *bool) error {
	if strings.EqualFold(op.Path, "id") || strings.EqualFold(op.Path, "schemas") || strings.EqualFold(op.Path, "meta") {
		return nil // read-only; Okta sends the id along with a new name
	}
	t, err := parsePath(op.Path, SchemaGroup)
	if err != nil {
		return err
	}
	if t.urn != "" {
		return errorf(http.StatusBadRequest, "invalidPath", "groups have no extension; %q names none of their attributes", op.Path)
	}
	switch t.attr {
	case "displayName", "externalId":
		if t.filter != nil || t.sub != "" {
			return errorf(http.StatusBadRequest, "invalidPath", "%s has no sub-attributes", t.attr)
		}
		if op.Op == "remove" {
			if t.attr == "displayName" {
				return errorf(http.StatusBadRequest, "mutability", "displayName is required and cannot be removed")
			}
			*ext = ""
			return nil
		}
		s, ok := op.Value.(string)
		if !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "%s must be a string", t.attr)
		}
		if t.attr == "externalId" {
			*ext = strings.TrimSpace(s)
			return nil
		}
		n, err := frontdesk.CheckSCIMGroupName(s)
		if err != nil {
			return err
		}
		*name = n
		return nil
	case "members":
	default:
		return errorf(http.StatusBadRequest, "invalidPath", "the path %q names no attribute of a group", op.Path)
	}
	*membersChanged = true
	switch {
	case op.Op == "add":
		ids, err := memberIDs(op.Value, true)
		if err != nil {
			return err
		}
		return p.changeMembers(ctx, g, ids, nil)
	case op.Op == "replace" && t.filter == nil:
		ids, err := memberIDs(op.Value, true)
		if err != nil {
			return err
		}
		return p.setMembers(ctx, g, ids)
	case op.Op == "replace":
		return errorf(http.StatusBadRequest, "invalidPath", "members are added or removed; a member is not replaced through a filter")
	}
	cur, err := p.db.SCIMGroupMemberIDs(ctx, g.ID)
	if err != nil {
		return err
	}
	var gone []int64
	switch {
	case t.filter != nil:
		for _, id := range cur {
			if matches(map[string]any{"value": strconv.FormatInt(id, 10), "type": "User"}, t.filter) {
				gone = append(gone, id)
			}
		}
	case op.Value != nil:
		// Entra ID lists the members to remove as the value.
		if gone, err = memberIDs(op.Value, false); err != nil {
			return err
		}
	default:
		gone = cur
	}
	return p.changeMembers(ctx, g, nil, gone)
}

func (p *Provider) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "group")
	if err != nil {
		return err
	}
	err = p.db.WithTx(r.Context(), func(ctx context.Context) error {
		g, err := p.db.GetSCIMGroup(ctx, id, false)
		if err != nil {
			return err
		}
		if err := checkIfMatch(r, groupETag(g)); err != nil {
			return err
		}
		cur, err := p.db.SCIMGroupMemberIDs(ctx, id)
		if err != nil {
			return err
		}
		if err := p.grant(ctx, g, cur, false); err != nil {
			return err
		}
		return p.db.DeleteSCIMGroup(ctx, id)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
