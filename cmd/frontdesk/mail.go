package main

// The mail commands (I4) and the delivery worker's wiring (E6).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"frontdesk"
	"frontdesk/mail"
)

const mailUsage = `Usage:
  frontdesk mail list [--state S] [--to ADDR] [--limit N] [--after ID]   list the outbox, newest first
  frontdesk mail show ID [--raw | --html]                              show one message
`

// mailCommand runs frontdesk mail list and frontdesk mail show: the outbox is the local
// mailbox when no SMTP server is configured, and the record of delivery when one is.
func mailCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, mailUsage)
		return nil
	}
	switch args[0] {
	case "list":
		return mailList(ctx, args[1:], stdout)
	case "show":
		return mailShow(ctx, args[1:], stdout)
	}
	return fmt.Errorf("unknown command mail %s\n%s", args[0], mailUsage)
}

func mailList(ctx context.Context, args []string, stdout io.Writer) error {
	var state, to string
	var limit int
	var after int64
	cfg, err := parse("mail list", args, func(fs *flag.FlagSet) {
		fs.StringVar(&state, "state", "", "only messages in this state: queued, sending, sent, abandoned or suppressed")
		fs.StringVar(&to, "to", "", "only messages to this address")
		fs.IntVar(&limit, "limit", 50, "how many messages to show (at most 500)")
		fs.Int64Var(&after, "after", 0, "show messages older than this id (the next page)")
	})
	if err != nil {
		return err
	}
	if state != "" && !frontdesk.MessageState(state).Valid() {
		return fmt.Errorf("--state %q is not one of %v", state, frontdesk.MessageStates)
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	msgs, next, err := db.ListMail(ctx, frontdesk.MailFilter{State: frontdesk.MessageState(state), To: to}, frontdesk.Page{After: after, Limit: limit})
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		fmt.Fprintln(stdout, "no messages")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tTO\tTEMPLATE\tSUBJECT")
	for _, m := range msgs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.State, m.CreatedAt.Format(time.DateTime), m.To, m.Template, truncate(m.Subject, 60))
	}
	tw.Flush()
	if next != 0 {
		fmt.Fprintf(stdout, "more: frontdesk mail list --after %d\n", next)
	}
	return nil
}

func mailShow(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("mail show needs the id of a message: frontdesk mail show ID")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a message id", args[0])
	}
	var raw, html bool
	cfg, err := parse("mail show", args[1:], func(fs *flag.FlagSet) {
		fs.BoolVar(&raw, "raw", false, "print the message as it goes out over SMTP (MIME)")
		fs.BoolVar(&html, "html", false, "print the HTML body instead of the text body")
	})
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.GetMail(ctx, id)
	if err != nil {
		return err
	}
	if raw {
		key, err := mail.AddressKey(ctx, db)
		if err != nil {
			return err
		}
		_, err = stdout.Write(mail.Compose(m, key))
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 1, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	line("Message", strconv.FormatInt(m.ID, 10))
	line("State", string(m.State))
	line("Suppressed", m.SuppressedReason)
	line("From", m.From)
	to := m.To
	if m.ToName != "" {
		to = m.ToName + " <" + m.To + ">"
	}
	line("To", to)
	line("Subject", m.Subject)
	line("Template", m.Template)
	line("Message-ID", m.MessageID)
	line("Created", m.CreatedAt.Format(time.RFC3339))
	if m.SentAt != nil {
		line("Sent", m.SentAt.Format(time.RFC3339)+" via "+m.Via)
	}
	line("Attempts", strconv.Itoa(m.Attempts))
	if m.State == frontdesk.MessageQueued && m.Attempts > 0 {
		line("Next attempt", m.NextAttemptAt.Format(time.RFC3339))
	}
	line("Last error", m.LastError)
	tw.Flush()
	body := m.Text
	if html {
		body = m.HTML
	}
	fmt.Fprintf(stdout, "\n%s\n", strings.TrimRight(body, "\n"))
	return nil
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// startMailWorker starts delivering the outbox (E6): over SMTP when --smtp-addr is set, else
// to the local mailbox. stop ends it and waits until what it was sending is recorded.
// smtp checks the mail settings and returns the SMTP configuration; with no server, mail
// goes to the local mailbox.
func (cfg *Config) smtp(log *slog.Logger) (mail.SMTPConfig, error) {
	smtpCfg := mail.SMTPConfig{Addr: cfg.SMTPAddr, TLS: cfg.SMTPTLS, Username: cfg.SMTPUser, Password: cfg.SMTPPassword}
	if err := smtpCfg.Check(); err != nil {
		return smtpCfg, fmt.Errorf("configuration: %w", err)
	}
	if smtpCfg.Addr == "" {
		log.Info("no SMTP server configured: mail goes to the local mailbox (frontdesk mail list)")
	} else if smtpCfg.Username != "" && smtpCfg.TLS == mail.TLSNone {
		log.Warn("SMTP password sent without TLS; set --smtp-tls starttls or tls")
	}
	return smtpCfg, nil
}
