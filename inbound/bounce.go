package inbound

// Bounces (X3, C8). A delivery status notification says that mail we sent did not arrive.
// ParseBounce reads what it reports: RFC 3464 reports (multipart/report with a
// message/delivery-status part) per recipient, and the common free-text ones of Exim, qmail,
// sendmail, Gmail and Exchange by their wording. RecordBounces then ties each failed
// recipient to the message of ours it reports on, by the signed bounce address the report
// came back to (VERP) or by the original's Message-ID, and records it; only a matched bounce
// can suppress an address, since anyone can write a bounce.

import (
	"bytes"
	"context"
	"html"
	"io"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // the charsets of bounces from everywhere

	"frontdesk"
	"frontdesk/mail"
	"frontdesk/store"
)

// BouncedRecipient is one address a bounce reports as failed.
type BouncedRecipient struct {
	Address string
	// Hard is a permanent failure (a 5.x.x status or 5xx reply); soft failures (4.x.x) count
	// towards the soft-bounce limit.
	Hard bool
	// Status is the enhanced status code (5.1.1), or the SMTP reply code when that is all
	// the bounce gives.
	Status     string
	Diagnostic string
}

// BounceReport is what a bounce says: the recipients that failed, and what it quotes of the
// original message.
type BounceReport struct {
	Recipients        []BouncedRecipient
	OriginalMessageID string
	OriginalTo        string
}

const (
	maxBouncePartBytes  = 1 << 20 // of any one part read: what a report needs is near the top
	maxBounceDepth      = 8       // of nested multiparts
	maxBounceRecipients = 100
	maxDiagnostic       = 500
)

// ParseBounce reports whether raw is a bounce, and what it reports. A delay warning is a
// bounce that reports no failed recipient. Malformed input is not a bounce, never a panic.
func ParseBounce(raw []byte) (*BounceReport, bool) {
	e, _ := message.Read(bytes.NewReader(raw)) // an unknown charset still gives a readable entity
	if e == nil {
		return nil, false
	}
	// Every received message is asked; most are not bounces, and say so in their header.
	failedHeader := addressesIn(e.Header.Get("X-Failed-Recipients"))
	subject, _ := e.Header.Text("Subject")
	// A null sender alone is not enough: out-of-office replies use it too.
	nullSender := strings.TrimSpace(e.Header.Get("Return-Path")) == "<>" && bounceSubject.MatchString(subject)
	t, _, _ := e.Header.ContentType()
	if t != "multipart/report" && len(failedHeader) == 0 && !nullSender && !fromDaemon(e.Header) {
		return nil, false
	}
	p := &bounceParser{}
	p.walk(e, 0)
	rep := &BounceReport{}
	if p.original != "" {
		rep.OriginalMessageID, rep.OriginalTo = originalHeaders(p.original)
	}
	text := p.text
	if strings.TrimSpace(text) == "" {
		text = htmlText(p.html)
	}
	diag, pasted := splitOriginal(text)
	if rep.OriginalMessageID == "" && pasted != "" {
		id, to := originalHeaders(pasted)
		rep.OriginalMessageID = id
		if rep.OriginalTo == "" {
			rep.OriginalTo = to
		}
	}
	if p.dsnRecipients > 0 {
		// A machine-readable report says exactly which recipients failed (Action: failed)
		// and which were only delayed or delivered; the text is not read for more.
		rep.Recipients = p.failed
		return rep, true
	}
	if !p.dsn && len(failedHeader) == 0 && !nullSender && !fromDaemon(e.Header) {
		return nil, false // a multipart/report of another kind: a read receipt, say
	}
	own := bounceOwnAddresses(e.Header)
	if delayNotice.MatchString(subject) || delayNotice.MatchString(diag) {
		return rep, true
	}
	candidates := failedHeader
	if len(candidates) == 0 {
		candidates = scrapeAddresses(diag, own)
	}
	if status, _ := statusIn(diag); !p.dsn && !bounceSubject.MatchString(subject) && len(failedHeader) == 0 &&
		(len(candidates) == 0 || status == "") {
		return nil, false // a person writing from postmaster@, not a report
	}
	rep.Recipients = textRecipients(diag, candidates)
	return rep, true
}

type bounceParser struct {
	dsn           bool // a message/delivery-status part was there
	dsnRecipients int  // per-recipient blocks in it, failed or not
	failed        []BouncedRecipient
	original      string // the header of the original message
	text, html    string
}

