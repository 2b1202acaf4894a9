package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/keys"
)

// runEvidence keeps evidence with its chain of custody: add, note, log,
// export, verify.
func runEvidence(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: harmtrace evidence add|note|log|export|verify (-h for flags)", errUsage)
	}
	sub, args := args[0], args[1:]
	if sub == "verify" {
		return verifyPackage(env, args)
	}
	fs := newFlags(env, "evidence "+sub, map[string]string{"add": "FILE...", "note": "ITEM TEXT", "log": "", "export": ""}[sub])
	caseID := fs.String("case", "", "the case the evidence belongs to")
	incidentID := fs.String("incident", "", "the incident the evidence belongs to")
	var meta evidence.Metadata
	fs.StringVar(&meta.Note, "note", "", "a note on how the file came to be evidence")
	fs.StringVar(&meta.AcquiredBy, "acquired-by", "", "who acquired the file")
	fs.StringVar(&meta.AcquiredAt, "acquired-at", "", "when it was acquired (RFC 3339 or a date)")
	fs.StringVar(&meta.Method, "method", "", "how it was acquired (a copy, a screenshot, an export…)")
	fs.StringVar(&meta.System, "system", "", "from which system")
	maxBytes := fs.Int64("evidence-max-bytes", evidence.DefaultMaxBytes, "the largest file taken")
	to := fs.String("to", "", "with note: the custodian the item is transferred to")
	out := fs.String("out", "", "export: the package to write (a .zip)")
	verify := fs.Bool("verify", false, "log: prove that no entry was changed, removed or reordered since any signed head")
	headFile := fs.String("head", "", "log --verify: also check a head kept elsewhere (head.json of a package)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	ring, err := keys.Open(env.Config.DataDir)
	if err != nil {
		return err
	}
	locker, err := evidence.Open(store, ring, env.Config.DataDir, *maxBytes)
	if err != nil {
		return err
	}
	who := author("").Who
	scope := func() (string, error) {
		switch {
		case (*caseID == "") == (*incidentID == ""):
			return "", fmt.Errorf("%w: give --case ID or --incident ID", errUsage)
		case *caseID != "":
			return *caseID, exists(ctx, store, access.Case, *caseID)
		}
		return *incidentID, exists(ctx, store, access.Incident, *incidentID)
	}
	switch sub {
	case "add":
		id, err := scope()
		if err != nil {
			return err
		}
		if len(rest) == 0 {
			return fmt.Errorf("%w: name the files to add", errUsage)
		}
		bars := newProgress(env.Stderr)
		defer bars.wait()
		for _, path := range rest {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			info, _ := f.Stat()
			m := meta
			m.OriginalName = filepath.Base(path)
			it, err := locker.Add(ctx, who, id, m, bars.reader(path, info.Size(), f))
			f.Close()
			if errors.Is(err, evidence.ErrTooLarge) {
				return fmt.Errorf("%s: larger than --evidence-max-bytes %d", path, *maxBytes)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			fmt.Fprintf(env.Stdout, "%s  %s  %s (%d bytes)\n", it.ID, it.SHA256, path, it.Size)
		}
	case "note":
		if len(rest) != 2 {
			return fmt.Errorf("%w: harmtrace evidence note [--to CUSTODIAN] ITEM TEXT", errUsage)
		}
		if err := locker.AddNote(ctx, who, rest[0], *to, rest[1]); err != nil {
			return err
		}
	case "log":
		entries, err := evidence.Entries(ctx, store, "")
		if err != nil {
			return err
		}
		for _, e := range entries {
			fmt.Fprintf(env.Stdout, "%6d  %s  %-8s  %-45s  %s\n", e.Seq, e.At, e.Action, e.ItemID, e.Actor)
		}
		if *verify {
			var earlier []evidence.Head
			if *headFile != "" {
				b, err := os.ReadFile(*headFile)
				if err != nil {
					return err
				}
				var h evidence.Head
				if err := json.Unmarshal(b, &h); err != nil {
					return fmt.Errorf("%s: %w", *headFile, err)
				}
				earlier = append(earlier, h)
			}
			rep, err := evidence.VerifyLog(ctx, store, locker.Signer.Public(), earlier...)
			if err != nil {
				return fmt.Errorf("the custody log does not verify: %w", err)
			}
			fmt.Fprintf(env.Stdout, "verified: %d custody entries, %d signed heads, signed by %s\n", rep.Entries, rep.Heads, keys.Fingerprint(locker.Signer.Public()))
		}
	case "export":
		id, err := scope()
		if err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("%w: give --out PKG.zip", errUsage)
		}
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		n, err := locker.Export(ctx, who, id, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(*out)
			return err
		}
		fmt.Fprintf(env.Stdout, "exported %d files to %s\n", n, *out)
	default:
		return fmt.Errorf("%w: harmtrace evidence add|note|log|export|verify", errUsage)
	}
	return nil
}

// exists checks that a case or an incident is there before evidence is
// put under it.
func exists(ctx context.Context, store *db.DB, kind access.Kind, id string) error {
	if access.KindOf(id) != kind {
		return fmt.Errorf("%q is no %s id", id, kind)
	}
	_, err := access.Lookup(ctx, store, id)
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("no %s %s", kind, id)
	}
	return err
}

func verifyPackage(env *Env, args []string) error {
	fs := newFlags(env, "evidence verify", "PKG.zip")
	trusted := fs.String("key", "", "the fingerprint the signing key must have (harmtrace keys show on the locker)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: harmtrace evidence verify PKG.zip", errUsage)
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	v, err := evidence.Verify(f, info.Size(), *trusted)
	if err != nil {
		return fmt.Errorf("%s does not verify: %w", rest[0], err)
	}
	fmt.Fprintln(env.Stdout, v)
	return nil
}
