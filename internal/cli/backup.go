package cli

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/harmtrace/harmtrace/internal/backup"
	"github.com/harmtrace/harmtrace/internal/evidence"
	"github.com/harmtrace/harmtrace/internal/keys"
)

func runBackup(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "backup", "")
	out := fs.String("out", "", "write the backup to this `file` (- for standard output)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out FILE is required", errUsage)
	}
	// The store is read as it is, not migrated: a backup is a picture of it.
	store, err := dbOpenOnly(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	master, cases := keys.Paths(env.Config.DataDir)
	signing := signingKeyPath(env.Config.DataDir)
	opts := backup.Options{Program: "harmtrace " + Version, DataDir: env.Config.DataDir, NotIncluded: []string{
		"the keys of victims' cases and evidence: " + cases, "the master key: " + master, "the custody log's signing key: " + signing}}
	bars := newProgress(env.Stderr)
	opts.Progress = bars.rows("backup")
	w, commit, abort, err := createAtomic(*out, env.Stdout)
	if err != nil {
		return err
	}
	m, err := backup.Write(ctx, store, w, opts)
	bars.wait()
	if err != nil {
		abort()
		return err
	}
	if err := commit(); err != nil {
		return err
	}
	report := env.Stdout
	if *out == "-" {
		report = env.Stderr
	}
	fmt.Fprintf(report, "backup: %d tables, %d rows of %s at migration %d, %d evidence files (%d bytes, encrypted) → %s\n", len(m.Tables), m.Rows(),
		env.Config.Describe(), m.Migration, len(m.Files), m.Bytes(), *out)
	if len(m.MissingFiles) > 0 {
		fmt.Fprintf(env.Stderr, "warning: %d evidence files are not in %s and not in the backup: %s\n", len(m.MissingFiles),
			evidence.DirOf(env.Config.DataDir), strings.Join(m.MissingFiles, ", "))
	}
	fmt.Fprintf(report, "not in the backup: the keys of victims' cases and evidence; back up %s, %s and %s apart from it\n", cases, master, signing)
	return nil
}

// signingKeyPath is where the custody log's signing key of dataDir is
// (keys.OpenSigner's place).
func signingKeyPath(dataDir string) string { return filepath.Join(dataDir, "keys", "signing.key") }

// createAtomic opens where a backup goes: a temporary file beside it,
// renamed into place by commit or removed by abort, so that a failed
// backup neither leaves a half file nor replaces an earlier backup of the
// same name; or standard output for "-".
func createAtomic(path string, stdout io.Writer) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "-" {
		return stdout, func() error { return nil }, func() {}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, nil, nil, err
	}
	abort = func() {
		f.Close()
		os.Remove(f.Name())
	}
	commit = func() error {
		if err := f.Sync(); err != nil {
			abort()
			return err
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return err
		}
		return os.Rename(f.Name(), path)
	}
	return f, commit, abort, nil
}

func runRestore(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "restore", "FILE")
	force := fs.Bool("force", false, "replace the data of a store that is not empty")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: restore takes one backup file", errUsage)
	}
	zr, err := zip.OpenReader(files[0])
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	defer zr.Close()
	store, err := dbOpenOnly(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	bars := newProgress(env.Stderr)
	m, err := backup.Restore(ctx, store, &zr.Reader, backup.RestoreOptions{Force: *force, DataDir: env.Config.DataDir,
		Progress: bars.rows("restore")})
	bars.wait()
	if err != nil {
		return err
	}
	master, cases := keys.Paths(env.Config.DataDir)
	fmt.Fprintf(env.Stdout, "restore: %d tables, %d rows from a %s backup of %s → %s; %d evidence files → %s\n", len(m.Tables), m.Rows(),
		m.Engine, m.Created, env.Config.Describe(), len(m.Files), evidence.DirOf(env.Config.DataDir))
	if len(m.MissingFiles) > 0 {
		fmt.Fprintf(env.Stderr, "warning: the backup lacks %d evidence files, missing when it was taken: %s\n", len(m.MissingFiles),
			strings.Join(m.MissingFiles, ", "))
	}
	fmt.Fprintf(env.Stdout, "the keys of victims' cases and evidence are not in a backup: put them back at %s, %s and %s\n", cases, master,
		signingKeyPath(env.Config.DataDir))
	return nil
}
