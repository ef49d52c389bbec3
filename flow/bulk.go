package flow

import (
	"context"
	"errors"
	"fmt"

	"frontdesk"
)

// Bulk create-or-update (X7): many people in one request, each keyed by external id or
// address, each passing the same checks as a single create or update (PreparePerson's rank
// and role checks, UpdatePerson's reach), all in one transaction in which every item has a
// savepoint: a failing item is undone alone and reported, the good ones land together.

// Keys a bulk request matches existing people by.
const (
	BulkKeyExternalID = "external_id"
	BulkKeyEmail      = "email"
)

// MaxBulkItems bounds one bulk request: its transaction stays short enough not to hold the
// writer for long, and its answer small enough to read.
const MaxBulkItems = 1000

// What became of a bulk item.
const (
	BulkCreated = "created"
	BulkUpdated = "updated"
	BulkFailed  = "failed"
)

// BulkItemError is why an item failed, shaped as the single-person API's problems are.
type BulkItemError struct {
	Code    frontdesk.Code         `json:"code"`
	Message string                 `json:"message"`
	Errors  []frontdesk.FieldError `json:"errors,omitempty"`
}

// BulkItemResult is one item's outcome, in request order (convention 19).
type BulkItemResult struct {
	Index  int            `json:"index"`
	Ref    string         `json:"ref"` // the item's key value, normalized
	Action string         `json:"action"`
	ID     int64          `json:"id,omitempty"`
	Error  *BulkItemError `json:"error,omitempty"`
}

// BulkResult answers a bulk request: the counts and every item.
type BulkResult struct {
	Key     string           `json:"key"`
	Created int              `json:"created"`
	Updated int              `json:"updated"`
	Failed  int              `json:"failed"`
	Items   []BulkItemResult `json:"items"`
}

// BulkItem is one item as it arrived: its input, or why it could not be read (Problem),
// which fails the item alone.
type BulkItem struct {
	Input   frontdesk.PersonInput
	Problem error
}

