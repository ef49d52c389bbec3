package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"

	"frontdesk"
)

// Entry is one person as the directory has them.
type Entry struct {
	DN  string
	Key string // the directory's unique id of the entry (objectGUID, entryUUID)
	// Attrs holds the values read, by lower-case attribute name.
	Attrs map[string][]string
	// Groups are the normalized DNs of the groups the entry is a member of.
	Groups map[string]bool
	// Disabled is Active Directory's "account disabled" bit: such an entry counts as gone.
	Disabled bool
}

// First returns the first value of an attribute, "" when it has none or the name is "".
func (e *Entry) First(attr string) string {
	if attr == "" {
		return ""
	}
	if v := e.Attrs[strings.ToLower(attr)]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// uacDisabled is the ACCOUNTDISABLE flag of Active Directory's userAccountControl.
const uacDisabled = 0x2

// dialTimeout bounds connecting and each request to the directory.
const dialTimeout = 30 * time.Second

// connect dials a source's directory in its TLS mode and binds as its bind DN. Errors name
// what failed in words a person configuring the source understands.
func connect(ctx context.Context, src *frontdesk.DirectorySource) (*ldap.Conn, error) {
	u, err := url.Parse(src.URL)
	if err != nil {
		return nil, fmt.Errorf("directory address %q: %w", src.URL, err)
	}
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if src.CACert != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(src.CACert)) {
			return nil, errors.New("the CA certificate is not a PEM certificate")
		}
		tc.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: dialTimeout}
	if d, ok := ctx.Deadline(); ok {
		dialer.Deadline = d
	}
	conn, err := ldap.DialURL(src.URL, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(tc))
	if err != nil {
		return nil, fmt.Errorf("cannot reach the directory at %s: %v", src.URL, unwrapLDAP(err))
	}
	conn.SetTimeout(dialTimeout)
	if src.TLS == frontdesk.DirectoryStartTLS {
		if err := conn.StartTLS(tc); err != nil {
			conn.Close()
			return nil, fmt.Errorf("StartTLS with %s failed: %v", src.URL, unwrapLDAP(err))
		}
	}
	if err := conn.Bind(src.BindDN, src.Password); err != nil {
		conn.Close()
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return nil, fmt.Errorf("the directory refused the bind DN %s and its password (invalid credentials)", src.BindDN)
		}
		return nil, fmt.Errorf("binding as %s failed: %v", src.BindDN, unwrapLDAP(err))
	}
	return conn, nil
}

// unwrapLDAP gives the words of an LDAP error without the library's packet details.
func unwrapLDAP(err error) string {
	var le *ldap.Error
	if errors.As(err, &le) && le.Err != nil {
		return fmt.Sprintf("%s (%s)", le.Err.Error(), ldap.LDAPResultCodeMap[le.ResultCode])
	}
	return err.Error()
}

