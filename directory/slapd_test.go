package directory

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

// A real OpenLDAP server for the tests: Debian's slapd, started by the test as an
// unprivileged process on a throwaway folder and free loopback ports, with a certificate the
// test makes, the mdb backend, the memberof overlay, and a small schema that imitates Active
// Directory's objectGUID (binary), sAMAccountName and userAccountControl.

const (
	testSuffix  = "dc=example,dc=test"
	testAdminDN = "cn=admin," + testSuffix
	testAdminPW = "admin-secret"
	testReadDN  = "cn=reader," + testSuffix
	testReadPW  = "reader-secret"
	// testSizeLimit is the most entries the reader gets from one search without paging: a
	// directory larger than it can be read only page by page (RFC 2696).
	testSizeLimit = 10
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

type slapd struct {
	URL      string // ldap:// (StartTLS offered)
	LDAPSURL string
	CAPEM    string
	dir      string
}

// startSlapd starts a fresh directory, or skips the test when slapd is not installed (fails
// when FRONTDESK_TEST_REQUIRE_LDAP=1).
func startSlapd(t *testing.T) *slapd {
	t.Helper()
	bin, err := exec.LookPath("slapd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/slapd"); serr == nil {
			bin, err = "/usr/sbin/slapd", nil
		}
	}
	schemaDir := ""
	for _, d := range []string{"/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema"} {
		if _, serr := os.Stat(filepath.Join(d, "inetorgperson.schema")); serr == nil {
			schemaDir = d
			break
		}
	}
	modDir := ""
	for _, d := range []string{"/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap"} {
		if _, serr := os.Stat(filepath.Join(d, "back_mdb.so")); serr == nil {
			modDir = d
			break
		}
	}
	if err != nil || schemaDir == "" || modDir == "" {
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
`, schemaDir, dir, modDir, testSizeLimit, testSuffix, testAdminDN, testAdminPW, testReadDN)
	must(t, os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o644))

	port, sport := freePort(t), freePort(t)
	s := &slapd{URL: fmt.Sprintf("ldap://127.0.0.1:%d", port), LDAPSURL: fmt.Sprintf("ldaps://127.0.0.1:%d", sport),
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

// admin returns a connection bound as the directory's root, to change it.
func (s *slapd) admin(t *testing.T) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	must(t, c.Bind(testAdminDN, testAdminPW))
	return c
}

// seed adds the base entries: the suffix, the reader account, people and groups folders.
func (s *slapd) seed(t *testing.T) {
	c := s.admin(t)
	add := func(dn string, attrs map[string][]string) {
		r := ldap.NewAddRequest(dn, nil)
		for k, v := range attrs {
			r.Attribute(k, v)
		}
		must(t, c.Add(r))
	}
	add(testSuffix, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}})
	add(testReadDN, map[string][]string{"objectClass": {"person"}, "cn": {"reader"}, "sn": {"reader"}, "userPassword": {testReadPW}})
	add("ou=people,"+testSuffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}})
	add("ou=groups,"+testSuffix, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}})
}

// person is a directory entry the tests add.
type person struct {
	uid, given, sn, mail, phone, dept string
	guid                              []byte // Active Directory's objectGUID, when set
	uac                               int    // userAccountControl, when guid is set
}

func (s *slapd) addPerson(t *testing.T, p person) string {
	t.Helper()
	dn := "uid=" + p.uid + ",ou=people," + testSuffix
	r := ldap.NewAddRequest(dn, nil)
	classes := []string{"inetOrgPerson"}
	r.Attribute("uid", []string{p.uid})
	r.Attribute("cn", []string{strings.TrimSpace(p.given + " " + p.sn)})
	r.Attribute("sn", []string{p.sn})
	if p.given != "" {
		r.Attribute("givenName", []string{p.given})
	}
	if p.mail != "" {
		r.Attribute("mail", []string{p.mail})
	}
	if p.phone != "" {
		r.Attribute("telephoneNumber", []string{p.phone})
	}
	if p.dept != "" {
		r.Attribute("departmentNumber", []string{p.dept})
	}
	if p.guid != nil {
		classes = append(classes, "frontdeskADUser")
		r.Attribute("objectGUID", []string{string(p.guid)})
		r.Attribute("sAMAccountName", []string{p.uid})
		r.Attribute("userAccountControl", []string{strconv.Itoa(p.uac)})
	}
	r.Attribute("objectClass", classes)
	must(t, s.admin(t).Add(r))
	return dn
}

func (s *slapd) addGroup(t *testing.T, cn string, members ...string) string {
	t.Helper()
	dn := "cn=" + cn + ",ou=groups," + testSuffix
	r := ldap.NewAddRequest(dn, nil)
	r.Attribute("objectClass", []string{"groupOfNames"})
	r.Attribute("cn", []string{cn})
	r.Attribute("member", members)
	must(t, s.admin(t).Add(r))
	return dn
}

func (s *slapd) modify(t *testing.T, dn string, replace map[string][]string) {
	t.Helper()
	r := ldap.NewModifyRequest(dn, nil)
	for k, v := range replace {
		r.Replace(k, v)
	}
	must(t, s.admin(t).Modify(r))
}

func (s *slapd) remove(t *testing.T, dn string) {
	t.Helper()
	must(t, s.admin(t).Del(ldap.NewDelRequest(dn, nil)))
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testCert makes a self-signed certificate for 127.0.0.1, which the sources trust as their CA.
func testCert(t *testing.T) (certPEM, keyPEM []byte) {
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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestB5SlapdStarts(t *testing.T) {
	s := startSlapd(t)
	s.addPerson(t, person{uid: "ann", given: "Ann", sn: "Lee", mail: "ann@example.test"})
	c := s.admin(t)
	res, err := c.Search(ldap.NewSearchRequest(testSuffix, ldap.ScopeWholeSubtree, 0, 0, 0, false, "(uid=ann)", []string{"entryUUID"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("search: %v %v", res, err)
	}
}
