// Command frontdesk runs the Frontdesk helpdesk and its operator commands. It only wires:
// configuration, storage, the API and the subcommands; the behaviour lives in the packages.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	netmail "net/mail"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"frontdesk"
	"frontdesk/auth"
	"frontdesk/inbound"
	"frontdesk/mail"
	"frontdesk/server"
	"frontdesk/store"
	"frontdesk/web"
)

const usage = `frontdesk: a self-hosted helpdesk

Usage:
  frontdesk serve                                  run the server
  frontdesk migrate                                apply database migrations and exit
  frontdesk owner create --email ADDR --name NAME  create the owner (once); prints a link to set the password
  frontdesk token create --email ADDR --name NAME  create an API token for a staff member
  frontdesk mail list [--state S] [--to ADDR]      list the outbox, which is the local mailbox without SMTP
  frontdesk mail show ID [--raw|--html]            show one message

Every command takes the configuration flags below; each also reads its FRONTDESK_* variable.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "frontdesk:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		fs := newFlags("frontdesk", &Config{})
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return nil
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The operator at the machine acts as the system; the server's requests carry their own actor.
	ctx = frontdesk.WithActor(ctx, frontdesk.System)
	switch {
	case args[0] == "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case args[0] == "migrate":
		cfg, err := parse("migrate", args[1:], nil)
		if err != nil {
			return err
		}
		db, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintln(stdout, "migrations applied")
		return nil
	case len(args) > 1 && args[0] == "owner" && args[1] == "create":
		return ownerCreate(ctx, args[2:], stdout)
	case len(args) > 1 && args[0] == "token" && args[1] == "create":
		return tokenCreate(ctx, args[2:], stdout)
	case args[0] == "mail": // mail list, mail show (I4)
		return mailCommand(ctx, args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q; run frontdesk help", strings.Join(args, " "))
}

func openStore(ctx context.Context, cfg *Config) (*store.DB, error) {
	return store.Open(ctx, store.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: cfg.logger()})
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse("serve", args, nil)
	if err != nil {
		return err
	}
	cfg.logTo = stderr
	log := cfg.logger()
	log.Debug("configuration", "config", cfg.String())
	smtpCfg, err := cfg.smtp(log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if !cfg.set["helpdesk-url"] && os.Getenv("FRONTDESK_HELPDESK_URL") == "" {
		cfg.HelpdeskURL = urlOf(ln.Addr().String()) // the port, when --addr asked for any
	}
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return err
		}
		defer metricsLn.Close()
	}
	var smtpLn net.Listener
	if cfg.SMTPListen != "" {
		if smtpLn, err = net.Listen("tcp", cfg.SMTPListen); err != nil {
			return fmt.Errorf("smtp-listen: %w", err)
		}
		defer smtpLn.Close()
	}
	app, err := server.New(ctx, server.Config{
		Store:           store.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir},
		PhoneRegion:     cfg.PhoneRegion,
		HelpdeskURL:     cfg.HelpdeskURL,
		MailFrom:        cfg.MailFrom,
		Worker:          mail.WorkerConfig{SMTP: smtpCfg},
		Logger:          log,
		TrustedProxies:  cfg.trustedProxies,
		MetricsToken:    cfg.MetricsToken,
		SeparateMetrics: metricsLn != nil,
		IMAPPollEvery:   cfg.imapPollEvery,
		IMAPRootCAs:     cfg.imapRoots,
	})
	if err != nil {
		return err
	}
	defer app.Close()

	// No two live instances share host and address, and a restart keeps both: the mail worker
	// takes back at once what it held when the process died (issue 7, item 22).
	host, _ := os.Hostname()
	app.Worker.SetName(host + "@" + ln.Addr().String())
	// The job runner alike: a restart takes back its jobs without waiting for their leases.
	app.Jobs.SetName(host + "@" + ln.Addr().String())
	srv := &http.Server{
		Handler:           app.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	engine := "SQLite in " + cfg.DataDir
	if cfg.DatabaseURL != "" {
		engine = "PostgreSQL"
	}
	if n, err := app.DB.CountOwners(ctx); err == nil && n == 0 {
		// P2: a newcomer needs a way in; the owner is made on the command line, so that no
		// stranger who finds the port first can claim the helpdesk.
		fmt.Fprintf(stdout, "\nNo owner yet. Create one with:\n  frontdesk owner create --email you@example.com --name \"Your Name\"%s\n"+
			"It prints a one-time link to set your password. An API token comes from:\n  frontdesk token create --email you@example.com --name my-token%s\n\n", cfg.flagsForHint(), cfg.flagsForHint())
	}
	fmt.Fprintf(stdout, "Frontdesk listens on http://%s (data: %s)\n", ln.Addr(), engine)
	log.Info("listening", "addr", ln.Addr().String(), "engine", string(app.DB.Engine()))
	// Mail delivery (E6), the end of temporary bans (L4) and the durable jobs; all are safe in
	// every instance.
	app.Start()
	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(ln) }()
	// One limit for every way mail comes in: the listener announces it (SIZE).
	app.Inbox.MaxMessageBytes = cfg.smtpMaxBytes
	var smtpSrv *inbound.SMTPServer
	if smtpLn != nil {
		smtpSrv = inbound.NewSMTPServer(app.Inbox, cfg.smtpHostname())
		fmt.Fprintf(stdout, "Receiving mail over SMTP on %s\n", smtpLn.Addr())
		log.Info("smtp listener", "addr", smtpLn.Addr().String(), "hostname", cfg.smtpHostname(), "max_bytes", cfg.smtpMaxBytes)
		go func() { errc <- smtpSrv.Serve(smtpLn) }()
	}
	var metricsSrv *http.Server
	if metricsLn != nil {
		metricsSrv = &http.Server{Handler: app.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		fmt.Fprintf(stdout, "Metrics on http://%s/metrics\n", metricsLn.Addr())
		go func() { errc <- metricsSrv.Serve(metricsLn) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if metricsSrv != nil {
		metricsSrv.Shutdown(shutdownCtx)
	}
	// The listener stops beside the HTTP server: a message in DATA is stored and answered
	// before the database closes (app.Close, deferred).
	smtpDone := make(chan struct{})
	go func() {
		defer close(smtpDone)
		if smtpSrv != nil {
			smtpSrv.Shutdown(shutdownCtx)
		}
	}()
	err = srv.Shutdown(shutdownCtx)
	<-smtpDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func ownerCreate(ctx context.Context, args []string, stdout io.Writer) error {
	var email, name string
	cfg, err := parse("owner create", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the owner's email address (required)")
		fs.StringVar(&name, "name", "", "the owner's full name (required)")
	})
	if err != nil {
		return err
	}
	if email == "" || name == "" {
		return errors.New("owner create needs --email and --name")
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := db.CountOwners(ctx); err != nil {
		return err
	} else if n > 0 {
		return errors.New("there is already an owner; ownership moves only by the owner's hand-over")
	}
	p := frontdesk.NewPerson(frontdesk.ChannelCLI)
	role := frontdesk.RoleOwner
	if err := frontdesk.ApplyPerson(p, frontdesk.PersonInput{Name: &name, Role: &role,
		Emails: &[]frontdesk.Email{{Address: email, Primary: true, Verified: true}}}, frontdesk.Rules{PhoneRegion: cfg.PhoneRegion}); err != nil {
		return err
	}
	// The operator at the machine vouches for the owner, so the owner starts active.
	p.State = frontdesk.StateActive
	// The owner sets a password through the welcome link, which works once, for a day.
	secret := auth.NewSecret(32)
	err = db.WithTx(ctx, func(ctx context.Context) error {
		if err := db.CreatePerson(ctx, p); err != nil {
			return err
		}
		return db.IssuePersonToken(ctx, p.ID, store.PurposeWelcome, p.PrimaryEmail(), secret, 24*time.Hour)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "owner %s <%s> created with id %d\n", p.FullName(), p.PrimaryEmail(), p.ID)
	fmt.Fprintf(stdout, "set the password within 24 hours, once, at:\n  %s/welcome?token=%s\n", strings.TrimSuffix(cfg.HelpdeskURL, "/"), secret)
	return nil
}

func tokenCreate(ctx context.Context, args []string, stdout io.Writer) error {
	var email, name, expires string
	cfg, err := parse("token create", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "address of the active staff member the token acts as (required)")
		fs.StringVar(&name, "name", "", "a name to recognise the token by (required)")
		fs.StringVar(&expires, "expires", "", "when the token stops working: an RFC 3339 time or a date (YYYY-MM-DD, start of the day in UTC); empty for never")
	})
	if err != nil {
		return err
	}
	if email == "" || name == "" {
		return errors.New("token create needs --email and --name")
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.GetPersonByEmail(ctx, email)
	if err != nil {
		return err
	}
	_, secret, err := db.IssueAPIToken(ctx, p.ID, frontdesk.APITokenInput{Name: name, ExpiresAt: expires})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

// Config is the whole configuration, from flags and FRONTDESK_* variables (a flag wins).
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	PhoneRegion string
	LogLevel    string
	set         map[string]bool
	logTo       io.Writer

	// Mail (E6): SMTP server, or none for the local mailbox.
	SMTPAddr     string
	SMTPTLS      string
	SMTPUser     string
	SMTPPassword string
	MailFrom     string
	HelpdeskURL  string

	// Mail in (C8): the SMTP listener, off when SMTPListen is empty, and IMAP polling.
	SMTPListen    string
	SMTPHostname  string
	SMTPMaxBytes  string
	IMAPPollEvery string
	IMAPCAFile    string
	smtpMaxBytes  int64
	imapPollEvery time.Duration
	imapRoots     *x509.CertPool

	// Behind a reverse proxy, and the metrics endpoint.
	TrustedProxies string
	trustedProxies []netip.Prefix
	MetricsAddr    string
	MetricsToken   string
}

func newFlags(name string, c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", env("FRONTDESK_ADDR", "127.0.0.1:8080"), "address to listen on (FRONTDESK_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("FRONTDESK_DATA", "./data"), "folder of the embedded SQLite database (FRONTDESK_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("FRONTDESK_DATABASE_URL", ""), "PostgreSQL URL; empty means embedded SQLite (FRONTDESK_DATABASE_URL)")
	fs.StringVar(&c.PhoneRegion, "phone-region", env("FRONTDESK_PHONE_REGION", "US"), "region of phone numbers written without a country code (FRONTDESK_PHONE_REGION)")
	fs.StringVar(&c.LogLevel, "log-level", env("FRONTDESK_LOG_LEVEL", "info"), "debug, info, warn or error (FRONTDESK_LOG_LEVEL)")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", env("FRONTDESK_SMTP_ADDR", ""), "SMTP server host:port; empty keeps mail in the local mailbox (FRONTDESK_SMTP_ADDR)")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", env("FRONTDESK_SMTP_TLS", "starttls"), "none, starttls or tls (implicit, port 465) (FRONTDESK_SMTP_TLS)")
	fs.StringVar(&c.SMTPUser, "smtp-user", env("FRONTDESK_SMTP_USER", ""), "SMTP user for AUTH PLAIN; empty sends without AUTH (FRONTDESK_SMTP_USER)")
	fs.StringVar(&c.SMTPPassword, "smtp-password", env("FRONTDESK_SMTP_PASSWORD", ""), "SMTP password (FRONTDESK_SMTP_PASSWORD)")
	fs.StringVar(&c.MailFrom, "mail-from", env("FRONTDESK_MAIL_FROM", "Frontdesk <frontdesk@localhost>"), "sender of every email (FRONTDESK_MAIL_FROM)")
	fs.StringVar(&c.HelpdeskURL, "helpdesk-url", env("FRONTDESK_HELPDESK_URL", ""), "the help center's public address, used in emails; empty means http:// and the address of --addr (FRONTDESK_HELPDESK_URL)")
	fs.StringVar(&c.SMTPListen, "smtp-listen", env("FRONTDESK_SMTP_LISTEN", ""), "receive mail for the mailboxes over SMTP on this host:port (such as :25); empty means no listener (FRONTDESK_SMTP_LISTEN)")
	fs.StringVar(&c.SMTPHostname, "smtp-hostname", env("FRONTDESK_SMTP_HOSTNAME", ""), "the name the SMTP listener gives in its greeting; empty means the domain of --mail-from (FRONTDESK_SMTP_HOSTNAME)")
	fs.StringVar(&c.SMTPMaxBytes, "smtp-max-bytes", env("FRONTDESK_SMTP_MAX_BYTES", strconv.Itoa(inbound.DefaultMaxMessageBytes)), "largest message received, in bytes: the SMTP listener announces it and refuses larger ones; it bounds IMAP and the API as well (FRONTDESK_SMTP_MAX_BYTES)")
	fs.StringVar(&c.IMAPPollEvery, "imap-poll-every", env("FRONTDESK_IMAP_POLL_EVERY", "1m"), "time between two polls of the IMAP mailboxes, such as 30s or 5m (FRONTDESK_IMAP_POLL_EVERY)")
	fs.StringVar(&c.IMAPCAFile, "imap-ca-file", env("FRONTDESK_IMAP_CA_FILE", ""), "PEM file of the certificate authorities IMAP servers' certificates are checked against, for servers with a private CA; empty means the system's (FRONTDESK_IMAP_CA_FILE)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("FRONTDESK_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed; empty ignores the header (FRONTDESK_TRUSTED_PROXIES)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("FRONTDESK_METRICS_ADDR", ""), "serve /metrics only on this host:port, not on --addr; empty keeps it on --addr (FRONTDESK_METRICS_ADDR)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("FRONTDESK_METRICS_TOKEN", ""), "bearer token /metrics requires; empty requires none (FRONTDESK_METRICS_TOKEN)")
	return fs
}

func parse(name string, args []string, extra func(*flag.FlagSet)) (*Config, error) {
	c := &Config{}
	fs := newFlags("frontdesk "+name, c)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.HelpdeskURL == "" {
		c.HelpdeskURL = urlOf(c.Addr)
	}
	return c, nil
}

// urlOf is the address people reach a server listening on addr by, when no public address
// is configured: a wildcard host (":8080", "0.0.0.0:8080") is reached as localhost.
func urlOf(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func (c *Config) validate() error {
	var probs []string
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		probs = append(probs, fmt.Sprintf("addr %q is not host:port", c.Addr))
	}
	if !frontdesk.ValidRegion(c.PhoneRegion) {
		probs = append(probs, fmt.Sprintf("phone-region %q is not a region code such as US or GB", c.PhoneRegion))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		probs = append(probs, "database-url must start with postgres:// or postgresql://")
	}
	if c.HelpdeskURL != "" && !strings.HasPrefix(c.HelpdeskURL, "http://") && !strings.HasPrefix(c.HelpdeskURL, "https://") {
		probs = append(probs, fmt.Sprintf("helpdesk-url %q must start with http:// or https://", c.HelpdeskURL))
	}
	var err error
	if c.trustedProxies, err = web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		probs = append(probs, "trusted-proxies: "+err.Error())
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			probs = append(probs, fmt.Sprintf("metrics-addr %q is not host:port", c.MetricsAddr))
		}
	}
	if c.SMTPListen != "" {
		if _, _, err := net.SplitHostPort(c.SMTPListen); err != nil {
			probs = append(probs, fmt.Sprintf("smtp-listen %q is not host:port", c.SMTPListen))
		}
	}
	if n, err := strconv.ParseInt(c.SMTPMaxBytes, 10, 64); err != nil || n < 1024 {
		probs = append(probs, fmt.Sprintf("smtp-max-bytes %q is not a number of bytes of at least 1024", c.SMTPMaxBytes))
	} else {
		c.smtpMaxBytes = n
	}
	if d, err := time.ParseDuration(c.IMAPPollEvery); err != nil || d < time.Second {
		probs = append(probs, fmt.Sprintf("imap-poll-every %q is not a duration of at least 1s, such as 30s or 5m", c.IMAPPollEvery))
	} else {
		c.imapPollEvery = d
	}
	if c.IMAPCAFile != "" {
		pem, err := os.ReadFile(c.IMAPCAFile)
		pool := x509.NewCertPool()
		switch {
		case err != nil:
			probs = append(probs, fmt.Sprintf("imap-ca-file: %v", err))
		case !pool.AppendCertsFromPEM(pem):
			probs = append(probs, fmt.Sprintf("imap-ca-file %q holds no PEM certificate", c.IMAPCAFile))
		default:
			c.imapRoots = pool
		}
	}
	if strings.ContainsAny(c.SMTPHostname, " \t\r\n") {
		probs = append(probs, fmt.Sprintf("smtp-hostname %q must be a host name", c.SMTPHostname))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		probs = append(probs, fmt.Sprintf("log-level %q is not debug, info, warn or error", c.LogLevel))
	}
	if len(probs) > 0 {
		return errors.New("configuration: " + strings.Join(probs, "; "))
	}
	return nil
}

func (c *Config) logger() *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel))
	w := c.logTo
	if w == nil {
		w = os.Stderr
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// String prints the configuration with the database password masked.
func (c *Config) String() string {
	url := c.DatabaseURL
	if at := strings.LastIndex(url, "@"); at > 0 {
		if colon := strings.Index(url[:at], ":"); colon >= 0 && strings.Count(url[:at], ":") > 1 {
			second := strings.LastIndex(url[:at], ":")
			url = url[:second+1] + "****" + url[at:]
		}
	}
	smtpPassword := ""
	if c.SMTPPassword != "" {
		smtpPassword = "****"
	}
	metricsToken := ""
	if c.MetricsToken != "" {
		metricsToken = "****"
	}
	return fmt.Sprintf("addr=%s data=%s database-url=%s phone-region=%s log-level=%s", c.Addr, c.DataDir, url, c.PhoneRegion, c.LogLevel) +
		fmt.Sprintf(" smtp-addr=%s smtp-tls=%s smtp-user=%s smtp-password=%s mail-from=%q helpdesk-url=%s",
			c.SMTPAddr, c.SMTPTLS, c.SMTPUser, smtpPassword, c.MailFrom, c.HelpdeskURL) +
		fmt.Sprintf(" trusted-proxies=%s metrics-addr=%s metrics-token=%s", c.TrustedProxies, c.MetricsAddr, metricsToken) +
		fmt.Sprintf(" smtp-listen=%s smtp-hostname=%s smtp-max-bytes=%s imap-poll-every=%s", c.SMTPListen, c.SMTPHostname, c.SMTPMaxBytes, c.IMAPPollEvery)
}

// smtpHostname is the name the SMTP listener greets with: --smtp-hostname, else the domain
// of --mail-from.
func (c *Config) smtpHostname() string {
	if c.SMTPHostname != "" {
		return c.SMTPHostname
	}
	if a, err := netmail.ParseAddress(c.MailFrom); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
			return a.Address[at+1:]
		}
	}
	return "localhost"
}

// flagsForHint repeats the storage and address flags the operator gave, so a printed command
// works as is and the link it prints leads to this server.
func (c *Config) flagsForHint() string {
	var b strings.Builder
	if c.set["helpdesk-url"] || c.set["addr"] {
		fmt.Fprintf(&b, " --helpdesk-url %q", c.HelpdeskURL)
	}
	if c.set["data"] {
		fmt.Fprintf(&b, " --data %q", c.DataDir)
	}
	if c.set["database-url"] {
		b.WriteString(" --database-url \"$FRONTDESK_DATABASE_URL\"")
	}
	return b.String()
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}