// fetch reads every entry of a source's filter under its base DN, page by page (RFC 2696),
// and the members of the groups its rules name. pages reports how many pages the search took.
func fetch(ctx context.Context, src *frontdesk.DirectorySource) (entries []Entry, pages int, err error) {
	conn, err := connect(ctx, src)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()

	attrs := wanted(src)
	req := ldap.NewSearchRequest(src.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, src.Filter, attrs, nil)
	paging := ldap.NewControlPaging(uint32(src.PageSize))
	req.Controls = []ldap.Control{paging}
	for {
		if err := ctx.Err(); err != nil {
			return nil, pages, err
		}
		res, err := conn.Search(req)
		if err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				return nil, pages, fmt.Errorf("the base DN %s does not exist in the directory", src.BaseDN)
			}
			if ldap.IsErrorWithCode(err, ldap.LDAPResultAdminLimitExceeded) {
				return nil, pages, fmt.Errorf("searching %s: the directory refuses pages of %d entries (%v); lower the page size", src.BaseDN, src.PageSize, unwrapLDAP(err))
			}
			return nil, pages, fmt.Errorf("searching %s for %s failed: %v", src.BaseDN, src.Filter, unwrapLDAP(err))
		}
		pages++
		for _, e := range res.Entries {
			entry, err := readEntry(src, e)
			if err != nil {
				return nil, pages, err
			}
			entries = append(entries, entry)
		}
		c, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(c.Cookie) == 0 {
			break
		}
		paging.SetCookie(c.Cookie)
	}

	// Members listed on the groups themselves (groupOfNames, groupOfUniqueNames, AD's
	// member) count as well as memberOf, which OpenLDAP has only with its memberof overlay.
	byDN := map[string]*Entry{}
	for i := range entries {
		byDN[normDN(entries[i].DN)] = &entries[i]
	}
	seen := map[string]bool{}
	for _, r := range src.Rules {
		if r.Kind != frontdesk.RuleGroup || seen[normDN(r.Value)] {
			continue
		}
		seen[normDN(r.Value)] = true
		gr := ldap.NewSearchRequest(r.Value, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
			"(objectClass=*)", []string{"member", "uniqueMember"}, nil)
		res, err := conn.Search(gr)
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			continue // a rule naming a group that is gone matches nobody
		}
		if err != nil {
			return nil, pages, fmt.Errorf("reading the group %s failed: %v", r.Value, unwrapLDAP(err))
		}
		for _, g := range res.Entries {
			for _, m := range append(g.GetAttributeValues("member"), g.GetAttributeValues("uniqueMember")...) {
				if e := byDN[normDN(m)]; e != nil {
					e.Groups[normDN(r.Value)] = true
				}
			}
		}
	}
	return entries, pages, nil
}

// wanted lists the attributes a source reads.
func wanted(src *frontdesk.DirectorySource) []string {
	a := src.Attributes
	set := map[string]string{}
	for _, n := range []string{a.ExternalID, a.Username, a.Name, a.GivenName, a.Surname, a.Email, a.Phone, "memberOf"} {
		if n != "" {
			set[strings.ToLower(n)] = n
		}
	}
	if src.Dialect == frontdesk.DialectActiveDirectory {
		set["useraccountcontrol"] = "userAccountControl"
	}
	for _, r := range src.Rules {
		if r.Kind == frontdesk.RuleAttribute {
			set[strings.ToLower(r.Attribute)] = r.Attribute
		}
	}
	out := make([]string, 0, len(set))
	for _, n := range set {
		out = append(out, n)
	}
	return out
}

func readEntry(src *frontdesk.DirectorySource, e *ldap.Entry) (Entry, error) {
	out := Entry{DN: e.DN, Attrs: map[string][]string{}, Groups: map[string]bool{}}
	for _, a := range e.Attributes {
		out.Attrs[strings.ToLower(a.Name)] = a.Values
	}
	for _, g := range out.Attrs["memberof"] {
		out.Groups[normDN(g)] = true
	}
	raw := e.GetRawAttributeValue(src.Attributes.ExternalID)
	switch {
	case len(raw) == 0:
		return out, nil // no key: reported as a failure by the plan
	case strings.EqualFold(src.Attributes.ExternalID, "objectGUID") && len(raw) == 16:
		out.Key = guidString(raw)
	case utf8.Valid(raw):
		out.Key = strings.TrimSpace(string(raw))
	default:
		out.Key = hex.EncodeToString(raw)
	}
	out.Attrs[strings.ToLower(src.Attributes.ExternalID)] = []string{out.Key}
	if src.Dialect == frontdesk.DialectActiveDirectory {
		if uac, err := strconv.ParseInt(out.First("userAccountControl"), 10, 64); err == nil && uac&uacDisabled != 0 {
			out.Disabled = true
		}
	}
	return out, nil
}

// guidString writes an objectGUID the way Active Directory shows it: the first three
// groups are little-endian.
func guidString(b []byte) string {
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%x-%x", b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8:10], b[10:16])
}

// normDN returns a DN in a form two spellings of it share: attribute types and values in
// lower case, no spaces around separators. A DN that does not parse is only lower-cased.
func normDN(dn string) string {
	d, err := ldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	var b strings.Builder
	for i, rdn := range d.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, av := range rdn.Attributes {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strings.ToLower(av.Type))
			b.WriteByte('=')
			b.WriteString(strings.ToLower(av.Value))
		}
	}
	return b.String()
}
