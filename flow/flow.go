// Package flow holds the self-service flows by which people confirm who they are and get in:
// confirmation (E1), welcome (E2), recovery (E3), onboarding (C1, C2), registration with or
// without approval (C7), activation by staff (L5) and login by password or emailed link.
// Each flow is a function over the store and the mail queue; the web pages and the API call
// the same functions. Every change and the mail it causes commit in one transaction (E6).
package flow

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/mail"
	"frontdesk/store"
)

// Flows runs the flows.
type Flows struct {
	DB *store.DB
	// Mail queues templated mail in the caller's transaction; it suppresses (and records)
	// mail to machine and do-not-email contacts (E5).
	Mail *mail.Mailer
	// BaseURL is where the help center is reached, for links in mail.
	BaseURL string
	// PhoneRegion reads phone numbers written without a country code.
	PhoneRegion string
	// SessionLifetime is how long a login lasts.
	SessionLifetime time.Duration
	// Limits on what strangers can call, by client address and by target address. On
	// PostgreSQL they are kept in the database, so that every instance shares them.
	LoginLimit    auth.Limiter
	ForgotLimit   auth.Limiter
	RegisterLimit auth.Limiter
	ResendLimit   auth.Limiter
	// Password logins (L3) count failures per address and client, and per client across
	// addresses: an attacker guessing from one place is stopped there, and the owner of the
	// address still logs in from anywhere else.
	PasswordLimit       auth.Limiter
	PasswordSourceLimit auth.Limiter
	// Log records what fails where no one waits for the answer (work done after it).
	Log *slog.Logger

	work      sync.WaitGroup
	workSlots chan struct{}
	// beforeWork, when set (tests), runs before each piece of work done after the answer.
	beforeWork func()
}

// New returns flows with the default limits: 5 login-link requests per client or address, then
// one a minute; 5 failed passwords per address from one client, and 30 from one client in all,
// then one a minute; 3 password-reset, registration or re-send requests, then one every ten
// minutes. On PostgreSQL the limits live in the database, on SQLite (one process) in memory.
func New(db *store.DB, mailer *mail.Mailer, baseURL string) *Flows {
	limit := func(name string, burst int, every time.Duration) auth.Limiter {
		if db.Engine() == store.Postgres {
			return db.Limiter(name, auth.Rate{Burst: burst, Every: every})
		}
		return auth.NewLimiter(burst, every)
	}
	return &Flows{DB: db, Mail: mailer, BaseURL: strings.TrimSuffix(baseURL, "/"), PhoneRegion: "US", SessionLifetime: 14 * 24 * time.Hour,
		LoginLimit:          limit("login", 5, time.Minute),
		ForgotLimit:         limit("forgot", 3, 10*time.Minute),
		RegisterLimit:       limit("register", 3, 10*time.Minute),
		ResendLimit:         limit("resend", 3, 10*time.Minute),
		PasswordLimit:       limit("password", 5, time.Minute),
		PasswordSourceLimit: limit("password-source", 30, time.Minute),
		Log:                 slog.New(slog.DiscardHandler),
		workSlots:           make(chan struct{}, 16),
	}
}

// take takes one attempt from every key of limit, or says why not.
func take(ctx context.Context, limit auth.Limiter, keys ...string) error {
	ok, wait, err := limit.Allow(ctx, keys...)
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	if !ok {
		return errTooMany(wait)
	}
	return nil
}

// TakeLimit takes one attempt from every key of limit, or answers ETooMany with how long to
// wait; other doors than the flows' (the intake) share the answer.
func TakeLimit(ctx context.Context, limit auth.Limiter, keys ...string) error {
	return take(ctx, limit, keys...)
}

// ErrTooMany is the answer of a rate limit.
func errTooMany(wait time.Duration) error {
	return &frontdesk.Error{Code: frontdesk.ETooMany, Message: fmt.Sprintf("too many attempts; try again in %s", wait.Round(time.Second)),
		Extra: map[string]any{"retry_after_seconds": int(wait.Seconds()) + 1}}
}

func (f *Flows) link(path string, secret string) string {
	return f.BaseURL + path + "?token=" + url.QueryEscape(secret)
}

func (f *Flows) settings(ctx context.Context) (frontdesk.Settings, error) {
	return f.DB.GetSettings(ctx)
}

func hours(n int) time.Duration { return time.Duration(n) * time.Hour }

// queue sends template name to p's primary address with a link that works for lifetime (E4, E6).
func (f *Flows) queue(ctx context.Context, name string, p *frontdesk.Person, link string, lifetime time.Duration) error {
	return f.queueTo(ctx, name, p, "", mail.Vars{Link: link}, lifetime)
}

