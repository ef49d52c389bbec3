// Package ldaptest starts a real OpenLDAP server for tests: Debian's slapd, run by the test
// as an unprivileged process on a throwaway folder and free loopback ports, with a
// certificate the test makes, the mdb backend, the memberof overlay, and a small schema that
// imitates Active Directory's objectGUID (binary), sAMAccountName and userAccountControl.
package ldaptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

const (
	Suffix         = "dc=example,dc=test"
	AdminDN        = "cn=admin," + Suffix
	AdminPassword  = "admin-secret"
	ReaderDN       = "cn=reader," + Suffix
	ReaderPassword = "reader-secret"
	// SizeLimit is the most entries the reader gets from one search without paging: a
	// directory larger than it can be read only page by page (RFC 2696).
	SizeLimit = 10
)

// adSchema imitates the attributes of Active Directory that the AD dialect reads. The OIDs
// are Microsoft's, so that the names mean what they mean in AD.
const adSchema = `
attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID'
	EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
	EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
	EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.1.1 NAME 'frontdeskADUser' SUP top AUXILIARY
	MAY ( objectGUID $ sAMAccountName $ userAccountControl ) )
`

// Server is a running slapd: URL offers StartTLS, LDAPSURL is TLS from the start, both with
// the certificate CAPEM.
type Server struct {
	URL      string // ldap:// (StartTLS offered)
	LDAPSURL string
	CAPEM    string
	dir      string
}

// Available reports whether slapd, its schema and modules are installed.
func Available() bool {
	_, _, _, err := find()
	return err == nil
}

func find() (bin, schemaDir, modDir string, err error) {
	bin, err = exec.LookPath("slapd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/slapd"); serr == nil {
			bin, err = "/usr/sbin/slapd", nil
		}
	}
	for _, d := range []string{"/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema"} {
		if _, serr := os.Stat(filepath.Join(d, "inetorgperson.schema")); serr == nil {
			schemaDir = d
			break
		}
	}
	for _, d := range []string{"/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap"} {
		if _, serr := os.Stat(filepath.Join(d, "back_mdb.so")); serr == nil {
			modDir = d
			break
		}
	}
	if err == nil && (schemaDir == "" || modDir == "") {
		err = os.ErrNotExist
	}
	return bin, schemaDir, modDir, err
}

// Start starts a fresh directory, or skips the test when slapd is not installed (fails
// when FRONTDESK_TEST_REQUIRE_LDAP=1).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, schemaDir, modDir, err := find()
	if err != nil {
		msg := "B5 directory tests need OpenLDAP's slapd with its schema and modules (Debian: apt-get install slapd ldap-utils)"
		if os.Getenv("FRONTDESK_TEST_REQUIRE_LDAP") == "1" {
			t.Fatal(msg + "; FRONTDESK_TEST_REQUIRE_LDAP=1 requires them")
		}
		t.Skip(msg)
	}

	// The folder must be usable by the unprivileged user slapd runs as when the test is root.
	dir, err := os.MkdirTemp("", "frontdesk-slapd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.Chmod(dir, 0o755))
	must(t, os.Mkdir(filepath.Join(dir, "db"), 0o700))
	certPEM, keyPEM := testCert(t)
	must(t, os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "ad.schema"), []byte(adSchema), 0o644))
	conf := fmt.Sprintf(`include %[1]s/core.schema
include %[1]s/cosine.schema
include %[1]s/inetorgperson.schema
include %[2]s/ad.schema
modulepath %[3]s
moduleload back_mdb
moduleload memberof
pidfile %[2]s/slapd.pid
TLSCertificateFile %[2]s/cert.pem
TLSCertificateKeyFile %[2]s/key.pem
sizelimit %[4]d
database mdb
maxsize 67108864
suffix "%[5]s"
rootdn "%[6]s"
rootpw %[7]s
directory %[2]s/db
limits dn.exact="%[8]s" size.soft=%[4]d size.hard=%[4]d size.pr=%[4]d size.prtotal=unlimited
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="%[8]s" read by * none
overlay memberof
`, schemaDir, dir, modDir, SizeLimit, Suffix, AdminDN, AdminPassword, ReaderDN)
	must(t, os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o644))

	port, sport := freePort(t), freePort(t)
	s := &Server{URL: fmt.Sprintf("ldap://127.0.0.1:%d", port), LDAPSURL: fmt.Sprintf("ldaps://127.0.0.1:%d", sport),
		CAPEM: string(certPEM), dir: dir}
	args := []string{"-d", "0", "-f", filepath.Join(dir, "slapd.conf"), "-h", s.URL + "/ " + s.LDAPSURL + "/"}
	if os.Geteuid() == 0 {
		// Root runs it as nobody, who must own what it writes.
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("running as root needs the user nobody for slapd: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, f := range []string{dir, filepath.Join(dir, "db"), filepath.Join(dir, "key.pem")} {
			must(t, os.Chown(f, uid, gid))
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "-u", u.Username, "-g", g.Name)
	}
	cmd := exec.Command(bin, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	for i := 0; ; i++ {
		c, err := ldap.DialURL(s.URL)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("slapd stopped: %s", out.String())
		default:
		}
		if i > 300 {
			t.Fatalf("slapd did not answer on %s: %v\n%s", s.URL, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.seed(t)
	return s
}

// Admin returns a connection bound as the directory's root, to change it.
func (s *Server) Admin(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	must(t, c.Bind(AdminDN, AdminPassword))
	return c
}

// seed adds the base entries: the suffix, the reader account, people and groups folders.
func (s *Server) seed(t testing.TB) {
	c := s.Admin(t)
	add := func(dn string, attrs map[string][]string) {
		r := ldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			r.Attribute(k, v)
		}
		must(t, c.Add(r))
	}
	add(Suffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}})
	add(ReaderDN, map[string][]string{"objectClass": {"person"}, "cn": {"reader"}, "sn": {"reader"}, "userPassword": {ReaderPassword}})
	add("ou=people,"+Suffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}})
	add("ou=groups,"+Suffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}})
}

