package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/harmtrace/harmtrace/internal/casefile"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/kev"
	"github.com/harmtrace/harmtrace/internal/keys"
	"github.com/harmtrace/harmtrace/internal/outbox"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/seed"
	"github.com/harmtrace/harmtrace/internal/web"
)

// EnvSecureCookies sets serve's --secure-cookies: "true" behind a TLS proxy.
const EnvSecureCookies = "HARMTRACE_SECURE_COOKIES"

// envBool reads a true/false variable; unset is false, and anything that
// is not a boolean is an error rather than a silent false.
func envBool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "")
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address`")
	noSeed := fs.Bool("no-seed", false, "do not load the bundled open data into an empty store")
	secureDefault, err := envBool(EnvSecureCookies)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var opts web.Options
	fs.BoolVar(&opts.SecureCookies, "secure-cookies", secureDefault,
		"mark the session cookie Secure even over plain HTTP: set it behind a TLS proxy (env "+EnvSecureCookies+")")
	retention := durationFlag{365 * 24 * time.Hour}
	fs.Var(&retention, "case-retention", "erase a victim's case not changed for this long: 365d, 90d, 720h")
	fs.DurationVar(&opts.FirstResponse, "first-response", 48*time.Hour, "a case without a first response for this long is overdue")
	evidenceMax := fs.Int64("evidence-max-bytes", evidence.DefaultMaxBytes, "the largest file of evidence taken")
	smtpURL := fs.String("smtp", os.Getenv(outbox.EnvSMTP), "where notifications by email go: smtp://user:password@host:587?from=ADDRESS\n(always upgraded with STARTTLS; env "+outbox.EnvSMTP+")")
	publicURL := fs.String("public-url", "", "the address users reach the server at, for the links in notifications (default http://ADDR)")
	fs.Float64Var(&opts.HoursCap, "volunteer-hours-cap", 100, "the most hours one volunteer gives one helped organisation in a calendar year")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var mailer *outbox.SMTP
	if *smtpURL != "" {
		if mailer, err = outbox.ParseSMTP(*smtpURL); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	ring, err := keys.Open(env.Config.DataDir)
	if err != nil {
		return err
	}
	opts.Cases = &casefile.Store{DB: store, Keys: ring}
	if opts.Evidence, err = evidence.Open(store, ring, env.Config.DataDir, *evidenceMax); err != nil {
		return err
	}
	opts.Cases.OnErase = opts.Evidence.EraseScope
	// On PostgreSQL several servers may share the store: they count failed
	// sign-ins together there, keyed with a secret of the shared keys.
	opts.SharedLimits = ring.Derive("sign-in limits")
	log.Info("victims' cases are encrypted with keys outside the database: back them up apart from it",
		"master_key", ring.MasterPath(), "case_keys", ring.Dir())
	go expireCases(ctx, log, opts.Cases, retention.d)
	if err := kev.EnsureBundled(ctx, store); err != nil {
		return err
	}
	if *publicURL == "" {
		*publicURL = "http://" + *addr
	}
	if mailer == nil {
		log.Info("no --smtp: notifications by email wait in the outbox until a server is configured")
	} else {
		log.Info("notifications by email", "smtp", mailer.String())
	}
	if n, err := outbox.Install(ctx, store, ring); err != nil {
		return err
	} else if n > 0 {
		log.Info("webhooks' secrets kept in the clear by an earlier version are sealed now: re-add the webhooks to change them", "webhooks", n)
	}
	go (&outbox.Worker{DB: store, SMTP: mailer, Log: log, BaseURL: *publicURL}).Run(ctx)
	if !*noSeed {
		empty, err := seed.Empty(ctx, store)
		if err != nil {
			return err
		}
		if empty {
			log.Info("empty store: loading the bundled open data (--no-seed to skip)")
			if err := loadSeed(ctx, env, store); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
		}
	}
	if opts.Index, err = buildIndex(ctx, store, log); err != nil {
		return err
	}
	handler, err := web.New(store, log, opts)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := newHTTPServer(handler, log)
	log.Info("harmtrace serving", "addr", "http://"+listener.Addr().String(), "store", env.Config.Describe())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// expireCases erases, every hour, the cases not changed within retention.
func expireCases(ctx context.Context, log *slog.Logger, cases *casefile.Store, retention time.Duration) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := cases.Expire(ctx, time.Now(), retention)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("case retention", "err", err)
		case n > 0:
			log.Info("case retention: erased cases past the limit", "cases", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// durationFlag reads a duration in days (365d) as well as Go's units.
type durationFlag struct{ d time.Duration }

func (f *durationFlag) String() string { return f.d.String() }

func (f *durationFlag) Set(s string) error {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return fmt.Errorf("%q: want a number of days such as 365d", s)
		}
		f.d = time.Duration(n) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q: want a duration such as 365d or 720h", s)
	}
	f.d = d
	return nil
}

// newHTTPServer bounds what one client may hold: without these limits a
// client that sends its request or reads the answer very slowly, or keeps
// idle connections open, ties up a connection (and its goroutine) forever.
// Reading allows a 32 MB upload on a slow line; writing allows the
// download of every incident as STIX.
func newHTTPServer(handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// buildIndex builds the facet index that answers the dashboard's filters
// and the lists, with a line of progress for every 50,000 incidents read.
func buildIndex(ctx context.Context, store *db.DB, log *slog.Logger) (*report.Index, error) {
	// The index is a large heap that lives as long as the server and holds
	// few pointers, so a collection is cheap; the default GOGC of 100 lets
	// the heap grow to twice it between collections. At a million
	// incidents, 50 kept serve at 345 MB after the build and 359 MB after
	// 200 requests, against 389 and 461 MB. GOGC in the environment still
	// decides.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(50)
	}
	start := time.Now()
	log.Info("building the facet index")
	ix, err := report.BuildIndex(ctx, store, func(read int) {
		if read > 0 {
			log.Info("facet index", "incidents read", read)
		}
	})
	if err != nil {
		return nil, err
	}
	// The build read the store span by span; give what it no longer holds
	// back to the system now rather than as the collector gets to it.
	debug.FreeOSMemory()
	incidents, bitmaps := ix.Size()
	log.Info("facet index built", "incidents", incidents, "bitmaps", bitmaps, "took", time.Since(start).Round(time.Millisecond))
	return ix, nil
}
