package httpkit

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harmtrace/harmtrace/internal/access"
	"github.com/harmtrace/harmtrace/internal/db/dbtest"
	"github.com/harmtrace/harmtrace/internal/report"
	"github.com/harmtrace/harmtrace/internal/synthetic"
	"github.com/harmtrace/harmtrace/internal/vocab"
)

// TestCacheComputesOnce: readers that ask for the same key at once share
// one computation; other keys compute on their own; a reader whose
// computation was cancelled leaves the others to compute again.
func TestCacheComputesOnce(t *testing.T) {
	store := dbtest.SQLite(t)
	c := NewUntilChange[string, int](8)
	ctx := context.Background()
	var computed atomic.Int32
	release := make(chan struct{})
	slow := func() (int, error) {
		computed.Add(1)
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	results := make([]int, 8)
	for i := range results {
		wg.Go(func() {
			v, err := c.Get(ctx, store, "sector=Health", slow)
			if err != nil {
				t.Error(err)
			}
			results[i] = v
		})
	}
	// Let every reader reach the cache before the computation ends.
	for deadline := time.Now().Add(5 * time.Second); computed.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := computed.Load(); n != 1 {
		t.Errorf("8 readers of one key computed %d times, want 1", n)
	}
	for i, v := range results {
		if v != 42 {
			t.Errorf("reader %d got %d", i, v)
		}
	}
	if v, _ := c.Get(ctx, store, "sector=Health", slow); v != 42 || computed.Load() != 1 {
		t.Errorf("a later reader: %d after %d computations, want the kept 42", v, computed.Load())
	}
	if _, err := c.Get(ctx, store, "sector=Water", func() (int, error) { computed.Add(1); return 7, nil }); err != nil || computed.Load() != 2 {
		t.Errorf("another key: %v, %d computations, want its own", err, computed.Load())
	}

	// The first reader's request is cancelled: the one waiting computes.
	started, cancelled := make(chan struct{}), make(chan struct{})
	go func() {
		_, _ = c.Get(ctx, store, "country=CD", func() (int, error) {
			close(started)
			<-cancelled
			return 0, context.Canceled
		})
	}()
	<-started
	done := make(chan int)
	go func() {
		v, err := c.Get(ctx, store, "country=CD", func() (int, error) { return 9, nil })
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	time.Sleep(20 * time.Millisecond)
	close(cancelled)
	if v := <-done; v != 9 {
		t.Errorf("after the first reader was cancelled the second got %d, want its own 9", v)
	}
	// An error is no value to keep.
	boom := errors.New("boom")
	if _, err := c.Get(ctx, store, "q=x", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("error: %v", err)
	}
	if v, err := c.Get(ctx, store, "q=x", func() (int, error) { return 3, nil }); err != nil || v != 3 {
		t.Errorf("after an error: %d, %v; want a fresh computation", v, err)
	}
}

// BenchmarkColdReaders: eight readers ask at once for the figures of one
// filter nobody asked for before (a sector, 20,000 synthetic incidents;
// HARMTRACE_BENCH_INCIDENTS sets another count), through the cache's
// single flight and, as the baseline in the same run, each computing the
// report as before. ns/op is the time until the last reader has its answer.
//
//	go test -run '^$' -bench ColdReaders -benchtime 5x ./internal/httpkit
func BenchmarkColdReaders(b *testing.B) {
	n := 20_000
	if v := os.Getenv("HARMTRACE_BENCH_INCIDENTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	store := dbtest.SQLite(b)
	if err := synthetic.Generate(ctx, store, n); err != nil {
		b.Fatal(err)
	}
	var reports *Reports
	f := report.Filter{Viewer: &access.Public, Sector: vocab.Sectors()[0]}
	for _, c := range []struct {
		name string
		read func() error
	}{
		{"single-flight", func() error { _, err := reports.Report(ctx, f); return err }},
		{"each-computes", func() error { _, err := report.Compute(ctx, store, f); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				reports = NewReports(store, nil) // cold
				var wg sync.WaitGroup
				for r := 0; r < 8; r++ {
					wg.Go(func() {
						if err := c.read(); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}
