package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/report"
)

// untilChange keeps values computed from the store until the store
// changes. Every change of the data records a revision, so the newest
// revision's id tells whether a kept value is still true. When full, it
// starts again empty. The web keeps two: reports (a filtered report scans
// the incidents, and readers of a public dashboard ask for the same few
// filters again and again) and TAXII collections (a client pages through
// one with many requests, and writing it is most of the work of each).
//
// Readers that ask for the same key at the same version while it is being
// computed wait for that one computation (a single flight): eight readers
// of a cold filter used to compute the same report eight times, each
// slower for the others.
type untilChange[K comparable, V any] struct {
	size    int
	mu      sync.Mutex
	entries map[K]keptValue[V]
	flights map[flightKey[K]]*flight[V]
}

type keptValue[V any] struct {
	version int64
	value   V
}

type flightKey[K comparable] struct {
	key     K
	version int64
}

// flight is one computation under way; done closes when it ends.
type flight[V any] struct {
	done  chan struct{}
	value V
	err   error
}

// get returns the value kept for key, computing it when there is none or
// the store has changed since.
func (c *untilChange[K, V]) get(ctx context.Context, s *Server, key K, compute func() (V, error)) (V, error) {
	var zero V
	version, err := s.storeVersion(ctx)
	if err != nil {
		return zero, err
	}
	fk := flightKey[K]{key, version}
	for {
		c.mu.Lock()
		if e, ok := c.entries[key]; ok && e.version == version {
			c.mu.Unlock()
			return e.value, nil
		}
		f, waiting := c.flights[fk]
		if !waiting {
			f = &flight[V]{done: make(chan struct{})}
			if c.flights == nil {
				c.flights = map[flightKey[K]]*flight[V]{}
			}
			c.flights[fk] = f
		}
		c.mu.Unlock()
		if !waiting {
			c.run(fk, f, compute)
			return f.value, f.err
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		// The reader who computed went away (its request was cancelled):
		// that is no answer for this one, which computes again.
		if f.err != nil && isContextError(f.err) && ctx.Err() == nil {
			continue
		}
		return f.value, f.err
	}
}

// run computes the flight's value, keeps it when it succeeds and lets the
// waiting readers go, even when compute panics.
func (c *untilChange[K, V]) run(fk flightKey[K], f *flight[V], compute func() (V, error)) {
	defer func() {
		c.mu.Lock()
		delete(c.flights, fk)
		if f.err == nil {
			if c.entries == nil || len(c.entries) >= c.size {
				c.entries = map[K]keptValue[V]{}
			}
			c.entries[fk.key] = keptValue[V]{fk.version, f.value}
		}
		c.mu.Unlock()
		close(f.done)
	}()
	f.err = errComputing // what waiters see if compute panics
	f.value, f.err = compute()
}

// errComputing is the waiters' answer when the computation they waited
// for panicked.
var errComputing = errors.New("the computation of a kept value failed")

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// storeVersion is the store's count of changes (db.Changes): it changes
// with every change of the data, through this server or another.
func (s *Server) storeVersion(ctx context.Context) (int64, error) { return db.Changes(ctx, s.store) }

// report computes the report of a filter, or takes it from the cache. The
// key is the whole filter, the viewer included. A kept report is shared:
// callers read it and never change it.
func (s *Server) report(ctx context.Context, f report.Filter) (*report.Report, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	key := string(body)
	if f.Viewer != nil {
		key += fmt.Sprintf(" %+v", *f.Viewer)
	}
	return s.reports.get(ctx, s, key, func() (*report.Report, error) { return s.index.Compute(ctx, s.store, f) })
}
