package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "export", "")
	format := fs.String("format", "stix", "output `format`: stix (2.1 bundle), csv (one row per incident), json (JSON lines), harmtrace")
	tlp := fs.String("tlp", "", "export only what is marked at most this TLP (clear: what may be published)")
	out := fs.String("out", "", "write to this `file` (default: standard output)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *tlp != "" {
		if err := vocab.TLP.Check(*tlp); err != nil {
			return fmt.Errorf("%w: --tlp: %v", errUsage, err)
		}
	}
	writers := map[string]func(io.Writer, *interchange.Document) error{
		"stix":      func(w io.Writer, d *interchange.Document) error { return stix.Write(w, d, *tlp) },
		"csv":       interchange.WriteCSV,
		"json":      interchange.WriteJSONLines,
		"harmtrace": interchange.EncodeNative,
	}
	write, ok := writers[*format]
	if !ok {
		return fmt.Errorf("%w: unknown format %q (stix, csv, json, harmtrace)", errUsage, *format)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	// The data goes to standard output or a file; a bar, when standard
	// error is a terminal, shows the incidents being read.
	bars := newProgress(env.Stderr)
	doc, err := interchange.Load(ctx, store, *tlp, bars.add("export"))
	bars.wait()
	if err != nil {
		return err
	}
	w := env.Stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	buf := bufio.NewWriterSize(w, 1<<16)
	if err := write(buf, doc); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	if file != nil {
		return file.Close()
	}
	return nil
}
