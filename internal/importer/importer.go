// Package importer reads files of every supported format into the store:
// it detects the format, decodes the file into an interchange.Document and
// writes it in the caller's transaction. The CLI and the web upload use it.
package importer

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/interchange"
	"github.com/harmtrace/harmtrace/internal/interchange/csvmap"
	"github.com/harmtrace/harmtrace/internal/interchange/hhs"
	"github.com/harmtrace/harmtrace/internal/interchange/misp"
	"github.com/harmtrace/harmtrace/internal/interchange/stix"
	"github.com/harmtrace/harmtrace/internal/interchange/veris"
	"github.com/harmtrace/harmtrace/internal/kev"
)

// Formats lists the import formats, in the order detection tries them.
var Formats = []string{"harmtrace", "stix", "misp-galaxy", "misp", "veris", "hhs-ocr", "kev", "csv"}

// Options are the choices of one import.
type Options struct {
	// Format forces a format; empty means detect it from each file.
	Format string
	// TLP marks imported records that carry no marking.
	TLP string
	// Mapping reads CSV files (format csv).
	Mapping *csvmap.Mapping
	// Owner is the team the new records belong to ("": the public catalogue).
	Owner string
	// Encoding of the files: "" or utf-8, else windows-1252 (latin-1);
	// a CSV mapping's encoding applies when this is empty.
	Encoding string
}

// ErrUsage marks errors the user fixes by choosing other options.
var ErrUsage = fmt.Errorf("usage")

// ExpandFolders replaces each folder by the JSON files in it (.json or
// .JSON, as VERIS collections mix both), sorted by path.
func ExpandFolders(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".json") {
				found = append(found, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// Detect names the format of a file from its content.
func Detect(data []byte) string {
	if f := interchange.Detect(data); f != "" {
		return f
	}
	switch {
	case misp.DetectGalaxy(data):
		return "misp-galaxy"
	case misp.DetectEvent(data):
		return "misp"
	case veris.Detect(data):
		return "veris"
	case hhs.Detect(data):
		return "hhs-ocr"
	case kev.Detect(data):
		return "kev"
	}
	return ""
}

// File imports one file in tx; progress, when not nil, is called with the
// number of records it will write, and returns the function told of each.
func File(ctx context.Context, tx *db.Tx, file string, opts Options, sum *interchange.Summary, progress func(total int) interchange.Progress) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	format := opts.Format
	if format == "" && opts.Mapping != nil {
		format = "csv"
	}
	if format == "" {
		if format = Detect(data); format == "" {
			return fmt.Errorf("%s: format not recognised; give --format (%s)", file, strings.Join(Formats, ", "))
		}
	}
	if format == "kev" {
		return importKEV(ctx, tx, data, file, sum)
	}
	doc, err := Decode(data, file, format, opts, sum)
	if err != nil {
		return err
	}
	var tell interchange.Progress
	if progress != nil {
		tell = progress(doc.Len())
	}
	return interchange.Write(ctx, tx, file, doc, sum, tell)
}

// Decode reads data of a known format into a Document, each record with
// its marking settled (interchange.SettleMarkings).
func Decode(data []byte, file, format string, opts Options, sum *interchange.Summary) (*interchange.Document, error) {
	encoding := opts.Encoding
	if encoding == "" && opts.Mapping != nil && format == "csv" {
		encoding = opts.Mapping.Encoding
	}
	data, err := interchange.Text(data, file, encoding, sum)
	if err != nil {
		return nil, err
	}
	doc, err := decode(data, file, format, opts, sum)
	if err != nil {
		return nil, err
	}
	doc.Coalesce(file, sum)
	doc.SettleMarkings(opts.TLP)
	doc.Owner = opts.Owner
	return doc, nil
}

func decode(data []byte, file, format string, opts Options, sum *interchange.Summary) (*interchange.Document, error) {
	switch format {
	case "harmtrace":
		return interchange.DecodeNative(data, file)
	case "stix":
		return stix.Read(data, file, stix.Options{DefaultTLP: opts.TLP})
	case "misp-galaxy":
		return misp.ReadGalaxy(data, file, sum)
	case "misp":
		return misp.ReadEvent(data, file, opts.TLP)
	case "veris":
		return veris.Read(data, file, opts.TLP, sum)
	case "hhs-ocr":
		return hhs.Read(bytes.NewReader(data), file, opts.TLP, sum)
	case "csv":
		if opts.Mapping == nil {
			return nil, fmt.Errorf("%w: --format csv needs --mapping FILE", ErrUsage)
		}
		return csvmap.Read(bytes.NewReader(data), file, opts.Mapping, opts.Owner)
	}
	return nil, fmt.Errorf("%w: unknown format %q (%s)", ErrUsage, format, strings.Join(Formats, ", "))
}