// queueTo sends template name to one of p's addresses ("" for the primary one).
func (f *Flows) queueTo(ctx context.Context, name string, p *frontdesk.Person, address string, v mail.Vars, lifetime time.Duration) error {
	v.HelpdeskURL, v.Email = f.BaseURL, address
	if lifetime > 0 {
		v.ExpiresAt = time.Now().Add(lifetime)
	}
	_, err := f.Mail.Queue(ctx, name, p, v)
	return err
}

// emailOf returns p's address entry for address.
func emailOf(p *frontdesk.Person, address string) (frontdesk.Email, bool) {
	for _, e := range p.Emails {
		if e.Address == address {
			return e, true
		}
	}
	return frontdesk.Email{}, false
}

// verified reports whether address is one of p's addresses and confirmed: only those get
// links that let someone in without knowing the password (E3, C1).
func verified(p *frontdesk.Person, address string) bool {
	e, ok := emailOf(p, address)
	return ok && e.Verified
}

// AfterCreate sends what a person created by staff or an import gets (C1, C2, C3, E2): the
// welcome email when the setting asks for it and the person is a contact with web access,
// else a confirmation email. Machine contacts are confirmed already and get nothing (P6).
// It runs in the transaction that created the person.
func (f *Flows) AfterCreate(ctx context.Context, p *frontdesk.Person) error {
	if p.Machine || p.PrimaryEmail() == "" || p.State != frontdesk.StateNotActivated {
		return nil
	}
	s, err := f.settings(ctx)
	if err != nil {
		return err
	}
	if s.WelcomeOnCreate && !p.Role.IsStaff() && p.WebAccess != frontdesk.WebAccessNone {
		return f.sendWelcome(ctx, p, s)
	}
	return f.sendConfirmation(ctx, p, p.PrimaryEmail(), s)
}

func (f *Flows) sendConfirmation(ctx context.Context, p *frontdesk.Person, address string, s frontdesk.Settings) error {
	secret := auth.NewSecret(32)
	if err := f.DB.IssuePersonToken(ctx, p.ID, store.PurposeConfirm, address, secret, hours(s.ConfirmationLinkHours)); err != nil {
		return err
	}
	return f.queueTo(ctx, "confirm_address", p, address, mail.Vars{Link: f.link("/confirm", secret)}, hours(s.ConfirmationLinkHours))
}

func (f *Flows) sendWelcome(ctx context.Context, p *frontdesk.Person, s frontdesk.Settings) error {
	// A welcome link leads to setting credentials: for someone who has set them already it is
	// a password reset, which goes only to a confirmed address (E3).
	creds, err := f.DB.GetCredentials(ctx, p.ID)
	if err != nil {
		return err
	}
	if (creds.OnboardedAt != nil || creds.PasswordHash != "") && !verified(p, p.PrimaryEmail()) {
		return frontdesk.Errorf(frontdesk.EInvalid, "%s of person %d is not confirmed yet; a welcome link to someone with credentials goes only to a confirmed address", p.PrimaryEmail(), p.ID)
	}
	secret := auth.NewSecret(32)
	if err := f.DB.IssuePersonToken(ctx, p.ID, store.PurposeWelcome, p.PrimaryEmail(), secret, hours(s.WelcomeLinkHours)); err != nil {
		return err
	}
	return f.queue(ctx, "welcome", p, f.link("/welcome", secret), hours(s.WelcomeLinkHours))
}

// ResendConfirmation sends a new confirmation link, which supersedes the older ones (E1). It
// answers the same whether or not the address is known, so it tells strangers nothing.
func (f *Flows) ResendConfirmation(ctx context.Context, address, clientIP string) error {
	return f.forAddress(ctx, f.ResendLimit, address, clientIP, func(ctx context.Context, p *frontdesk.Person, n string) error {
		if p.State != frontdesk.StateNotActivated || p.Machine {
			return nil
		}
		s, err := f.settings(ctx)
		if err != nil {
			return err
		}
		return f.sendConfirmation(ctx, p, n, s)
	})
}

// forAddress serves a request a stranger makes about an address (a re-send, a login code, a
// forgotten password): it checks the address, takes one attempt from the limits of the
// client and of the address, and answers. Whether the address belongs to someone, and fn
// in a transaction when it does, is worked out after the answer, so that how long the answer
// takes says nothing about the address either.
func (f *Flows) forAddress(ctx context.Context, limit auth.Limiter, address, clientIP string, fn func(ctx context.Context, p *frontdesk.Person, normalized string) error) error {
	n, err := frontdesk.NormalizeEmail(address)
	if err != nil {
		return frontdesk.InvalidField("email", "%v", err)
	}
	if err := take(ctx, limit, "ip:"+clientIP, "addr:"+n); err != nil {
		return err
	}
	f.later(ctx, func(ctx context.Context) error {
		return f.DB.WithTx(ctx, func(ctx context.Context) error {
			p, err := f.DB.GetPersonByEmail(ctx, n)
			if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
				return nil
			}
			if err != nil {
				return err
			}
			return fn(ctx, p, n)
		})
	})
	return nil
}

