package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"

	"frontdesk"
)

// gen makes realistic, deterministic people from an index k: person k always gets the same
// name, address, phone, organization and external id, so the file, the bare program and the
// store see the same people without holding a million of them in memory. Version 1 is the
// changed file of the update phases: the same addresses (the import's key), other last
// names, phones and organizations.
type gen struct {
	seed uint64
	orgs []orgSpec
}

// orgSpec is an organization the run creates in every database before the people.
type orgSpec struct {
	name   string
	domain string
	sites  []string
}

// mix64 is the splitmix64 finalizer, a bijection that scatters bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func newGen(seed uint64, orgs int) gen {
	g := gen{seed: mix64(seed)}
	for i := range orgs {
		stem := orgStems[i%len(orgStems)]
		name := strings.ToUpper(stem[:1]) + stem[1:]
		if i >= len(orgStems) {
			name += " " + strconv.Itoa(i/len(orgStems)+1)
		}
		g.orgs = append(g.orgs, orgSpec{
			name:   name,
			domain: fmt.Sprintf("%s%d.example", stem, i/len(orgStems)),
			sites:  []string{"Head office", "Warehouse"},
		})
	}
	return g
}

// row is one person as the file holds them: the columns of the people file.
type row struct {
	name, email, phone, org, site, externalID string
}

var header = []string{"name", "email", "phone", "organization", "site", "external_id"}

func (r row) record() []string {
	return []string{r.name, r.email, r.phone, r.org, r.site, r.externalID}
}

// row returns person k of the given version.
func (g gen) row(k int, version uint64) row {
	h := mix64(uint64(k) ^ g.seed)
	v := mix64(h ^ version)
	first := firstNames[h%uint64(len(firstNames))]
	last := lastNames[(v>>8)%uint64(len(lastNames))]
	// The address never changes between versions: it is the key the import matches on.
	token := strconv.FormatUint(uint64(k), 36) + "." + strconv.FormatUint(h>>40, 36)
	local := strings.ToLower(first) + "." + token
	var r row
	r.name = first + " " + last
	// Everyone belongs to one of the organizations (the importer asks new people for an
	// organization and a site): a few large ones, many small. 60% use its domain, the rest
	// a mail provider. The organization stays between versions; the site moves for half.
	if len(g.orgs) > 0 {
		f := float64((h>>24)&0xffff) / 65536
		o := g.orgs[int(f*f*float64(len(g.orgs)))]
		r.org = o.name
		r.site = o.sites[(v>>16)%2]
		if (h>>16)%10 < 6 {
			r.email = local + "@" + o.domain
		}
	}
	if r.email == "" {
		r.email = local + "@" + mailProviders[(h>>16)%uint64(len(mailProviders))]
	}
	r.phone = phone(v)
	if (h>>32)%10 < 7 { // 70% come from a CRM with its own ids
		r.externalID = "crm-" + strconv.Itoa(k+1)
	}
	return r
}

// phone is a valid E.164 number: mostly North American, some British mobiles.
func phone(h uint64) string {
	h = mix64(h)
	if h%5 == 0 {
		return "+4477" + strconv.Itoa(1+int((h>>8)%7)) + pad(int((h>>16)%10_000_000), 7)
	}
	area := usAreaCodes[(h>>8)%uint64(len(usAreaCodes))]
	exchange := 200 + int((h>>20)%800)
	if exchange%100 == 11 { // N11 codes are service codes
		exchange++
	}
	return "+1" + area + strconv.Itoa(exchange) + pad(int((h>>32)%10000), 4)
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", width-len(s)) + s
}

// ids maps organization and site names to their ids in one database.
type ids struct {
	orgs  map[string]int64
	sites map[[2]string]int64
}

// person returns person k of the version as an import stores them, with the ids of the
// organization and site in the database ids describes.
func (g gen) person(k int, version uint64, in ids) *frontdesk.Person {
	r := g.row(k, version)
	p := frontdesk.NewPerson(frontdesk.ChannelImport)
	p.FirstName, p.LastName, _ = strings.Cut(r.name, " ")
	p.Emails = []frontdesk.Email{{Address: r.email, Primary: true}}
	p.Phones = []frontdesk.Phone{{Number: r.phone}}
	p.ExternalID = r.externalID
	if r.org != "" {
		id := in.orgs[r.org]
		p.OrganizationID, p.OrganizationSource = &id, frontdesk.OrgSourceImport
		if r.site != "" {
			s := in.sites[[2]string{r.org, r.site}]
			p.SiteID = &s
		}
	}
	return p
}

// writeFile writes people 0..n-1 of the version as a CSV file.
func (g gen) writeFile(path string, n int, version uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	b := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(b)
	w.Write(header)
	for k := range n {
		w.Write(g.row(k, version).record())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := b.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var orgStems = []string{
	"acme", "globex", "initech", "umbrella", "stark", "wayne", "wonka", "tyrell", "cyberdyne", "soylent",
	"hooli", "vandelay", "dunder", "prestige", "oscorp", "monarch", "sterling", "aperture", "nakatomi", "virtucon",
	"northwind", "contoso", "fabrikam", "litware", "tailspin", "wingtip", "proseware", "lucerne", "bluth", "rekall",
}

var mailProviders = []string{
	"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me", "aol.com", "gmx.de",
}

var usAreaCodes = strings.Fields(`201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 224 225
	228 229 231 234 239 240 248 251 252 253 254 256 260 262 267 269 270 272 276 281 301 302 303 304 305 307 308
	309 310 312 313 314 315 316 317 318 319 320 321 323 325 330 331 334 336 337 339 347 351 352 360 361 386 401
	402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435 440 442 443 458 469 470
	503 504 505 507 508 509 510 512 513 515 516 517 518 520 530 540 541 551 559 561 562 563 567 570 571 573 574
	575 580 585 586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619 620 623 626 630 631 636 641
	646 650 651 657 660 661 662 678 681 682 701 702 703 704 706 707 708 712 713 714 715 716 717 718 719 720 724
	727 731 732 734 737 740 747 754 757 760 762 763 765 770 772 773 774 775 779 781 785 786 801 802 803 804 805
	806 808 810 812 813 814 815 816 817 818 828 830 831 832 843 845 847 848 850 856 857 858 859 860 862 863 864
	865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917 918 919 920 925 928 931 936 937 940
	941 947 949 951 952 954 956 970 971 972 973 978 979 980 985 989`)

var firstNames = []string{
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
	"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
	"Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
	"Oliver", "Amelia", "Noah", "Olivia", "Liam", "Sophia", "Lucas", "Mia", "Mateo", "Isabella",
	"Hiroshi", "Yuki", "Wei", "Mei", "Arjun", "Priya", "Ahmed", "Fatima", "Lars", "Ingrid",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Tanaka", "Sato", "Wang", "Chen", "Patel", "Singh", "Khan", "Ali", "Larsen", "Schmidt",
}
