package mail

// Email templates (E4): every email comes from a template with a subject, a text body and an
// HTML body. Defaults are built into the binary; admins save their own versions, which are
// refused when they use a variable the template does not know, so that a typo shows at save
// time and not as a blank in a customer's inbox.

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"frontdesk"
)

//go:embed templates
var defaultFiles embed.FS

// Template names.
const (
	ConfirmAddress         = "confirm_address"
	Welcome                = "welcome"
	PasswordReset          = "password_reset"
	RegistrationActivation = "registration_activation"
	LoginCode              = "login_code"
	TicketReply            = "ticket_reply"
	RequestReceived        = "request_received"
	ConfirmRequest         = "confirm_request"
)

// personVariables are what every template may use: who the mail is to and where the help
// center is.
var personVariables = []string{"first_name", "middle_name", "last_name", "preferred_name", "full_name",
	"display_name", "email", "organization", "helpdesk_url"}

// templateVariables lists, for each template, the variables it may use besides the person's.
var templateVariables = map[string][]string{
	ConfirmAddress:         {"link", "expires_at"},
	Welcome:                {"link", "expires_at"},
	PasswordReset:          {"link", "expires_at"},
	RegistrationActivation: {"link", "expires_at"},
	LoginCode:              {"code", "link", "expires_at"},
	TicketReply:            {"ticket_id", "ticket_subject", "reply_body", "agent_name"},
	// RequestReceived tells the requester a request is a ticket now, with the link that
	// opens it (X5) and, for a new contact, the welcome link (C4).
	RequestReceived: {"ticket_id", "ticket_subject", "ticket_link", "link", "expires_at"},
	// ConfirmRequest asks a guest to confirm a request before anything is made (C5).
	ConfirmRequest: {"ticket_subject", "link", "expires_at"},
}

// Names returns the name of every template, sorted.
func Names() []string {
	names := make([]string, 0, len(templateVariables))
	for n := range templateVariables {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Variables returns the variables template name may use, sorted, or nil for an unknown name.
func Variables(name string) []string {
	extra, ok := templateVariables[name]
	if !ok {
		return nil
	}
	v := slices.Concat(personVariables, extra)
	slices.Sort(v)
	return v
}

// Vars are the values a template is rendered with. Queue fills the person's fields and the
// help-center address; the caller gives what the email is about (the link, the code, when
// they expire).
type Vars struct {
	FirstName     string
	MiddleName    string
	LastName      string
	PreferredName string
	DisplayName   string
	// Email is where the mail goes and what it names: the primary address unless set to
	// another of the person's addresses (a confirmation of a new address goes there).
	Email        string
	Organization string
	HelpdeskURL  string
	Link         string
	Code         string
	ExpiresAt    time.Time
	// TicketID, TicketSubject, ReplyBody and AgentName say what a reply to a ticket says
	// and who wrote it (T1).
	TicketID      int64
	TicketSubject string
	ReplyBody     string
	AgentName     string
	// TicketLink opens one ticket to its requester without a password (X5).
	TicketLink string
	// Timezone is the IANA zone expires_at is shown in; UTC when empty or unknown.
	Timezone string
}

// values is what the templates see, under the names admins write ({{.first_name}}).
func (v Vars) values() map[string]string {
	full := frontdesk.FullName(v.FirstName, v.MiddleName, v.LastName)
	display := v.DisplayName
	if display == "" {
		display = full
	}
	if display == "" {
		display = v.Email
	}
	expires := ""
	if !v.ExpiresAt.IsZero() {
		loc := time.UTC
		if v.Timezone != "" {
			if l, err := time.LoadLocation(v.Timezone); err == nil {
				loc = l
			}
		}
		expires = v.ExpiresAt.In(loc).Format("Monday 2 January 2006 at 15:04 MST")
	}
	ticketID := ""
	if v.TicketID != 0 {
		ticketID = strconv.FormatInt(v.TicketID, 10)
	}
	return map[string]string{
		"first_name": v.FirstName, "middle_name": v.MiddleName, "last_name": v.LastName,
		"preferred_name": v.PreferredName, "full_name": full, "display_name": display, "email": v.Email,
		"organization": v.Organization, "helpdesk_url": v.HelpdeskURL, "link": v.Link, "code": v.Code,
		"expires_at": expires, "ticket_id": ticketID, "ticket_subject": v.TicketSubject, "reply_body": v.ReplyBody,
		"agent_name": v.AgentName, "ticket_link": v.TicketLink,
	}
}

// SampleVars are the values a preview renders with.
func SampleVars(helpdeskURL string) Vars {
	return Vars{FirstName: "Ada", LastName: "Lovelace", PreferredName: "Ada", DisplayName: "Ada Lovelace",
		Email: "ada@example.com", Organization: "Analytical Engines Ltd", HelpdeskURL: helpdeskURL,
		Link: strings.TrimSuffix(helpdeskURL, "/") + "/l/SAMPLE-LINK", Code: "314159",
		ExpiresAt:  time.Date(2030, 12, 10, 18, 0, 0, 0, time.UTC),
		TicketLink: strings.TrimSuffix(helpdeskURL, "/") + "/requests/access?token=SAMPLE",
		TicketID:   1042, TicketSubject: "The printer on floor 2 jams", AgentName: "Grace Hopper",
		ReplyBody: "Hello Ada,\n\nwe replaced the fuser; it should print again.\n\nGrace"}
}

// Rendered is a template filled in: what an email says.
type Rendered struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// compiled is a template parsed and checked, ready to render.
type compiled struct {
	subject *template.Template
	text    *template.Template
	html    *htmltemplate.Template
}

// compile parses t and checks that it uses only the variables of its name, reporting every
// problem at once, field by field (subject, text, html).
func compile(t *frontdesk.MailTemplate) (*compiled, error) {
	var probs frontdesk.Problems
	known := Variables(t.Name)
	if known == nil {
		probs.Add("name", "there is no email template %q; the templates are %s", t.Name, strings.Join(Names(), ", "))
		return nil, probs.Err()
	}
	c := &compiled{}
	var err error
	if strings.TrimSpace(t.Subject) == "" {
		probs.Add("subject", "is empty")
	} else if c.subject, err = template.New("subject").Option("missingkey=error").Parse(t.Subject); err != nil {
		probs.Add("subject", "%s", parseMessage(err))
	} else {
		checkVariables(&probs, "subject", known, textTrees(c.subject))
	}
	if strings.TrimSpace(t.Text) == "" {
		probs.Add("text", "is empty")
	} else if c.text, err = template.New("text").Option("missingkey=error").Parse(t.Text); err != nil {
		probs.Add("text", "%s", parseMessage(err))
	} else {
		checkVariables(&probs, "text", known, textTrees(c.text))
	}
	if strings.TrimSpace(t.HTML) != "" {
		if c.html, err = htmltemplate.New("html").Option("missingkey=error").Parse(t.HTML); err != nil {
			probs.Add("html", "%s", parseMessage(err))
		} else {
			var trees []*parse.Tree
			for _, h := range c.html.Templates() {
				trees = append(trees, h.Tree)
			}
			checkVariables(&probs, "html", known, trees)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	// A template can parse and still fail to run (a field of a string, an escaping context
	// html/template refuses); a trial run with sample values finds that at save time too.
	if _, err := c.render(SampleVars("https://help.example.com")); err != nil {
		return nil, err
	}
	return c, nil
}

func textTrees(t *template.Template) []*parse.Tree {
	var trees []*parse.Tree
	for _, x := range t.Templates() {
		trees = append(trees, x.Tree)
	}
	return trees
}

// parseMessage shortens a parser's error to what an admin can act on.
func parseMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, "html/template:")
	return s
}

// checkVariables walks every node of the parsed templates and reports each variable not in
// known, once.
func checkVariables(probs *frontdesk.Problems, field string, known []string, trees []*parse.Tree) {
	seen := map[string]bool{}
	report := func(name string) {
		if seen[name] || slices.Contains(known, name) {
			return
		}
		seen[name] = true
		probs.Add(field, "unknown variable %q; this template knows %s", name, strings.Join(known, ", "))
	}
	for _, t := range trees {
		if t == nil || t.Root == nil {
			continue
		}
		walk(t.Root, func(n parse.Node) {
			switch n := n.(type) {
			case *parse.FieldNode:
				report(n.Ident[0])
			case *parse.VariableNode:
				// $.first_name reads from the top; $x is a variable the template declared.
				if len(n.Ident) > 1 && n.Ident[0] == "$" {
					report(n.Ident[1])
				}
			}
		})
	}
}

// walk calls visit for n and every node below it.
func walk(n parse.Node, visit func(parse.Node)) {
	if n == nil {
		return
	}
	visit(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, visit)
		}
	case *parse.ActionNode:
		walk(n.Pipe, visit)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, visit)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, visit)
		}
	case *parse.ChainNode:
		walk(n.Node, visit)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, visit)
	case *parse.TemplateNode:
		walk(n.Pipe, visit)
	}
}

