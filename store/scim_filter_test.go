package store

import (
	"math/rand/v2"
	"reflect"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// B6: the pattern that reads attr eq "value" gives the parser's tree, and leaves every other
// shape to the parser.
func TestB6SimpleEqMatchesParser(t *testing.T) {
	inputs := []string{`userName eq "bjensen"`, `userName Eq "x"`, `userName EQ ""`, `name.familyName eq "O'Malley"`,
		`emails.value eq "a+b@example.com"`, `externalId eq "00ujl29u0le5T6Aj10h7"`, `userName eq "Ünïcode ✓"`, `user-name_2 eq "x"`,
		`userName eq "a\"b"`, `userName eq "a\\b"`, `userName  eq "x"`, `userName eq  "x"`, `userName eq "x" `, ` userName eq "x"`,
		`userName ne "x"`, `userName eq x`, `userName eq 5`, `userName eq true`, `1userName eq "x"`, `a.b.c eq "x"`, `userName eq "x" or a eq "y"`,
		"userName eq \"tab\there\"", `_x eq "y"`, `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`}
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []rune(`aZ09._- "\\eqEQ'@:` + "\t")
	for range 2000 {
		n := 1 + rng.IntN(20)
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, `userName eq "`+string(r)+`"`, string(r)+` eq "x"`, string(r))
	}
	for _, in := range inputs {
		m := simpleEq.FindStringSubmatch(in)
		if m == nil {
			continue
		}
		fast, err := ParseSCIMFilter(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		slow, err := filter.ParseFilter([]byte(in))
		if err != nil {
			t.Errorf("%q: the pattern reads what the parser refuses: %v", in, err)
			continue
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%q: pattern %#v, parser %#v", in, fast, slow)
		}
	}
	if simpleEq.FindStringSubmatch(`userName eq "bjensen"`) == nil {
		t.Fatal("the common filter does not take the fast path")
	}
}
