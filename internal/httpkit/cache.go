package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/report"
)

// UntilChange keeps values computed from the store until the store
// changes. Every change of the data moves the store's count of changes
// (db.Changes), so that count tells whether a kept value is still true.
// When full, it starts again empty. The web keeps two: reports (Reports: a
// filtered report scans the incidents, and readers of a public dashboard
// ask for the same few filters again and again) and TAXII collections
// (internal/taxii: a client pages through one with many requests, and
// writing it is most of the work of each).
//
// Readers that ask for the same key at the same version while it is being
// computed wait for that one computation (a single flight): eight readers
// of a cold filter used to compute the same report eight times, each
// slower for the others.
type UntilChange[K comparable, V any] struct {
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

// NewUntilChange returns an empty cache that keeps at most size values.
func NewUntilChange[K comparable, V any](size int) *UntilChange[K, V] {
	return &UntilChange[K, V]{size: size}
}

// Get returns the value kept for key, computing it when there is none or
// store has changed since.
func (c *UntilChange[K, V]) Get(ctx context.Context, store db.Querier, key K, compute func() (V, error)) (V, error) {
	var zero V
	version, err := db.Changes(ctx, store)
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
func (c *UntilChange[K, V]) run(fk flightKey[K], f *flight[V], compute func() (V, error)) {
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

// Reports keeps the reports of a store's filters (report.Index.Compute)
// until the store changes. The public pages and the API read the same
// figures through one Reports.
type Reports struct {
	store db.Querier
	index *report.Index
	kept  *UntilChange[string, *report.Report]
}

// NewReports returns the report cache of store and its index.
func NewReports(store db.Querier, index *report.Index) *Reports {
	return &Reports{store: store, index: index, kept: NewUntilChange[string, *report.Report](512)}
}

// Report computes the report of a filter, or takes it from the cache. The
// key is the whole filter, the viewer included. A kept report is shared:
// callers read it and never change it.
func (c *Reports) Report(ctx context.Context, f report.Filter) (*report.Report, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	key := string(body)
	if f.Viewer != nil {
		key += fmt.Sprintf(" %+v", *f.Viewer)
	}
	return c.kept.Get(ctx, c.store, key, func() (*report.Report, error) { return c.index.Compute(ctx, c.store, f) })
}