// BulkPeople creates or updates every item, matching existing people by key (BulkKeyExternalID
// or BulkKeyEmail), as the actor in ctx may. Creating needs people.create and updating
// people.update, item by item; an item the actor may not do fails alone. The same key twice
// in one request fails the later item. Errors that are not an item's (the database failing)
// fail the whole request and nothing lands.
func (f *Flows) BulkPeople(ctx context.Context, key string, items []BulkItem, channel frontdesk.Channel) (*BulkResult, error) {
	actor := frontdesk.ActorFrom(ctx)
	if !actor.Can(frontdesk.PermPeopleCreate) && !actor.Can(frontdesk.PermPeopleUpdate) {
		return nil, frontdesk.Errorf(frontdesk.EForbidden, "bulk changes to people need the %s or %s permission, which %s lacks",
			frontdesk.PermPeopleCreate, frontdesk.PermPeopleUpdate, actor.RoleName())
	}
	var probs frontdesk.Problems
	if key != BulkKeyExternalID && key != BulkKeyEmail {
		probs.Add("key", "must be %s or %s", BulkKeyExternalID, BulkKeyEmail)
	}
	if len(items) == 0 {
		probs.Add("items", "is empty; give from 1 to %d people", MaxBulkItems)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if len(items) > MaxBulkItems {
		return nil, &frontdesk.Error{Code: frontdesk.ETooLarge, Message: fmt.Sprintf("a bulk request holds at most %d people; this one holds %d: split it", MaxBulkItems, len(items)),
			Fields: []frontdesk.FieldError{{Field: "items", Message: fmt.Sprintf("holds %d people; at most %d are allowed", len(items), MaxBulkItems)}}}
	}
	out := &BulkResult{Key: key, Items: make([]BulkItemResult, len(items))}
	fail := func(i int, err error) {
		var e *frontdesk.Error
		errors.As(err, &e)
		out.Items[i].Action, out.Items[i].ID = BulkFailed, 0
		out.Items[i].Error = &BulkItemError{Code: e.Code, Message: e.Message, Errors: e.Fields}
	}
	// Each item's key, and the first item of each key.
	first := map[string]int{}
	var refs []string
	for i, it := range items {
		out.Items[i].Index = i
		if it.Problem != nil {
			if !isCallerError(it.Problem) {
				return nil, it.Problem
			}
			fail(i, it.Problem)
			continue
		}
		ref, err := bulkRef(key, it.Input)
		out.Items[i].Ref = ref
		if err != nil {
			fail(i, err)
			continue
		}
		if j, dup := first[ref]; dup {
			fail(i, frontdesk.InvalidField(key, "%q is the key of item %d as well; give each person once", ref, j))
			continue
		}
		first[ref] = i
		refs = append(refs, ref)
	}
	fields, err := f.DB.CustomFieldMap(ctx)
	if err != nil {
		return nil, err
	}
	rules := frontdesk.Rules{PhoneRegion: f.PhoneRegion, CustomFields: fields}
	err = f.DB.WithTx(ctx, func(ctx context.Context) error {
		// One read finds every existing person, instead of one per item.
		existing, err := f.DB.PeopleByExternalIDs(ctx, refs)
		if key == BulkKeyEmail {
			existing, err = f.DB.PeopleByEmails(ctx, refs)
		}
		if err != nil {
			return err
		}
		for i, it := range items {
			r := &out.Items[i]
			if r.Action == BulkFailed {
				continue
			}
			err := f.DB.Savepoint(ctx, func(ctx context.Context) error {
				if old := existing[r.Ref]; old != nil {
					if err := need(actor, frontdesk.PermPeopleUpdate, "changing a person"); err != nil {
						return err
					}
					p, err := f.updateWith(ctx, old.ID, it.Input, rules)
					if err != nil {
						return err
					}
					r.Action, r.ID = BulkUpdated, p.ID
					return nil
				}
				if err := need(actor, frontdesk.PermPeopleCreate, "creating a person"); err != nil {
					return err
				}
				p, err := f.prepare(ctx, actor, it.Input, channel, rules)
				if err != nil {
					return err
				}
				if err := f.CreatePerson(ctx, p); err != nil {
					return err
				}
				r.Action, r.ID = BulkCreated, p.ID
				return nil
			})
			if err != nil {
				if !isCallerError(err) {
					return err
				}
				fail(i, err)
			}
		}
		for _, r := range out.Items {
			switch r.Action {
			case BulkCreated:
				out.Created++
			case BulkUpdated:
				out.Updated++
			default:
				out.Failed++
			}
		}
		return f.DB.Audit(ctx, "people.bulk", "person", 0, nil, map[string]any{
			"key": key, "items": len(items), "created": out.Created, "updated": out.Updated, "failed": out.Failed})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// isCallerError reports whether err is the caller's to fix (an *frontdesk.Error that is not
// internal): such an error fails one item; any other fails the request.
func isCallerError(err error) bool {
	var e *frontdesk.Error
	return errors.As(err, &e) && e.Code != frontdesk.EInternal
}

// bulkRef returns an item's key value as the store compares it: the external id cleaned as
// ApplyPerson cleans it, or the address normalized (P5).
func bulkRef(key string, in frontdesk.PersonInput) (string, error) {
	if key == BulkKeyExternalID {
		if in.ExternalID == nil || *in.ExternalID == "" {
			return "", frontdesk.InvalidField("external_id", "is required: it is the key of this request")
		}
		var probs frontdesk.Problems
		ref := frontdesk.CleanText(&probs, "external_id", *in.ExternalID, 255, frontdesk.Trimmed)
		if err := probs.Err(); err != nil {
			return ref, err
		}
		if ref == "" {
			return "", frontdesk.InvalidField("external_id", "is required: it is the key of this request")
		}
		return ref, nil
	}
	address := ""
	if in.Email != nil {
		address = *in.Email
	} else if in.Emails != nil {
		for i, e := range *in.Emails {
			if i == 0 || e.Primary {
				address = e.Address
			}
			if e.Primary {
				break
			}
		}
	}
	if address == "" {
		return "", frontdesk.InvalidField("email", "is required: it is the key of this request")
	}
	n, err := frontdesk.NormalizeEmail(address)
	if err != nil {
		return address, frontdesk.InvalidField("email", "%v", err)
	}
	return n, nil
}
