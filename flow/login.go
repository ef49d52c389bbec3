package flow

import (
	"context"
	"errors"
	"net/url"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/mail"
	"frontdesk/store"
)

// Login is a successful login: the session's secret goes in the cookie.
type Login struct {
	Person *frontdesk.Person
	Secret string
}

// errBadLogin is the one answer to every failed login, so that it tells nothing about which
// addresses exist or what state their people are in.
var errBadLogin = frontdesk.Errorf(frontdesk.EUnauthorized, "the address or the password is wrong, or this account cannot log in")

// LoginWithPassword checks an address and password and opens a session (L3: only active
// people with web access). Failed attempts are limited per address from one client, and per
// client across addresses; a success does not count and clears the address's failures from
// that client. So a stranger guessing from one place is stopped there, but cannot lock the
// owner out: the right password from a client that has not failed still gets in.
func (f *Flows) LoginWithPassword(ctx context.Context, address, password, clientIP, userAgent string) (*Login, error) {
	n, err := frontdesk.NormalizeEmail(address)
	if err != nil {
		return nil, frontdesk.InvalidField("email", "%v", err)
	}
	return f.guessLimited(ctx, "addr:"+n, clientIP, func() (*Login, error) {
		return f.checkPassword(ctx, n, password, clientIP, userAgent)
	})
}

// guessLimited runs one guess at a secret of target (a password or a login code) under the
// limits of item 11: failures count per target and client, and per client; a success clears
// the pair and gives the client's attempt back, so an attacker guessing from elsewhere slows
// their own guessing but never locks the owner out.
func (f *Flows) guessLimited(ctx context.Context, target, clientIP string, guess func() (*Login, error)) (*Login, error) {
	pair, source := target+"|ip:"+clientIP, "ip:"+clientIP
	if err := take(ctx, f.PasswordLimit, pair); err != nil {
		return nil, err
	}
	if err := take(ctx, f.PasswordSourceLimit, source); err != nil {
		if err := f.PasswordLimit.Undo(ctx, pair); err != nil {
			f.Log.Warn("rate limit undo", "err", err)
		}
		return nil, err
	}
	login, err := guess()
	if err != nil {
		return nil, err // the attempt stays taken
	}
	if err := errors.Join(f.PasswordLimit.Reset(ctx, pair), f.PasswordSourceLimit.Undo(ctx, source)); err != nil {
		f.Log.Warn("rate limit reset after a login", "err", err)
	}
	return login, nil
}

