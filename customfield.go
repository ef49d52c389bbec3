package frontdesk

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// FieldType is the type of an admin-defined custom field (P4).
type FieldType string

// Custom field types.
const (
	FieldText     FieldType = "text"
	FieldNumber   FieldType = "number"
	FieldDate     FieldType = "date"
	FieldCheckbox FieldType = "checkbox"
	FieldDropdown FieldType = "dropdown"
)

// FieldTypes lists every custom field type.
var FieldTypes = []FieldType{FieldText, FieldNumber, FieldDate, FieldCheckbox, FieldDropdown}

// CustomField is the definition of a custom field on people.
type CustomField struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	Type      FieldType `json:"type"`
	Options   []string  `json:"options"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CustomFieldInput creates or changes a custom field definition. The key and type are fixed
// once created, since stored values depend on them.
type CustomFieldInput struct {
	Key     *string    `json:"key"`
	Label   *string    `json:"label"`
	Type    *FieldType `json:"type"`
	Options *[]string  `json:"options"`
}

// Limits of a custom field definition: its label and each option, and how many options.
const (
	maxFieldLabelLen = 200
	maxFieldOptions  = 500
)

// fieldKey keeps keys safe to use as JSON paths in either database.
var fieldKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ApplyCustomField applies in to f (a zero value when creating) and validates the result.
func ApplyCustomField(f *CustomField, in CustomFieldInput, creating bool) error {
	var p Problems
	if in.Key != nil {
		if !creating && *in.Key != f.Key {
			p.Add("key", "cannot change once the field exists")
		} else {
			f.Key = *in.Key
		}
	}
	if in.Type != nil {
		if !creating && *in.Type != f.Type {
			p.Add("type", "cannot change once the field exists")
		} else {
			f.Type = *in.Type
		}
	}
	if in.Label != nil {
		f.Label = CleanText(&p, "label", *in.Label, maxFieldLabelLen, OneLine)
	}
	if in.Options != nil && checkCount(&p, "options", len(*in.Options), maxFieldOptions) {
		f.Options = nil
		for i, o := range *in.Options {
			before := len(p)
			o = CleanText(&p, fmt.Sprintf("options[%d]", i), o, maxFieldLabelLen, OneLine)
			if len(p) == before && o != "" && !slices.Contains(f.Options, o) {
				f.Options = append(f.Options, o)
			}
		}
	}
	if !p.Has("key") && !fieldKey.MatchString(f.Key) {
		p.Add("key", "must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 63)")
	}
	if !p.Has("type") && !slices.Contains(FieldTypes, f.Type) {
		p.Add("type", "must be one of %v", FieldTypes)
	}
	if f.Label == "" {
		f.Label = f.Key
	}
	if f.Type == FieldDropdown && len(f.Options) == 0 {
		p.Add("options", "a dropdown needs at least one option")
	}
	if f.Type != FieldDropdown && len(f.Options) > 0 {
		p.Add("options", "only dropdown fields have options")
	}
	if f.Options == nil {
		f.Options = []string{}
	}
	return p.Err()
}

// CheckValue validates a value for this field and returns it in its stored form.
func (f *CustomField) CheckValue(v any) (any, error) {
	switch f.Type {
	case FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a string")
		}
		var probs Problems
		if CleanText(&probs, "", s, maxCustomTextLen, MultiLine); len(probs) > 0 {
			return nil, fmt.Errorf("%s", probs[0].Message)
		}
		return s, nil
	case FieldNumber:
		switch n := v.(type) {
		case float64:
			return n, nil
		case json.Number:
			f, err := n.Float64()
			if err != nil {
				return nil, fmt.Errorf("must be a number")
			}
			return f, nil
		}
		return nil, fmt.Errorf("must be a number")
	case FieldDate:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a date written YYYY-MM-DD")
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, fmt.Errorf("%q is not a date written YYYY-MM-DD", s)
		}
		return s, nil
	case FieldCheckbox:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("must be true or false")
		}
		return b, nil
	case FieldDropdown:
		s, ok := v.(string)
		if !ok || !slices.Contains(f.Options, s) {
			return nil, fmt.Errorf("must be one of %q", f.Options)
		}
		return s, nil
	}
	return nil, fmt.Errorf("has an unknown type %q", f.Type)
}
