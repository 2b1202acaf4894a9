package web

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/harmtrace/harmtrace/internal/report"
)

// reportCache keeps computed reports until the store changes. A filtered
// report scans the incidents, and readers of a public dashboard ask for the
// same few filters again and again; every change of the data records a
// revision, so the newest revision's id tells whether a report is still
// true. The key is the whole filter, the viewer included.
type reportCache struct {
	mu      sync.Mutex
	entries map[string]cachedReport
}

type cachedReport struct {
	version int64
	report  *report.Report
}

// reportCacheSize bounds the cache; when full it starts again empty.
const reportCacheSize = 512

// storeVersion is the id of the newest revision: it changes with every
// change of the data.
func (s *Server) storeVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.store.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM revisions`).Scan(&v)
	return v, err
}

// report computes the report of a filter, or takes it from the cache. A
// cached report is shared: callers read it and never change it.
func (s *Server) report(ctx context.Context, f report.Filter) (*report.Report, error) {
	version, err := s.storeVersion(ctx)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	key := string(body)
	if f.Viewer != nil {
		key += fmt.Sprintf(" %+v", *f.Viewer)
	}
	c := &s.reports
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.version == version {
		return e.report, nil
	}
	rep, err := report.Compute(ctx, s.store, f)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= reportCacheSize {
		c.entries = map[string]cachedReport{}
	}
	c.entries[key] = cachedReport{version, rep}
	return rep, nil
}