func (f *Flows) checkPassword(ctx context.Context, n, password, clientIP, userAgent string) (*Login, error) {
	p, err := f.DB.GetPersonByEmail(ctx, n)
	if frontdesk.ErrorCode(err) == frontdesk.ENotFound {
		auth.VerifyNothing(password)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	creds, err := f.DB.GetCredentials(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if creds.PasswordHash == "" || creds.Method != store.LoginPassword {
		auth.VerifyNothing(password)
		return nil, errBadLogin
	}
	if !auth.VerifyPassword(creds.PasswordHash, password) || !store.CanLogIn(p) {
		return nil, errBadLogin
	}
	return f.openSession(ctx, p, clientIP, userAgent)
}

func (f *Flows) openSession(ctx context.Context, p *frontdesk.Person, clientIP, userAgent string) (*Login, error) {
	secret := auth.NewSecret(32)
	if _, err := f.DB.CreateSession(ctx, secret, p.ID, f.SessionLifetime, userAgent, clientIP); err != nil {
		return nil, err
	}
	return &Login{Person: p, Secret: secret}, nil
}

// RequestLoginCode emails a short one-time code to a person whose login method is a code by
// email (C1), to be typed on the login page: a mail scanner that opens the mail spends
// nothing, and the code works on another device than the one that reads the mail. The code
// goes only to a confirmed address. It answers the same for every address.
func (f *Flows) RequestLoginCode(ctx context.Context, address, clientIP string) error {
	return f.forAddress(ctx, f.LoginLimit, address, clientIP, func(ctx context.Context, p *frontdesk.Person, n string) error {
		creds, err := f.DB.GetCredentials(ctx, p.ID)
		if err != nil || creds.Method != store.LoginCode || !store.CanLogIn(p) || !verified(p, n) {
			return err
		}
		code := auth.NewCode()
		if err := f.DB.IssuePersonToken(ctx, p.ID, store.PurposeLoginCode, n, loginCodeKey(n, code), loginCodeLifetime); err != nil {
			return err
		}
		return f.queueTo(ctx, "login_code", p, n, mail.Vars{Code: code, Link: f.BaseURL + "/login/code?email=" + url.QueryEscape(n)}, loginCodeLifetime)
	})
}

// loginCodeLifetime is short: the code is a password used once.
const loginCodeLifetime = 15 * time.Minute

// loginCodeKey is what a login code is stored under: codes are short, so the address is part
// of the key, and two people may hold the same code at once.
func loginCodeKey(address, code string) string { return address + "\x00" + code }

// LoginWithCode spends a login code typed on the login page and opens a session (C1). Each
// wrong code counts against the address's live code, which dies after a few (see
// store.MaxLoginCodeAttempts); guesses are also rate limited as passwords are.
func (f *Flows) LoginWithCode(ctx context.Context, address, code, clientIP, userAgent string) (*Login, error) {
	n, err := frontdesk.NormalizeEmail(address)
	if err != nil {
		return nil, frontdesk.InvalidField("email", "%v", err)
	}
	code = auth.CleanCode(code)
	if code == "" {
		return nil, frontdesk.InvalidField("code", "type the %d-digit code from the email", auth.CodeDigits)
	}
	return f.guessLimited(ctx, "code:"+n, clientIP, func() (*Login, error) { return f.checkCode(ctx, n, code, clientIP, userAgent) })
}

func (f *Flows) checkCode(ctx context.Context, n, code, clientIP, userAgent string) (*Login, error) {
	var login *Login
	err := f.DB.WithTx(ctx, func(ctx context.Context) error {
		id, _, err := f.DB.ConsumePersonToken(ctx, store.PurposeLoginCode, loginCodeKey(n, code))
		if err != nil {
			return err
		}
		p, err := f.DB.GetPerson(ctx, id)
		if err != nil {
			return err
		}
		if !store.CanLogIn(p) {
			return errBadCode
		}
		login, err = f.openSession(ctx, p, clientIP, userAgent)
		return err
	})
	if frontdesk.ErrorCode(err) == frontdesk.EInvalid {
		if ferr := f.DB.FailLoginCode(ctx, n); ferr != nil {
			return nil, ferr
		}
		return nil, errBadCode
	}
	return login, err
}

// errBadCode answers every failed login by code alike.
var errBadCode = frontdesk.Errorf(frontdesk.EUnauthorized, "this code is wrong, used or expired; ask for a new one")

// ForgotPassword emails a reset link when the address belongs to someone who may log in
// with a password (E3, P8). It answers the same whether or not the address exists.
func (f *Flows) ForgotPassword(ctx context.Context, address, clientIP string) error {
	return f.forAddress(ctx, f.ForgotLimit, address, clientIP, func(ctx context.Context, p *frontdesk.Person, n string) error {
		if !store.CanLogIn(p) || !verified(p, n) {
			return nil
		}
		return f.sendReset(ctx, p, n)
	})
}

// sendReset sends a reset link to address, which must be confirmed: a reset to an address
// someone just typed into the profile would hand the account to whoever owns that address (E3).
func (f *Flows) sendReset(ctx context.Context, p *frontdesk.Person, address string) error {
	if !verified(p, address) {
		return frontdesk.Errorf(frontdesk.EInvalid, "%s is not confirmed yet; a password reset goes only to a confirmed address", address)
	}
	s, err := f.settings(ctx)
	if err != nil {
		return err
	}
	secret := auth.NewSecret(32)
	if err := f.DB.IssuePersonToken(ctx, p.ID, store.PurposeReset, address, secret, hours(s.WelcomeLinkHours)); err != nil {
		return err
	}
	return f.queueTo(ctx, "password_reset", p, address, mail.Vars{Link: f.link("/reset", secret)}, hours(s.WelcomeLinkHours))
}

// ResetPassword spends a reset link and sets a new password; every session of the person
// ends, since whoever forgot may not be the only one who knew the old one.
func (f *Flows) ResetPassword(ctx context.Context, secret, password string) (*frontdesk.Person, error) {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, frontdesk.InvalidField("password", "%v", err)
	}
	var p *frontdesk.Person
	err = f.DB.WithTx(ctx, func(ctx context.Context) error {
		id, _, err := f.DB.ConsumePersonToken(ctx, store.PurposeReset, secret)
		if err != nil {
			return err
		}
		if p, err = f.DB.GetPerson(ctx, id); err != nil {
			return err
		}
		if !store.CanLogIn(p) {
			return frontdesk.Errorf(frontdesk.EForbidden, "this account cannot log in")
		}
		creds, err := f.DB.GetCredentials(ctx, id)
		if err != nil {
			return err
		}
		creds.Method, creds.PasswordHash = store.LoginPassword, hash
		if err := f.DB.SaveCredentials(ctx, creds); err != nil {
			return err
		}
		return f.DB.RevokeAllSessions(ctx, id)
	})
	return p, err
}
