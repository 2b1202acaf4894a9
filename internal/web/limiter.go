package web

import (
	"crypto/sha256"
	"sync"
	"time"
)

// limiter counts failed sign-ins per account and per address, and refuses
// more than limitFailures within limitWindow. Its memory is bounded: a key
// is kept as its SHA-256 (an email of any length takes 32 bytes), keys
// whose failures are all older than the window are dropped, and at most
// size keys are kept; when full, the key with the oldest last failure
// goes. Without these bounds, sign-ins with a million distinct or huge
// emails grew the process to a gigabyte.
type limiter struct {
	mu       sync.Mutex
	failures map[[sha256.Size]byte][]time.Time
	size     int
}

const (
	limitFailures = 5
	limitWindow   = 15 * time.Minute
	// limitKeys bounds the keys kept (two per failed sign-in), about 200
	// bytes each: 10 MB at most.
	limitKeys = 50_000
)

func newLimiter(size int) *limiter {
	return &limiter{failures: map[[sha256.Size]byte][]time.Time{}, size: size}
}

func (l *limiter) blocked(now time.Time, keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if len(l.recent(now, sha256.Sum256([]byte(k)))) >= limitFailures {
			return true
		}
	}
	return false
}

func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		h := sha256.Sum256([]byte(k))
		if _, kept := l.failures[h]; !kept && len(l.failures) >= l.size {
			l.prune(now)
			if len(l.failures) >= l.size {
				l.evictOldest()
			}
		}
		times := append(l.recent(now, h), now)
		// Only the last limitFailures failures decide whether a key is
		// blocked.
		l.failures[h] = times[max(0, len(times)-limitFailures):]
	}
}

// recent returns a key's failures within the window, and forgets the key
// when none is left.
func (l *limiter) recent(now time.Time, h [sha256.Size]byte) []time.Time {
	var kept []time.Time
	for _, t := range l.failures[h] {
		if now.Sub(t) < limitWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(l.failures, h)
		return nil
	}
	l.failures[h] = kept
	return kept
}

// prune forgets every key whose failures have all expired.
func (l *limiter) prune(now time.Time) {
	for h := range l.failures {
		l.recent(now, h)
	}
}

// evictOldest forgets the key whose last failure is the oldest.
func (l *limiter) evictOldest() {
	var oldest [sha256.Size]byte
	var at time.Time
	for h, times := range l.failures {
		if last := times[len(times)-1]; at.IsZero() || last.Before(at) {
			oldest, at = h, last
		}
	}
	delete(l.failures, oldest)
}