// Person is a directory entry a test adds.
type Person struct {
	UID, Given, SN, Mail, Phone, Dept string
	GUID                              []byte // Active Directory's objectGUID, when set
	UAC                               int    // userAccountControl, when guid is set
}

// AddPerson adds an inetOrgPerson under ou=people (with the Active Directory attributes
// when GUID is set) and returns its DN.
func (s *Server) AddPerson(t testing.TB, p Person) string {
	t.Helper()
	dn := "uid=" + p.UID + ",ou=people," + Suffix
	r := ldap.NewAddRequest(dn, nil)
	classes := []string{"inetOrgPerson"}
	r.Attribute("uid", []string{p.UID})
	r.Attribute("cn", []string{strings.TrimSpace(p.Given + " " + p.SN)})
	r.Attribute("sn", []string{p.SN})
	if p.Given != "" {
		r.Attribute("givenName", []string{p.Given})
	}
	if p.Mail != "" {
		r.Attribute("mail", []string{p.Mail})
	}
	if p.Phone != "" {
		r.Attribute("telephoneNumber", []string{p.Phone})
	}
	if p.Dept != "" {
		r.Attribute("departmentNumber", []string{p.Dept})
	}
	if p.GUID != nil {
		classes = append(classes, "frontdeskADUser")
		r.Attribute("objectGUID", []string{string(p.GUID)})
		r.Attribute("sAMAccountName", []string{p.UID})
		r.Attribute("userAccountControl", []string{strconv.Itoa(p.UAC)})
	}
	r.Attribute("objectClass", classes)
	must(t, s.Admin(t).Add(r))
	return dn
}

// AddGroup adds a groupOfNames with members (DNs) and returns its DN.
func (s *Server) AddGroup(t testing.TB, cn string, members ...string) string {
	t.Helper()
	dn := "cn=" + cn + ",ou=groups," + Suffix
	r := ldap.NewAddRequest(dn, nil)
	r.Attribute("objectClass", []string{"groupOfNames"})
	r.Attribute("cn", []string{cn})
	r.Attribute("member", members)
	must(t, s.Admin(t).Add(r))
	return dn
}

// Modify replaces attributes of an entry.
func (s *Server) Modify(t testing.TB, dn string, replace map[string][]string) {
	t.Helper()
	r := ldap.NewModifyRequest(dn, nil)
	for k, v := range replace {
		r.Replace(k, v)
	}
	must(t, s.Admin(t).Modify(r))
}

// Remove deletes an entry.
func (s *Server) Remove(t testing.TB, dn string) {
	t.Helper()
	must(t, s.Admin(t).Del(ldap.NewDelRequest(dn, nil)))
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testCert makes a self-signed certificate for 127.0.0.1, which the sources trust as their CA.
func testCert(t testing.TB) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "frontdesk test directory"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