func walkBranch(b *parse.BranchNode, visit func(parse.Node)) {
	walk(b.Pipe, visit)
	walk(b.List, visit)
	walk(b.ElseList, visit)
}

func (c *compiled) render(v Vars) (*Rendered, error) {
	data := v.values()
	var probs frontdesk.Problems
	run := func(field string, exec func(*bytes.Buffer) error) string {
		var b bytes.Buffer
		if err := exec(&b); err != nil {
			probs.Add(field, "%s", parseMessage(err))
		}
		return b.String()
	}
	r := &Rendered{}
	r.Subject = run("subject", func(b *bytes.Buffer) error { return c.subject.Execute(b, data) })
	r.Text = run("text", func(b *bytes.Buffer) error { return c.text.Execute(b, data) })
	if c.html != nil {
		r.HTML = run("html", func(b *bytes.Buffer) error { return c.html.Execute(b, data) })
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	// A subject is one line: whatever a variable held, no line break reaches the header.
	r.Subject = strings.Join(strings.Fields(r.Subject), " ")
	return r, nil
}

// defaultTemplate returns the built-in version of template name.
func defaultTemplate(name string) (*frontdesk.MailTemplate, error) {
	read := func(suffix string) (string, error) {
		b, err := defaultFiles.ReadFile("templates/" + name + suffix)
		return string(b), err
	}
	t := &frontdesk.MailTemplate{Name: name}
	var err error
	if t.Subject, err = read(".subject.txt"); err != nil {
		return nil, fmt.Errorf("default template %s: %w", name, err)
	}
	if t.Text, err = read(".txt"); err != nil {
		return nil, fmt.Errorf("default template %s: %w", name, err)
	}
	if t.HTML, err = read(".html"); err != nil {
		return nil, fmt.Errorf("default template %s: %w", name, err)
	}
	return t, nil
}