// laterTimeout bounds work done after the answer.
const laterTimeout = time.Minute

// later runs work after the request is answered, with the request's values but not its
// cancellation; a few at a time, so that a flood queues rather than piles onto the database.
// Errors are logged, since no one waits for them.
func (f *Flows) later(ctx context.Context, work func(ctx context.Context) error) {
	ctx = context.WithoutCancel(ctx)
	f.work.Add(1)
	go func() {
		defer f.work.Done()
		if f.workSlots != nil {
			f.workSlots <- struct{}{}
			defer func() { <-f.workSlots }()
		}
		if f.beforeWork != nil {
			f.beforeWork()
		}
		ctx, cancel := context.WithTimeout(ctx, laterTimeout)
		defer cancel()
		if err := work(ctx); err != nil && f.Log != nil {
			f.Log.Error("work after the answer failed", "err", err)
		}
	}()
}

// Wait returns when the work begun after earlier answers is done: at shutdown, and in
// tests before they look for its mail.
func (f *Flows) Wait() { f.work.Wait() }

// Next says where a person goes after a step: onboarding (with its token), or the login.
type Next struct {
	Person *frontdesk.Person
	// OnboardingToken is set when onboarding follows; Required when it must be finished
	// before the person is active (staff, C1).
	OnboardingToken string
	Required        bool
}

// Confirm spends a confirmation link (E1): the address is verified; a staff member goes on to
// the mandatory onboarding (C1); a contact becomes active, or waits for approval when they
// registered while registration needs it (C7), and is offered onboarding (C2).
//
// A password given at registration counts only when browserSecret, the registering
// browser's cookie, comes with the confirmation; otherwise whoever registered may not be
// the owner of the address (a pre-registration hijack), so the password is dropped and the
// confirmer chooses one in onboarding. Confirming ends every earlier session of the person.
func (f *Flows) Confirm(ctx context.Context, secret, browserSecret string) (Next, error) {
	return f.spendAddressLink(ctx, store.PurposeConfirm, secret, browserSecret)
}

// Welcome spends a welcome link (E2, L5): it confirms the address like Confirm and leads to
// onboarding, where the person sets their credentials.
func (f *Flows) Welcome(ctx context.Context, secret string) (Next, error) {
	return f.spendAddressLink(ctx, store.PurposeWelcome, secret, "")
}

// PeekAddressLink returns the person a confirmation or welcome link is for without spending
// it, so that the page a mail scanner opens changes nothing (E1, E2).
func (f *Flows) PeekAddressLink(ctx context.Context, purpose, secret string) (*frontdesk.Person, error) {
	if purpose != store.PurposeConfirm && purpose != store.PurposeWelcome {
		return nil, frontdesk.Errorf(frontdesk.EInvalid, "no such link")
	}
	return f.peek(ctx, purpose, secret)
}

// peek reads the person of a token in a transaction that is rolled back, so nothing is spent.
func (f *Flows) peek(ctx context.Context, purpose, secret string) (*frontdesk.Person, error) {
	var p *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		id, _, err := f.DB.ConsumePersonToken(ctx, purpose, secret)
		if err != nil {
			return err
		}
		if p, err = f.DB.GetPerson(ctx, id); err != nil {
			return err
		}
		return errPeek
	})
	if err == errPeek {
		return p, nil
	}
	return nil, err
}

