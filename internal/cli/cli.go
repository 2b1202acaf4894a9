// Package cli is the harmtrace command line: one file per subcommand. It
// parses flags, opens the store and calls the feature packages; it holds no
// domain logic of its own.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/account"
	"github.com/harmtrace/harmtrace/internal/config"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/retarget"
	"github.com/harmtrace/harmtrace/internal/stats"
)

// Env is what every subcommand gets: the shared configuration and the
// process's standard streams.
type Env struct {
	Config config.Config
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands lists every subcommand; `harmtrace help` prints them.
var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":         {"run the web server (loads the bundled open data on first start)", runServe},
		"seed":          {"load the bundled open data: HHS OCR breaches, MISP threat actors", runSeed},
		"migrate":       {"apply pending database migrations", runMigrate},
		"version":       {"print the version", runVersion},
		"add":           {"add a record: incident, organisation, actor, campaign, source, harm, attribution", runAdd},
		"import":        {"import files: harmtrace JSON, STIX, MISP, VERIS, HHS OCR, CSV", runImport},
		"export":        {"export the data: STIX 2.1, CSV, JSON lines", runExport},
		"duplicates":    {"list possible duplicate incidents; merge or dismiss a pair", runDuplicates},
		"report":        {"print the figures: incidents, organisations, countries, actors, harm", runReport},
		"show":          {"print a record as JSON", runShow},
		"revisions":     {"list the revisions of a record", runRevisions},
		"check-request": {"check a cooperation request against the UN Convention and the Budapest Convention", runCheckRequest},
		"profile":       {"show, import or export jurisdiction profiles for the request check", runProfile},
		"user":          {"manage accounts: add --role R --org O EMAIL, list, disable EMAIL, token --role R EMAIL", runUser},
		"audit":         {"print the audit log of sign-ins and account changes", runAudit},
		"evidence":      {"keep evidence with its chain of custody: add, note, log [--verify], export, verify", runEvidence},
		"keys":          {"show the keys of victims' cases, or rotate the master key: show, rotate", runKeys},
		"inventory":     {"keep an organisation's software: add|list|remove|import --org ORG", runInventory},
		"alerts":        {"list the known-exploited-vulnerability alerts [--org ORG] [--format text|json]; decide ALERT-ID", runAlerts},
		"notifications": {"show the outbox of notifications; add a team's webhook; retry a failed one", runNotifications},
		"backup":        {"write a consistent backup of the whole store to a file: --out FILE", runBackup},
		"restore":       {"load a backup into an empty store of either engine: FILE [--force]", runRestore},
		"help":          {"show this help", nil},
	}
}

// errUsage marks errors that the user fixes by reading the help text.
var errUsage = errors.New("usage")

// Run runs the command line and returns the process's exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{Config: config.FromEnv(), Stdin: stdin, Stdout: stdout, Stderr: stderr}
	fs := flag.NewFlagSet("harmtrace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env.Config.Register(fs)
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[rest[0]]
	if !ok || cmd.run == nil {
		fmt.Fprintf(stderr, "harmtrace: unknown command %q\n", rest[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, env, rest[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "harmtrace %s: %v\n", rest[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "harmtrace traces cyberattacks on vulnerable organisations and measures their harm to people.")
	fmt.Fprintln(w, "\nUsage: harmtrace [--data DIR] [--database postgres://…] COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun harmtrace COMMAND -h for a command's flags.")
}

// newFlags returns a subcommand's flag set, with the global flags too so
// they may also follow the subcommand's name.
func newFlags(env *Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("harmtrace "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	env.Config.Register(fs)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: harmtrace %s [flags] %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may stand before, between or after the
// positional arguments, and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// openStore opens the configured store and applies pending migrations.
func openStore(ctx context.Context, env *Env) (*db.DB, error) {
	if err := env.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	store, err := db.Open(ctx, env.Config.DSN())
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	if err := stats.Install(ctx, store); err != nil {
		store.Close()
		return nil, err
	}
	account.Install(store)
	retarget.Install(store, 0)
	return store, nil
}

// author names who runs a command, for the revision log.
func author(reason string) db.Author {
	who := os.Getenv("HARMTRACE_USER")
	if who == "" {
		who = os.Getenv("USER")
	}
	if who == "" {
		who = "cli"
	}
	return db.Author{Who: "cli:" + who, Why: strings.TrimSpace(reason)}
}