func (p *bounceParser) walk(e *message.Entity, depth int) {
	t, _, _ := e.Header.ContentType()
	switch t {
	case "message/delivery-status", "message/global-delivery-status":
		p.dsn = true
		p.deliveryStatus(readPart(e.Body))
	case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
		if p.original == "" {
			p.original = headerBlock(readPart(e.Body))
		}
	case "text/plain", "":
		if p.text == "" {
			p.text = readPart(e.Body)
		}
	case "text/html":
		if p.html == "" {
			p.html = readPart(e.Body)
		}
	default:
		if !strings.HasPrefix(t, "multipart/") || depth >= maxBounceDepth {
			return
		}
		mr := e.MultipartReader()
		if mr == nil {
			return
		}
		for {
			part, _ := mr.NextPart() // a broken boundary ends the walk with what was read
			if part == nil {
				return
			}
			p.walk(part, depth+1)
		}
	}
}

func readPart(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxBouncePartBytes))
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// deliveryStatus reads a message/delivery-status body (RFC 3464 §2): a block of fields about
// the message, then one block per recipient, blocks separated by blank lines.
func (p *bounceParser) deliveryStatus(body string) {
	for _, block := range blankLine.Split(unfold(body), -1) {
		f := fields(block)
		addr := dsnAddress(f["original-recipient"])
		if addr == "" {
			addr = dsnAddress(f["final-recipient"])
		}
		if addr == "" {
			continue
		}
		p.dsnRecipients++
		status := enhancedStatus.FindString(f["status"])
		diag := f["diagnostic-code"]
		if i := strings.IndexByte(diag, ';'); i >= 0 && i < 20 && !strings.ContainsAny(diag[:i], " \t") {
			diag = strings.TrimSpace(diag[i+1:]) // "smtp; 550 ..." names the kind of code
		}
		code := ""
		if m := replyCode.FindStringSubmatch(" " + diag); m != nil {
			code = m[1]
		}
		action := strings.ToLower(strings.TrimSpace(f["action"]))
		if i := strings.IndexAny(action, " \t("); i >= 0 {
			action = action[:i]
		}
		class := firstByte(status, code)
		switch {
		case action == "failed":
		case action == "" && (class == '4' || class == '5'):
		default:
			continue // delayed, delivered, relayed, expanded: nothing failed
		}
		if class == '2' {
			continue
		}
		if status == "" {
			status = code
		}
		if len(p.failed) < maxBounceRecipients {
			// A failure with neither a status nor a code: the MTA gave up for good.
			p.failed = append(p.failed, BouncedRecipient{Address: addr, Hard: class != '4', Status: status, Diagnostic: clipDiagnostic(diag)})
		}
	}
}

func firstByte(s ...string) byte {
	for _, v := range s {
		if v != "" {
			return v[0]
		}
	}
	return 0
}

// unfold joins folded header lines and makes every line end \n.
func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return folded.ReplaceAllString(s, " ")
}

// fields returns the header fields of a block by lower-case name, the first of each.
func fields(block string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(block, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if _, seen := out[name]; !seen {
			out[name] = strings.TrimSpace(value)
		}
	}
	return out
}

// dsnAddress returns the address of "rfc822; someone@example.com", normalized, or "".
func dsnAddress(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	a, err := frontdesk.NormalizeEmail(strings.Trim(strings.TrimSpace(v), "<>"))
	if err != nil {
		return ""
	}
	return a
}

