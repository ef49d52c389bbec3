package main

import (
	"strconv"
	"strings"

	"frontdesk"
)

// gen makes realistic, deterministic people from an index: person k always gets the same
// names, address and phone, so that later phases can pick an existing person by drawing a
// random k below N without keeping a million people in memory. Addresses are unique for
// every k below 2^32: each ends in a token that is a bijection of k.
type gen struct {
	seed uint64
	// mix, when set (-directory), spreads the people over states, channels, organizations,
	// sites and custom field values, so that each filter of the directory has something to
	// find; without it every person is an imported contact who never logged in.
	mix *directoryMix
}

// mix64 is the splitmix64 finalizer: a bijection on 64-bit values that scatters bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// mix32 is the murmur3 finalizer: a bijection on 32-bit values.
func mix32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x
}

// bits returns 64 random-looking bits that belong to person k.
func (g gen) bits(k int) uint64 { return mix64(uint64(k) ^ g.seed) }

// token is the unique part of person k's address: k scrambled by a bijection, in base 36.
func (g gen) token(k int) string {
	return strconv.FormatUint(uint64(mix32(uint32(k)^uint32(g.seed))), 36)
}

// names returns person k's first and last name.
func (g gen) names(k int) (first, last string) {
	h := g.bits(k)
	return firstNames[h%uint64(len(firstNames))], lastNames[(h>>8)%uint64(len(lastNames))]
}

// address returns person k's address, in normalized (lower-case) form. The local part
// takes one of several common shapes; the part after its last dot is the unique token, and
// names never hold a dot, so two people never share an address.
func (g gen) address(k int) string {
	h := g.bits(k)
	first, last := g.names(k)
	first, last = strings.ToLower(first), strings.ToLower(last)
	t := g.token(k)
	var local string
	switch (h >> 16) % 6 {
	case 0:
		local = first + "." + last + "." + t
	case 1:
		local = first[:1] + last + "." + t
	case 2:
		local = first + "_" + last + "." + t
	case 3:
		local = first + "." + t
	case 4:
		local = last + "." + first + "." + t
	default:
		local = "x." + t
	}
	return local + "@" + g.domain(h>>24)
}

// domain picks one of about a thousand domains: a quarter of people use a large mail
// provider, the rest a company domain, some companies much larger than others.
func (g gen) domain(h uint64) string {
	if h%4 == 0 {
		return mailProviders[(h>>2)%uint64(len(mailProviders))]
	}
	u := float64((h>>8)&0xffff) / 65536
	return companyDomains[int(u*u*float64(len(companyDomains)))]
}

// phone returns person k's number in E.164: mostly North American numbers in real area
// codes, some British mobiles; all valid by the phone library's rules.
func (g gen) phone(k int) string {
	h := mix64(g.bits(k))
	if h%5 == 0 {
		return "+4477" + strconv.Itoa(1+int((h>>8)%7)) + pad(int((h>>16)%10_000_000), 7)
	}
	area := usAreaCodes[(h>>8)%uint64(len(usAreaCodes))]
	exchange := 200 + int((h>>20)%800)
	if exchange%100 == 11 { // N11 codes are service codes
		exchange++
	}
	line := int((h >> 32) % 10000)
	return "+1" + area + strconv.Itoa(exchange) + pad(line, 4)
}

var usAreaCodes = strings.Fields(`201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 224 225
	228 229 231 234 239 240 248 251 252 253 254 256 260 262 267 269 270 272 276 281 301 302 303 304 305 307 308
	309 310 312 313 314 315 316 317 318 319 320 321 323 325 330 331 334 336 337 339 347 351 352 360 361 386 401
	402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435 440 442 443 458 469 470
	475 478 479 480 484 501 502 503 504 505 507 508 509 510 512 513 515 516 517 518 520 530 540 541 551 559 561
	562 563 567 570 571 573 574 575 580 585 586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619
	620 623 626 630 631 636 641 646 650 651 657 660 661 662 678 681 682 701 702 703 704 706 707 708 712 713 714
	715 716 717 718 719 720 724 727 731 732 734 737 740 747 754 757 760 762 763 765 770 772 773 774 775 779 781
	785 786 801 802 803 804 805 806 808 810 812 813 814 815 816 817 818 828 830 831 832 843 845 847 848 850 856
	857 858 859 860 862 863 864 865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917 918 919
	920 925 928 931 936 937 940 941 947 949 951 952 954 956 970 971 972 973 978 979 980 985 989`)

