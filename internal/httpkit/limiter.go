package httpkit

import (
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// Limiter counts failures (sign-ins, receipts) per key (an account, an
// address), and refuses more than limitFailures within limitWindow. Keys
// are kept only in memory, as a SHA-256 salted with a secret of the
// process: an address is never written anywhere, and its hash cannot be
// looked up. Its memory is bounded: a key takes 32 bytes whatever its
// length (an email of any length takes 32 bytes), keys
// whose failures are all older than the window are dropped, and at most
// size keys are kept; when full, the key with the oldest last failure
// goes. Without these bounds, sign-ins with a million distinct or huge
// emails grew the process to a gigabyte.
type Limiter struct {
	salt     [32]byte
	mu       sync.Mutex
	failures map[[sha256.Size]byte][]time.Time
	size     int
	// shared, when set, keeps the failures in the database instead
	// (shared.go): several servers on one PostgreSQL.
	shared *shared
}

// LimitKeys bounds the keys a limiter keeps, about 200 bytes each: 10 MB.
const LimitKeys = limitKeys

const (
	limitFailures = 5
	limitWindow   = 15 * time.Minute
	// limitKeys bounds the keys kept (two per failed sign-in), about 200
	// bytes each: 10 MB at most.
	limitKeys = 50_000
)

// NewLimiter returns a limiter that keeps at most size keys.
func NewLimiter(size int) *Limiter {
	l := &Limiter{failures: map[[sha256.Size]byte][]time.Time{}, size: size}
	_, _ = rand.Read(l.salt[:])
	return l
}

func (l *Limiter) hash(key string) [sha256.Size]byte {
	return sha256.Sum256(append(l.salt[:], key...))
}

func (l *Limiter) sharedIn() *shared {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.shared
}

// Blocked reports whether any of the keys failed too often lately.
func (l *Limiter) Blocked(now time.Time, keys ...string) bool {
	if sh := l.sharedIn(); sh != nil {
		return sh.blocked(now, keys)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if len(l.recent(now, l.hash(k))) >= limitFailures {
			return true
		}
	}
	return false
}

// Fail counts a failure for each key.
func (l *Limiter) Fail(now time.Time, keys ...string) {
	if sh := l.sharedIn(); sh != nil {
		sh.fail(now, keys)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		h := l.hash(k)
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
func (l *Limiter) recent(now time.Time, h [sha256.Size]byte) []time.Time {
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
func (l *Limiter) prune(now time.Time) {
	for h := range l.failures {
		l.recent(now, h)
	}
}

// evictOldest forgets the key whose last failure is the oldest.
func (l *Limiter) evictOldest() {
	var oldest [sha256.Size]byte
	var at time.Time
	for h, times := range l.failures {
		if last := times[len(times)-1]; at.IsZero() || last.Before(at) {
			oldest, at = h, last
		}
	}
	delete(l.failures, oldest)
}