// headerBlock returns the header section of a message: up to its first blank line.
func headerBlock(s string) string {
	s = unfold(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

var (
	blankLine     = regexp.MustCompile(`\n[ \t]*\n`)
	folded        = regexp.MustCompile(`\n[ \t]+`)
	messageIDLine = regexp.MustCompile(`(?im)^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)`)
	toLine        = regexp.MustCompile(`(?im)^[ \t>]*To:[ \t]*(.+)$`)
	anAddress     = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`)
	// A reply code not part of an address or a number: " 550 ", "550-5.1.1".
	replyCode = regexp.MustCompile(`(?:^|[^\w.\[])([45]\d\d)[ -]+(?:#?([45]\.\d{1,3}\.\d{1,3})\b)?`)
	// An enhanced status code on its own: "5.1.1", "(#5.1.1)", but not inside 5.1.1.2.
	enhancedStatus = regexp.MustCompile(`[245]\.\d{1,3}\.\d{1,3}`)
	bareStatus     = regexp.MustCompile(`(?:^|[^\w.])([45]\.\d{1,3}\.\d{1,3})(?:[^\w.]|\.(?:\s|$)|$)`)
	// Where the copy of the original starts in a free-text bounce.
	originalMarker = regexp.MustCompile(`(?im)^.*(below this line is a copy of the message|this is a copy of the message|original message headers|headers? of the original message|original message follows|-{2,}\s*original message\s*-{2,}|undelivered message headers|returned message follows).*$`)
	// The first header of a pasted original, when no marker says where it starts.
	pastedHeader  = regexp.MustCompile(`(?m)^(Return-Path|Received|DKIM-Signature|Message-ID|From|Date|MIME-Version|Subject|To|Content-Type|X-[A-Za-z-]+):[ \t]`)
	bounceSubject = regexp.MustCompile(`(?i)undeliver|returned mail|returned to sender|delivery status notification|delivery (has )?failed|delivery failure|failure notice|mail delivery|non-?delivery|could not be delivered|rejected`)
	delayNotice   = regexp.MustCompile(`(?i)\(delay\)|delayed mail|delivery delayed|message delayed|will (continue|keep) trying|still being retried|warning message only|not yet been delivered|has been delayed`)
	permanent     = regexp.MustCompile(`(?i)permanent|does ?n[o']t exist|user unknown|unknown user|no such (user|mailbox|recipient)|address not found|couldn't be found|could not be found|invalid recipient|recipient address rejected|mailbox unavailable`)
	temporary     = regexp.MustCompile(`(?i)temporar|mailbox (is )?full|over quota|quota exceeded|try again later|deferred`)
)

// originalHeaders returns the Message-ID and the first To address of an original's header.
func originalHeaders(h string) (messageID, to string) {
	h = unfold(h)
	if m := messageIDLine.FindStringSubmatch(h); m != nil {
		messageID = m[1]
	}
	if m := toLine.FindStringSubmatch(h); m != nil {
		if list, err := netmail.ParseAddressList(m[1]); err == nil && len(list) > 0 {
			to = list[0].Address
		} else if a := anAddress.FindString(m[1]); a != "" {
			to = a
		}
		if n, err := frontdesk.NormalizeEmail(to); err == nil {
			to = n
		} else {
			to = ""
		}
	}
	return messageID, to
}

// splitOriginal splits a free-text bounce into what the mail system says and the copy of the
// original below it.
func splitOriginal(text string) (diag, original string) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	if loc := originalMarker.FindStringIndex(text); loc != nil {
		return text[:loc[0]], text[loc[1]:]
	}
	if loc := pastedHeader.FindStringIndex(text); loc != nil {
		return text[:loc[0]], text[loc[0]:]
	}
	return text, ""
}

var daemonNames = []string{"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster", "mdaemon"}

// fromDaemon reports whether a message comes from a mail system rather than a person.
func fromDaemon(h message.Header) bool {
	for _, a := range addressesIn(h.Get("From")) {
		if isDaemon(a) {
			return true
		}
	}
	return false
}

func isDaemon(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	return slices.Contains(daemonNames, local)
}

// addressesIn returns the normalized addresses in a header value.
func addressesIn(v string) []string {
	var out []string
	for _, a := range anAddress.FindAllString(v, maxBounceRecipients) {
		if n, err := frontdesk.NormalizeEmail(a); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// bounceOwnAddresses are the addresses of the bounce's own header: the mail system that
// wrote it and us, to whom it was written; neither is a failed recipient.
func bounceOwnAddresses(h message.Header) []string {
	var out []string
	for _, k := range []string{"From", "To", "Cc", "Reply-To", "Sender", "Return-Path", "Delivered-To"} {
		out = append(out, addressesIn(h.Get(k))...)
	}
	return out
}

// scrapeAddresses returns the addresses a free-text bounce names as failed, in order: every
// address in what the mail system says, but its own, ours and Message-IDs.
func scrapeAddresses(diag string, own []string) []string {
	var out []string
	for _, line := range strings.Split(diag, "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "message-id") || strings.Contains(l, "references:") || strings.Contains(l, "in-reply-to") {
			continue
		}
		for _, a := range addressesIn(line) {
			if isDaemon(a) || slices.Contains(own, a) || slices.Contains(out, a) || len(out) >= maxBounceRecipients {
				continue
			}
			out = append(out, a)
		}
	}
	return out
}

// textRecipients reads, for each failed address of a free-text bounce, the status and the
// diagnostic line in the text that follows it, up to the next failed address; the first
// of the whole text when that part has none.
func textRecipients(diag string, addrs []string) []BouncedRecipient {
	// Lower-cased byte for byte, so that a position in it is one in diag: strings.ToLower
	// changes the length of some runes.
	lower := strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, diag)
	type at struct {
		addr string
		pos  int
	}
	spots := make([]at, 0, len(addrs))
	for _, a := range addrs {
		spots = append(spots, at{a, strings.Index(lower, a)})
	}
	slices.SortStableFunc(spots, func(x, y at) int { return x.pos - y.pos })
	globalStatus, globalLine := statusIn(diag)
	out := make([]BouncedRecipient, 0, len(spots))
	for i, s := range spots {
		status, line := "", ""
		if s.pos >= 0 {
			end := len(diag)
			if i+1 < len(spots) && spots[i+1].pos > s.pos {
				end = spots[i+1].pos
			}
			status, line = statusIn(diag[s.pos:end])
		}
		if status == "" {
			status, line = globalStatus, globalLine
		}
		// Without a code, the wording decides; a failure that does not say it is permanent
		// counts as soft, so that a misread bounce alone suppresses nobody.
		hard := permanent.MatchString(diag) && !temporary.MatchString(diag)
		if status != "" {
			hard = status[0] == '5'
		}
		out = append(out, BouncedRecipient{Address: s.addr, Hard: hard, Status: status, Diagnostic: clipDiagnostic(line)})
	}
	return out
}

// statusIn returns the first status in text, enhanced if given, else the reply code, and
// the line it is on.
func statusIn(text string) (status, line string) {
	lineOf := func(i int) string {
		start := strings.LastIndexByte(text[:i], '\n') + 1
		end := strings.IndexByte(text[i:], '\n')
		if end < 0 {
			return strings.TrimSpace(text[start:])
		}
		return strings.TrimSpace(text[start : i+end])
	}
	if m := replyCode.FindStringSubmatchIndex(text); m != nil {
		status = text[m[2]:m[3]]
		if m[4] >= 0 {
			status = text[m[4]:m[5]]
		}
		return status, lineOf(m[2])
	}
	if m := bareStatus.FindStringSubmatchIndex(text); m != nil {
		return text[m[2]:m[3]], lineOf(m[2])
	}
	return "", ""
}

var (
	breakTags = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|tr|li|h\d)>`)
	anyTag    = regexp.MustCompile(`(?s)<[^>]*>`)
)

// htmlText is a rough text of an HTML bounce: enough to find addresses and codes in.
func htmlText(s string) string {
	s = breakTags.ReplaceAllString(s, "\n")
	return html.UnescapeString(anyTag.ReplaceAllString(s, " "))
}

func clipDiagnostic(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxDiagnostic {
		return s
	}
	return strings.ToValidUTF8(s[:maxDiagnostic], "") // a rune cut in two is dropped
}

// RecordBounces records each failed recipient of a bounce, received as message inboundID
// and addressed to recipients (its envelope or To addresses), against the message of ours it
// reports on: the one a signed bounce address among recipients names, else the one with the
// original's Message-ID; either only when it went to that recipient. A matched hard bounce
// suppresses the address, as do softLimit matched soft ones in a row. A bounce that matches
// nothing we sent to the address is recorded for staff and suppresses nobody: anyone can
// forge one (X3). Running it again for the same inboundID records nothing twice. It returns
// how many recipients matched a message of ours.
func RecordBounces(ctx context.Context, db *store.DB, key []byte, inboundID int64, recipients []string, rep *BounceReport, softLimit int) (matched int, err error) {
	if rep == nil {
		return 0, nil
	}
	var verp []*frontdesk.Message
	for _, r := range recipients {
		id, ok := mail.ParseBounceAddress(key, r)
		if !ok {
			continue
		}
		m, err := db.GetMail(ctx, id)
		if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
			continue
		}
		if err != nil {
			return matched, err
		}
		verp = append(verp, m)
	}
	for _, r := range rep.Recipients {
		var outbox *int64
		for _, m := range verp {
			if frontdesk.SameAddress(m.To, r.Address) {
				outbox = &m.ID
				break
			}
		}
		if outbox == nil && rep.OriginalMessageID != "" {
			m, err := db.OutboxTo(ctx, rep.OriginalMessageID, r.Address)
			if err != nil {
				return matched, err
			}
			if m != nil {
				outbox = &m.ID
			}
		}
		b := &frontdesk.Bounce{InboundID: inboundID, Address: r.Address, OutboxID: outbox, Hard: r.Hard, Status: r.Status, Diagnostic: r.Diagnostic}
		if _, err := db.RecordBounce(ctx, b, softLimit); err != nil {
			return matched, err
		}
		if outbox != nil {
			matched++
		}
	}
	return matched, nil
}

// replyTicket returns the ticket a signed reply address names (T2).
func replyTicket(key []byte, addr string) (int64, bool) { return mail.ParseReplyAddress(key, addr) }

// addressKeyName names the secret that signs reply and bounce addresses.
const addressKeyName = mail.AddressSecret
