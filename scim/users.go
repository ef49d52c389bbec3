package scim

import (
	"context"
	"net/http"
	"strconv"

	"frontdesk"
	"frontdesk/store"
)

// The /Users endpoints.

func (p *Provider) listUsers(w http.ResponseWriter, r *http.Request) error {
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
		// Sorting is not supported (the ServiceProviderConfig says so); the order is by id.
		return errorf(http.StatusBadRequest, "invalidValue", "sorting is not supported; results come in the order they were created")
	}
	people, total, err := p.db.ListSCIMUsers(r.Context(), l)
	if err != nil {
		return err
	}
	proj := readProjection(r, SchemaUser)
	resources, err := p.userResources(r, people, proj)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listResponse(resources, total, start))
	return nil
}

// userResources represents people, reading their stored attributes and groups in one go.
func (p *Provider) userResources(r *http.Request, people []*frontdesk.Person, proj projection) ([]map[string]any, error) {
	ids := make([]int64, len(people))
	for i, pe := range people {
		ids[i] = pe.ID
	}
	attrs, err := p.db.SCIMUserAttributes(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	groups := map[int64][]*frontdesk.SCIMGroup{}
	if proj.wants("groups") {
		if groups, err = p.db.SCIMGroupsOf(r.Context(), ids); err != nil {
			return nil, err
		}
	}
	base := p.baseURL(r)
	out := make([]map[string]any, len(people))
	for i, pe := range people {
		out[i] = proj.apply(userResource(pe, attrs[pe.ID], groups[pe.ID], base, false))
	}
	return out, nil
}

// writeUser answers with one user, its ETag and, for a new one, its location.
func (p *Provider) writeUser(w http.ResponseWriter, r *http.Request, pe *frontdesk.Person, status int) error {
	res, err := p.userResources(r, []*frontdesk.Person{pe}, readProjection(r, SchemaUser))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etagOf(pe))
	if status == http.StatusCreated {
		w.Header().Set("Location", p.baseURL(r)+"/Users/"+strconv.FormatInt(pe.ID, 10))
	}
	writeJSON(w, status, res[0])
	return nil
}

func (p *Provider) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	pe, err := p.db.GetPerson(r.Context(), id)
	if err != nil {
		return err
	}
	if notModified(w, r, etagOf(pe)) {
		return nil
	}
	return p.writeUser(w, r, pe, http.StatusOK)
}

func (p *Provider) createUser(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	in, active, keep, err := userInput(canonical(body).(map[string]any), true)
	if err != nil {
		return err
	}
	var pe *frontdesk.Person
	err = p.db.WithTx(r.Context(), func(ctx context.Context) error {
		pe, err = p.flows.ProvisionPerson(ctx, in, active == nil || *active)
		if err != nil {
			return err
		}
		return p.db.SetSCIMUserAttributes(ctx, pe.ID, keep)
	})
	if err != nil {
		return err
	}
	return p.writeUser(w, r, pe, http.StatusCreated)
}

func (p *Provider) replaceUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	in, active, keep, err := userInput(canonical(body).(map[string]any), true)
	if err != nil {
		return err
	}
	var pe *frontdesk.Person
	err = p.db.WithTx(r.Context(), func(ctx context.Context) error {
		pe, err = p.flows.ProvisionUpdate(ctx, id, &in, active, func(pe *frontdesk.Person) error {
			return checkIfMatch(r, etagOf(pe))
		})
		if err != nil {
			return err
		}
		return p.db.SetSCIMUserAttributes(ctx, id, keep)
	})
	if err != nil {
		return err
	}
	return p.writeUser(w, r, pe, http.StatusOK)
}

func (p *Provider) patchUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
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
	var pe *frontdesk.Person
	err = p.db.WithTx(r.Context(), func(ctx context.Context) error {
		old, err := p.db.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if err := checkIfMatch(r, etagOf(old)); err != nil {
			return err
		}
		attrs, err := p.db.SCIMUserAttributes(ctx, []int64{id})
		if err != nil {
			return err
		}
		res := userResource(old, attrs[id], nil, "", true)
		wasActive := res["active"]
		for _, op := range ops {
			if err := applyOp(res, op, SchemaUser, func(a string) bool { return userAttrs[a] }); err != nil {
				return err
			}
		}
		in, active, keep, err := userInput(res, usernameOf(old) != "")
		if err != nil {
			return err
		}
		if b, ok := boolOf(wasActive); ok && active != nil && *active == b {
			active = nil // not changed by the patch: a person who is not activated stays so
		}
		pe, err = p.flows.ProvisionUpdate(ctx, id, &in, active, func(cur *frontdesk.Person) error {
			return checkIfMatch(r, etagOf(cur))
		})
		if err != nil {
			return err
		}
		return p.db.SetSCIMUserAttributes(ctx, id, keep)
	})
	if err != nil {
		return err
	}
	return p.writeUser(w, r, pe, http.StatusOK)
}

// deleteUser deprovisions: the person is disabled, which ends their sessions and tokens (L3),
// and is never erased; SCIM shows them with active false.
func (p *Provider) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	inactive := false
	_, err = p.flows.ProvisionUpdate(r.Context(), id, nil, &inactive, func(pe *frontdesk.Person) error {
		return checkIfMatch(r, etagOf(pe))
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
