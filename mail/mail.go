// Package mail sends Frontdesk's email: templates admins can edit (E4), a queue that writes
// each message in the transaction of the change that causes it and suppresses mail to people
// who must get none (E5, E6), and a delivery worker that sends the outbox over SMTP, or to the
// local mailbox when no SMTP server is configured, with retries and backoff, never losing a
// message and never sending two different ones for one event.
package mail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"strings"

	"frontdesk"
	"frontdesk/store"
)

// Config is what the mailer needs from the operator's configuration.
type Config struct {
	// From is the sender of every message, "Name <address>" or an address.
	From string
	// HelpdeskURL is the help center's address, the helpdesk_url of the templates.
	HelpdeskURL string
}

// Mailer renders templates and queues messages.
type Mailer struct {
	db       *store.DB
	cfg      Config
	defaults map[string]*compiled
}

// New returns a mailer. It parses the built-in templates, so a broken one stops the binary
// at start, not a customer's email.
func New(db *store.DB, cfg Config) (*Mailer, error) {
	if cfg.From == "" {
		cfg.From = "Frontdesk <frontdesk@localhost>"
	}
	if _, err := netmail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("mail from %q: %w", cfg.From, err)
	}
	if cfg.HelpdeskURL == "" {
		cfg.HelpdeskURL = "http://127.0.0.1:8080"
	}
	m := &Mailer{db: db, cfg: cfg, defaults: map[string]*compiled{}}
	for _, name := range Names() {
		t, err := defaultTemplate(name)
		if err != nil {
			return nil, err
		}
		c, err := compile(t)
		if err != nil {
			return nil, fmt.Errorf("default template %s: %w", name, err)
		}
		m.defaults[name] = c
	}
	return m, nil
}

// Template returns the version of template name in use: the admins' when they saved one,
// else the built-in default.
func (m *Mailer) Template(ctx context.Context, name string) (*frontdesk.MailTemplate, error) {
	if Variables(name) == nil {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "there is no email template %q", name)
	}
	t, err := m.db.GetMailTemplate(ctx, name)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		return defaultTemplate(name)
	}
	return t, err
}

// Templates returns every template in use, by name.
func (m *Mailer) Templates(ctx context.Context) ([]*frontdesk.MailTemplate, error) {
	var out []*frontdesk.MailTemplate
	for _, name := range Names() {
		t, err := m.Template(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// SaveTemplate stores the admins' version of a template after checking it: a template that
// does not parse, uses a variable it does not know or fails to render is refused with an
// EInvalid error naming the field and the variable (E4).
func (m *Mailer) SaveTemplate(ctx context.Context, t *frontdesk.MailTemplate) error {
	if _, err := compile(t); err != nil {
		return err
	}
	return m.db.SaveMailTemplate(ctx, t)
}

// ResetTemplate drops the admins' version of a template; the built-in default applies again.
func (m *Mailer) ResetTemplate(ctx context.Context, name string) error {
	return m.db.DeleteMailTemplate(ctx, name)
}

// Preview renders a template with sample values (E4): draft when given, so an admin sees an
// edit before saving it, else the version in use. A draft is checked as saving checks it.
func (m *Mailer) Preview(ctx context.Context, name string, draft *frontdesk.MailTemplate) (*Rendered, error) {
	var t frontdesk.MailTemplate
	if draft != nil {
		t = *draft
	} else {
		current, err := m.Template(ctx, name)
		if err != nil {
			return nil, err
		}
		t = *current
	}
	t.Name = name
	c, err := compile(&t)
	if err != nil {
		return nil, err
	}
	return c.render(SampleVars(m.cfg.HelpdeskURL))
}

// Render fills template name, in the version in use, with vars.
func (m *Mailer) Render(ctx context.Context, name string, vars Vars) (*Rendered, error) {
	c, ok := m.defaults[name]
	if !ok {
		return nil, frontdesk.Errorf(frontdesk.ENotFound, "there is no email template %q", name)
	}
	t, err := m.db.GetMailTemplate(ctx, name)
	switch {
	case frontdesk.ErrorCode(err) == frontdesk.ENotFound:
	case err != nil:
		return nil, err
	default:
		// Saved versions were checked at save; a stored one that no longer compiles (a
		// variable since retired) falls back to the default rather than losing the mail.
		if saved, err := compile(t); err == nil {
			c = saved
		}
	}
	if vars.HelpdeskURL == "" {
		vars.HelpdeskURL = m.cfg.HelpdeskURL
	}
	return c.render(vars)
}

// Queue renders template name for person p and puts the message in the outbox, in the
// transaction of ctx when there is one (store.DB.WithTx), so that the change that causes
// the mail and the mail commit together (E6). It fills vars' person fields from p, their
// organization and the helpdesk settings. Mail to a machine contact or a do-not-email
// contact is stored suppressed and never sent (E5); the returned message says so.
func (m *Mailer) Queue(ctx context.Context, name string, p *frontdesk.Person, vars Vars) (*frontdesk.Message, error) {
	settings, err := m.db.GetSettings(ctx)
	if err != nil {
		return nil, err
	}
	vars.FirstName, vars.MiddleName, vars.LastName, vars.PreferredName = p.FirstName, p.MiddleName, p.LastName, p.PreferredName
	vars.DisplayName = p.DisplayName(settings.NameDisplay == frontdesk.NameDisplayPreferred)
	if vars.Email == "" {
		vars.Email = p.PrimaryEmail()
	} else if !hasAddress(p, vars.Email) {
		return nil, fmt.Errorf("mail: %s is not an address of person %d", vars.Email, p.ID)
	}
	if vars.Timezone == "" {
		vars.Timezone = p.Timezone
	}
	if p.OrganizationID != nil && vars.Organization == "" {
		o, err := m.db.GetOrganization(ctx, *p.OrganizationID)
		if err != nil {
			return nil, err
		}
		vars.Organization = o.Name
	}
	r, err := m.Render(ctx, name, vars)
	if err != nil {
		return nil, err
	}
	id := p.ID
	msg := &frontdesk.Message{PersonID: &id, To: vars.Email, ToName: strings.TrimSpace(p.FullName()), From: m.cfg.From,
		Template: name, Subject: r.Subject, Text: r.Text, HTML: r.HTML, TicketID: ticketRef(vars), Automatic: Automatic(name)}
	if err := m.db.EnqueueMail(ctx, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// QueueAddress renders template name for an address that belongs to nobody yet (a guest's
// request waiting for confirmation, C5) and puts it in the outbox in the transaction of ctx.
// name is how the guest called themselves, if they did.
func (m *Mailer) QueueAddress(ctx context.Context, template, address, name string, vars Vars) (*frontdesk.Message, error) {
	vars.Email, vars.DisplayName = address, name
	if vars.FirstName == "" && vars.LastName == "" {
		vars.FirstName, vars.LastName = frontdesk.SplitFullName(name)
	}
	r, err := m.Render(ctx, template, vars)
	if err != nil {
		return nil, err
	}
	msg := &frontdesk.Message{To: address, ToName: name, From: m.cfg.From, Template: template,
		Subject: r.Subject, Text: r.Text, HTML: r.HTML, TicketID: ticketRef(vars), Automatic: Automatic(template)}
	if err := m.db.EnqueueMail(ctx, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// ticketRef is the ticket a message is about, nil when none.
func ticketRef(v Vars) *int64 {
	if v.TicketID == 0 {
		return nil
	}
	id := v.TicketID
	return &id
}

func hasAddress(p *frontdesk.Person, address string) bool {
	for _, e := range p.Emails {
		if e.Address == address {
			return true
		}
	}
	return false
}
