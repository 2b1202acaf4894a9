package cli

import (
	"io"
	"os"
	"path/filepath"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/harmtrace/harmtrace/internal/interchange"
)

// progress draws bars for long work when output is a terminal, and does
// nothing otherwise, so logs and pipes stay clean.
type progress struct {
	p    *mpb.Progress
	bars []*mpb.Bar
}

// minBar is the smallest amount of work worth a bar.
const minBar = 1000

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))}
}

// add returns what importer.File calls with a file's record count: it
// draws a bar for the file when the work is large enough.
func (p *progress) add(name string) func(total int) interchange.Progress {
	return func(total int) interchange.Progress {
		if p.p == nil || total < minBar {
			return nil
		}
		b := p.p.AddBar(int64(total),
			mpb.PrependDecorators(decor.Name(filepath.Base(name), decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d")),
			mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)))
		p.bars = append(p.bars, b)
		return func(n int) { b.IncrBy(n) }
	}
}

// rows returns what a backup or restore calls with its row count: one bar
// for all the rows, when the work is large enough.
func (p *progress) rows(name string) func(total int64) func(n int) {
	return func(total int64) func(n int) {
		if p.p == nil || total < minBar {
			return func(int) {}
		}
		b := p.p.AddBar(total,
			mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d rows")),
			mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)))
		p.bars = append(p.bars, b)
		return func(n int) { b.IncrBy(n) }
	}
}

// wait ends the bars; a bar left short by a failed import is aborted, so
// waiting never hangs.
func (p *progress) wait() {
	if p.p == nil {
		return
	}
	for _, b := range p.bars {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	p.p.Wait()
}

// reader wraps r, of size bytes, in a byte bar when the work is large
// enough (a file of evidence), and returns r itself otherwise.
func (p *progress) reader(name string, size int64, r io.Reader) io.Reader {
	if p.p == nil || size < 8<<20 {
		return r
	}
	b := p.p.AddBar(size,
		mpb.PrependDecorators(decor.Name(filepath.Base(name), decor.WCSyncSpaceR), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)))
	proxy, err := b.ProxyReader(r)
	if err != nil {
		b.Abort(true)
		return r
	}
	p.bars = append(p.bars, b)
	return proxy
}