func pad(n, width int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", width-len(s)) + s
}

// person returns person k as an import would store them.
func (g gen) person(k int) *frontdesk.Person {
	p := frontdesk.NewPerson(frontdesk.ChannelImport)
	p.FirstName, p.LastName = g.names(k)
	p.Emails = []frontdesk.Email{{Address: g.address(k), Primary: true}}
	p.Phones = []frontdesk.Phone{{Number: g.phone(k), Label: "mobile"}}
	if g.mix != nil {
		g.mix.apply(p, g.bits(k)>>16)
	}
	return p
}

// input returns person k as a client sends them to POST /api/v1/people.
func (g gen) input(k int) map[string]any {
	first, last := g.names(k)
	return map[string]any{
		"first_name": first,
		"last_name":  last,
		"email":      g.address(k),
		"phones":     []map[string]string{{"number": g.phone(k), "label": "mobile"}},
	}
}

// suggestQuery returns what staff would type to find person k: the first 3 to 5
// characters of their address, of "first last" or of "last first", by r (any random value).
func (g gen) suggestQuery(k int, r uint64) string {
	first, last := g.names(k)
	var s string
	switch r % 3 {
	case 0:
		s = g.address(k)
	case 1:
		s = strings.ToLower(first + " " + last)
	default:
		s = strings.ToLower(last + " " + first)
	}
	n := min(3+int((r>>8)%3), len(s))
	return s[:n]
}

var firstNames = []string{
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
	"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
	"Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
	"Kenneth", "Dorothy", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Edward", "Deborah",
	"Ronald", "Stephanie", "Timothy", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
	"Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Shirley", "Eric", "Angela", "Jonathan", "Helen",
	"Stephen", "Anna", "Larry", "Brenda", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Emma",
	"Oliver", "Amelia", "Noah", "Olivia", "Liam", "Sophia", "Lucas", "Mia", "Mateo", "Isabella",
	"Hiroshi", "Yuki", "Wei", "Mei", "Arjun", "Priya", "Ahmed", "Fatima", "Lars", "Ingrid",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
	"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
	"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
	"Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
	"Tanaka", "Sato", "Wang", "Chen", "Patel", "Singh", "Khan", "Ali", "Larsen", "Schmidt",
}

var mailProviders = []string{
	"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me", "aol.com", "gmx.de",
}

// companyDomains holds 1000 distinct domains: 50 stems times 20 endings.
var companyDomains = func() []string {
	stems := []string{
		"acme", "globex", "initech", "umbrella", "stark", "wayne", "wonka", "tyrell", "cyberdyne", "soylent",
		"hooli", "vandelay", "dunder", "prestige", "oscorp", "gringotts", "monarch", "wernham", "sterling", "pied",
		"aperture", "blackmesa", "massive", "nakatomi", "duff", "krusty", "virtucon", "zorg", "tricell", "weyland",
		"northwind", "contoso", "fabrikam", "adventure", "litware", "tailspin", "wingtip", "fourth", "proseware", "lucerne",
		"bluth", "sirius", "ollivander", "strickland", "rekall", "omni", "veridian", "genco", "kwik", "buynlarge",
	}
	endings := []string{"", "-corp", "labs", "-group", "tech", "-systems", "works", "-io", "hq", "-mail",
		"net", "-partners", "-global", "co", "-digital", "-health", "-edu", "-media", "-energy", "-logistics"}
	tlds := []string{"com", "net", "org", "io", "co.uk", "de", "fr", "com.au", "ca", "nl"}
	out := make([]string, 0, len(stems)*len(endings))
	for i, e := range endings {
		for j, s := range stems {
			out = append(out, s+e+"."+tlds[(i+j)%len(tlds)])
		}
	}
	return out
}()
