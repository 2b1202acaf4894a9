// Package seed loads the open data harmtrace ships, so that a newcomer's
// first start shows a living dashboard: the US HHS OCR breach portal
// archive (hacking/IT incidents only; public domain) and the MISP
// threat-actor catalogue (CC0 or BSD-2-Clause). NOTICE.md names each
// source and licence.
package seed

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"io"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/importer"
	"github.com/harmtrace/harmtrace/internal/interchange"
)

var (
	//go:embed data/hhs-ocr-breach-report-archive.csv.gz
	hhsArchive []byte
	//go:embed data/misp-galaxy-threat-actor.json.gz
	threatActors []byte
)

// dataset is one bundled file and how to read it.
type dataset struct {
	name, format string
	gz           []byte
}

var datasets = []dataset{
	{"misp-galaxy-threat-actor.json", "misp-galaxy", threatActors},
	{"hhs-ocr-breach-report-archive.csv", "hhs-ocr", hhsArchive},
}

// Empty reports whether the store holds no incidents and no actors: a
// first start.
func Empty(ctx context.Context, q db.Querier) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM incidents) + (SELECT COUNT(*) FROM actors)`).Scan(&n)
	return n == 0, err
}

// Load imports the bundled open data in one transaction, marked TLP:CLEAR
// (it is all public). Loading it again changes nothing.
func Load(ctx context.Context, store *db.DB, progress func(name string) func(total int) interchange.Progress) (*interchange.Summary, error) {
	sum, _, err := LoadFiles(ctx, store, progress)
	return sum, err
}

// Loaded is what one bundled file gave.
type Loaded struct {
	File    string
	Summary *interchange.Summary
}

// LoadFiles is Load that also tells what each file gave.
func LoadFiles(ctx context.Context, store *db.DB, progress func(name string) func(total int) interchange.Progress) (*interchange.Summary, []Loaded, error) {
	total := interchange.NewSummary()
	var each []Loaded
	err := store.Write(ctx, db.Author{Who: "harmtrace seed", Why: "bundled open data"}, func(tx *db.Tx) error {
		each = each[:0]
		for _, d := range datasets {
			sum := interchange.NewSummary()
			data, err := gunzip(d.gz)
			if err != nil {
				return fmt.Errorf("seed %s: %w", d.name, err)
			}
			doc, err := importer.Decode(data, d.name, d.format, importer.Options{TLP: "clear"}, sum)
			if err != nil {
				return err
			}
			var tell interchange.Progress
			if progress != nil {
				tell = progress(d.name)(doc.Len())
			}
			if err := interchange.Write(ctx, tx, d.name, doc, sum, tell); err != nil {
				return err
			}
			each = append(each, Loaded{File: d.name, Summary: sum})
			total.Add(sum)
		}
		return nil
	})
	return total, each, err
}

func gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