func (f *Flows) spendAddressLink(ctx context.Context, purpose, secret, browserSecret string) (Next, error) {
	var next Next
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		id, address, err := f.DB.ConsumePersonToken(ctx, purpose, secret)
		if err != nil {
			return err
		}
		before, err := f.DB.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if err := f.DB.RevokeAllSessions(ctx, id); err != nil {
			return err
		}
		if err := f.settleRegistrationPassword(ctx, before, browserSecret); err != nil {
			return err
		}
		s, err := f.settings(ctx)
		if err != nil {
			return err
		}
		p, err := f.DB.UpdatePerson(ctx, id, func(p *frontdesk.Person) error {
			for i := range p.Emails {
				if p.Emails[i].Address == address {
					p.Emails[i].Verified = true
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		creds, err := f.DB.GetCredentials(ctx, id)
		if err != nil {
			return err
		}
		if p.State == frontdesk.StateNotActivated && !p.Role.IsStaff() {
			to := frontdesk.StateActive
			if p.Channel == frontdesk.ChannelHelpCenter && s.Registration == frontdesk.RegistrationApproval {
				to = frontdesk.StateAwaitingApproval
			}
			if p, err = f.DB.SetState(ctx, id, store.StateChange{To: to}); err != nil {
				return err
			}
		}
		next.Person = p
		next.Required = p.Role.IsStaff() && creds.OnboardedAt == nil
		if p.WebAccess == frontdesk.WebAccessNone && !p.Role.IsStaff() {
			return nil // nothing to onboard into (P8)
		}
		if creds.OnboardedAt == nil || purpose == store.PurposeWelcome {
			next.OnboardingToken = auth.NewSecret(32)
			return f.DB.IssuePersonToken(ctx, id, store.PurposeOnboarding, address, next.OnboardingToken, hours(s.WelcomeLinkHours))
		}
		return nil
	})
	return next, err
}

// OnboardingInput is what the onboarding wizard asks (C1, C2).
type OnboardingInput struct {
	Method        store.LoginMethod
	Password      string
	PreferredName string
	Timezone      string
}

// PeekOnboarding returns the person an onboarding token is for, without spending it, so the
// wizard can show their name; a bad token is refused as Complete would refuse it.
func (f *Flows) PeekOnboarding(ctx context.Context, secret string) (*frontdesk.Person, error) {
	return f.peek(ctx, store.PurposeOnboarding, secret)
}

// settleRegistrationPassword decides, as a registrant's address is confirmed, whether the
// password given at registration stays (C7, E1): only when the confirmation comes from the
// browser that registered, which holds the registration secret.
func (f *Flows) settleRegistrationPassword(ctx context.Context, p *frontdesk.Person, browserSecret string) error {
	if p.State != frontdesk.StateNotActivated {
		return nil
	}
	creds, err := f.DB.GetCredentials(ctx, p.ID)
	if err != nil || creds.PasswordHash == "" || creds.OnboardedAt != nil {
		return err
	}
	if browserSecret != "" {
		id, _, err := f.DB.ConsumePersonToken(ctx, store.PurposeRegistration, browserSecret)
		if err == nil && id == p.ID {
			return nil
		}
		if err != nil && frontdesk.ErrorCode(err) != frontdesk.EInvalid {
			return err
		}
	}
	creds.PasswordHash = ""
	return f.DB.SaveCredentials(ctx, creds)
}

var errPeek = fmt.Errorf("peek")

// CompleteOnboarding finishes the wizard: the login method (staff choose; contacts use a
// password), the password where that is the method, preferred name and timezone. A staff
// member becomes active only here (C1). It returns the person, now able to log in.
func (f *Flows) CompleteOnboarding(ctx context.Context, secret string, in OnboardingInput) (*frontdesk.Person, error) {
	var out *frontdesk.Person
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		id, _, err := f.DB.ConsumePersonToken(ctx, store.PurposeOnboarding, secret)
		if err != nil {
			return err
		}
		p, err := f.DB.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		var probs frontdesk.Problems
		if in.Method == "" {
			in.Method = store.LoginPassword
		}
		if in.Method != store.LoginPassword && in.Method != store.LoginCode {
			probs.Add("method", "choose a password or a code by email")
		}
		if in.Method == store.LoginCode && !p.Role.IsStaff() {
			probs.Add("method", "contacts log in with a password")
		}
		creds := store.Credentials{PersonID: id, Method: in.Method}
		if in.Method == store.LoginPassword {
			hash, err := auth.HashPassword(in.Password)
			if err != nil {
				probs.Add("password", "%v", err)
			}
			creds.PasswordHash = hash
		}
		if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{PreferredName: &in.PreferredName, Timezone: &in.Timezone}, frontdesk.Rules{}); err != nil {
			probs = append(probs, err.(*frontdesk.Error).Fields...)
		}
		if err := probs.Err(); err != nil {
			return err
		}
		if _, err := f.DB.UpdatePerson(ctx, id, func(q *frontdesk.Person) error {
			q.PreferredName, q.Timezone = p.PreferredName, p.Timezone
			return nil
		}); err != nil {
			return err
		}
		now := time.Now().UTC()
		creds.OnboardedAt = &now
		if err := f.DB.SaveCredentials(ctx, creds); err != nil {
			return err
		}
		if p.State == frontdesk.StateNotActivated {
			if p, err = f.DB.SetState(ctx, id, store.StateChange{To: frontdesk.StateActive}); err != nil {
				return err
			}
		}
		out, err = f.DB.GetPerson(ctx, id)
		return err
	})
	return out, err
}
