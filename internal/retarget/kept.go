package retarget

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/harmtrace/harmtrace/internal/db"
)

// KeptCount keeps Count for a page that shows it on every view. Count
// reads every victim of every public incident (6 s at a million
// incidents), so a reader must not pay it: after a change of the store,
// the count kept so far is shown while one count runs in the background,
// and its result is shown from then on. Only the first reader of a
// server waits, for what is left of the count started with it.
type KeptCount struct {
	store *db.DB
	log   *slog.Logger

	mu       sync.Mutex
	ok       bool
	value    int
	changes  int64 // the store's count of changes the value is true of
	counting bool
	first    chan struct{} // closed once the first count has ended
}

// NewKeptCount keeps the default window's count of store, and starts
// counting at once: the first reader waits only for what is left of it.
func NewKeptCount(store *db.DB, log *slog.Logger) *KeptCount {
	k := &KeptCount{store: store, log: log, first: make(chan struct{}), counting: true}
	go k.count()
	return k
}

// Get returns the newest count, starting a new one when the store has
// changed since it was counted.
func (k *KeptCount) Get(ctx context.Context) (int, error) {
	changes, err := db.Changes(ctx, k.store)
	if err != nil {
		return 0, err
	}
	k.mu.Lock()
	if k.ok && k.changes == changes {
		v := k.value
		k.mu.Unlock()
		return v, nil
	}
	if !k.counting {
		k.counting = true
		go k.count()
	}
	if k.ok {
		v := k.value
		k.mu.Unlock()
		return v, nil
	}
	k.mu.Unlock()
	select {
	case <-k.first:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.ok {
		return 0, errFirstCount
	}
	return k.value, nil
}

var errFirstCount = errors.New("count re-targeted organisations: the first count failed (see the log)")

// count counts in the background: not in a reader's context, which ends
// with its request. The count is true at least of the store's count of
// changes read before it (a write while it counts makes the next reader
// count again).
func (k *KeptCount) count() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	changes, err := db.Changes(ctx, k.store)
	n := 0
	if err == nil {
		n, err = Count(ctx, k.store, 0)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.counting = false
	if err != nil {
		k.log.Error("count re-targeted organisations", "err", err)
	} else if !k.ok || changes >= k.changes {
		k.ok, k.value, k.changes = true, n, changes
	}
	select {
	case <-k.first:
	default:
		close(k.first)
	}
}
