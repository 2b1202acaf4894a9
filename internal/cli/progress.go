package cli

import (
	"io"
	"os"
	"path/filepath"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress draws bars for long work when output is a terminal, and does
// nothing otherwise, so logs and pipes stay clean.
type progress struct {
	p *mpb.Progress
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

type bar struct{ b *mpb.Bar }

func (p *progress) add(name string, total int) *bar {
	if p.p == nil || total < minBar {
		return &bar{}
	}
	b := p.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(filepath.Base(name), decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d")),
		mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)))
	return &bar{b: b}
}

func (b *bar) increment(n int) {
	if b.b != nil {
		b.b.IncrBy(n)
	}
}

func (b *bar) done() {
	if b.b != nil {
		b.b.Abort(false)
	}
}

func (p *progress) wait() {
	if p.p != nil {
		p.p.Wait()
	}
}
