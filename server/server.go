// Package server wires Frontdesk together: storage, mail, flows, the API, the pages and the
// background jobs. The binary and the end-to-end tests build the same thing through it.
package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"frontdesk/inbound"
	"frontdesk/intake"
	"log/slog"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"frontdesk/api"
	"frontdesk/directory"
	"frontdesk/flow"
	"frontdesk/importer"
	"frontdesk/imports"
	"frontdesk/jobs"
	"frontdesk/lifecycle"
	"frontdesk/mail"
	"frontdesk/scim"
	"frontdesk/store"
	"frontdesk/web"
)

// Config is everything the server needs.
type Config struct {
	Store       store.Config
	PhoneRegion string
	// HelpdeskURL is where people reach the help center; links in mail start with it.
	HelpdeskURL string
	MailFrom    string
	Worker      mail.WorkerConfig
	Logger      *slog.Logger
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string
	// SeparateMetrics takes /metrics off the main handler; the binary serves MetricsHandler
	// on a listener of its own.
	SeparateMetrics bool
	// IMAPPollEvery is how often polled mailboxes are fetched (C8); 0 means every minute.
	IMAPPollEvery time.Duration
	// IMAPRootCAs, when set, are the authorities IMAP servers' certificates are checked
	// against instead of the system's.
	IMAPRootCAs *x509.CertPool
	// Jobs tunes the runner of durable jobs (imports, scheduled syncs).
	Jobs jobs.Config
}

// Server is a running Frontdesk.
type Server struct {
	DB     *store.DB
	Mailer *mail.Mailer
	Worker *mail.Worker
	Flows  *flow.Flows
	API    *api.Server
	Web    *web.Server
	Bans   *lifecycle.BanExpirer
	Intake *intake.Desk
	Inbox  *inbound.Inbox
	Poller *inbound.Poller
	// Jobs runs the durable jobs; packages register the handlers of their kinds on it.
	Jobs *jobs.Runner
	// Imports runs uploaded imports as jobs (B1-B4).
	Imports *imports.Service
	// Directory syncs people from LDAP directories (B5), by hand and on schedule.
	Directory *directory.Syncer
	// SCIM is the SCIM 2.0 service provider at /scim/v2 (B6).
	SCIM *scim.Provider

	handler http.Handler
	log     *slog.Logger
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New opens the database (migrating it) and builds every part.
func New(ctx context.Context, cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Store.Logger = log
	db, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	s, err := build(db, cfg, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func build(db *store.DB, cfg Config, log *slog.Logger) (*Server, error) {
	mailer, err := mail.New(db, mail.Config{From: cfg.MailFrom, HelpdeskURL: cfg.HelpdeskURL})
	if err != nil {
		return nil, err
	}
	cfg.Worker.Logger = log
	if db.Engine() == store.SQLite && cfg.Worker.Journal == "" && cfg.Store.DataDir != "" {
		// One process per SQLite file: its data folder holds the worker's sent journal.
		cfg.Worker.Journal = filepath.Join(cfg.Store.DataDir, "mail-sent.journal")
	}
	s := &Server{DB: db, Mailer: mailer, Worker: mail.NewWorker(db, cfg.Worker), log: log, Bans: lifecycle.NewBanExpirer(db, log)}
	s.Flows = flow.New(db, mailer, cfg.HelpdeskURL)
	s.Flows.Log = log
	if cfg.PhoneRegion != "" {
		s.Flows.PhoneRegion = cfg.PhoneRegion
	}
	s.Intake = intake.New(s.Flows)
	s.Inbox = inbound.New(s.Intake)
	s.Poller = inbound.NewPoller(s.Inbox, cfg.IMAPPollEvery)
	cfg.Jobs.Logger = log
	s.Jobs = jobs.NewRunner(db, cfg.Jobs)
	s.Imports = imports.New(db, importer.New(db, s.Flows), s.Jobs, log)
	s.Directory = directory.New(db, s.Flows)
	s.Directory.Log = log
	s.Directory.Register(s.Jobs)
	if cfg.IMAPRootCAs != nil {
		s.Poller.TLSConfig = &tls.Config{RootCAs: cfg.IMAPRootCAs}
	}
	s.API = api.New(db, api.Config{PhoneRegion: s.Flows.PhoneRegion, Logger: log, Flows: s.Flows, MetricsToken: cfg.MetricsToken,
		Intake: s.Intake, TrustedProxies: cfg.TrustedProxies, Inbox: s.Inbox, Imports: s.Imports})
	if s.Web, err = web.New(db, s.Flows, log); err != nil {
		return nil, err
	}
	s.Web.Secure = strings.HasPrefix(cfg.HelpdeskURL, "https://")
	s.Web.TrustedProxies = cfg.TrustedProxies
	s.Web.Intake = s.Intake
	s.Web.Inbox = s.Inbox
	s.Web.Imports = s.Imports
	s.Web.Directory = s.Directory
	mux := http.NewServeMux()
	mux.Handle("/api/", s.API)
	s.SCIM = scim.New(db, s.Flows, scim.Config{BaseURL: cfg.HelpdeskURL, Logger: log})
	mux.Handle(scim.Prefix+"/", s.SCIM)
	ops := []string{"GET /healthz", "GET /readyz"}
	if !cfg.SeparateMetrics {
		ops = append(ops, "GET /metrics")
	}
	for _, p := range ops {
		mux.Handle(p, s.API)
	}
	mux.Handle("/", s.Web)
	s.handler = mux
	return s, nil
}

// Handler serves the API, the operations endpoints and the pages.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler serves /metrics alone, for a listener of its own (SeparateMetrics).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.API)
	return mux
}

// Start runs the background jobs (mail delivery, the end of temporary bans, the purge of
// unconfirmed requests, the processing of received mail, the polling of IMAP mailboxes, the
// durable jobs) until Close. Every one is safe in every instance.
func (s *Server) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	// The scheduled directory syncs resume where the sources' schedules say.
	if err := s.Directory.Reschedule(ctx); err != nil {
		s.log.Error("directory schedule", "err", err)
	}
	s.wg.Add(6)
	go func() {
		defer s.wg.Done()
		// Uploads whose job was never queued (their uploader died) get one.
		if err := s.Imports.Recover(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("queueing stranded imports", "err", err)
		}
		// At Close the running jobs are given back, before the database closes.
		if err := s.Jobs.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("job runner stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		if err := s.Worker.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("mail worker stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.Bans.Run(ctx)
	}()
	go func() {
		defer s.wg.Done()
		s.Intake.Run(ctx)
	}()
	go func() {
		defer s.wg.Done()
		s.Inbox.Run(ctx)
	}()
	go func() {
		defer s.wg.Done()
		s.Poller.Run(ctx)
	}()
}

// Close stops the jobs, waits for the work the flows do after answering (mail queued for
// a forgotten password, say), and closes the database.
func (s *Server) Close() error {
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
	s.Flows.Wait()
	s.Inbox.Close()
	s.Intake.Close()
	return s.DB.Close()
}
