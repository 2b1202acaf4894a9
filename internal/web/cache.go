package web

import (
	"context"
	"encoding/json"
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
type untilChange[K comparable, V any] struct {
	size    int
	mu      sync.Mutex
	entries map[K]keptValue[V]
}

type keptValue[V any] struct {
	version int64
	value   V
}

// get returns the value kept for key, computing it when there is none or
// the store has changed since.
func (c *untilChange[K, V]) get(ctx context.Context, s *Server, key K, compute func() (V, error)) (V, error) {
	var zero V
	version, err := s.storeVersion(ctx)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.version == version {
		return e.value, nil
	}
	v, err := compute()
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= c.size {
		c.entries = map[K]keptValue[V]{}
	}
	c.entries[key] = keptValue[V]{version, v}
	return v, nil
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
	return s.reports.get(ctx, s, key, func() (*report.Report, error) { return report.Compute(ctx, s.store, f) })
}
