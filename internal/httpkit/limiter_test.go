package httpkit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLimiterIsBounded: however many distinct emails fail to sign in, and
// however long they are, the limiter keeps at most its size of keys of 32
// bytes; expired keys go first, then the oldest; it still blocks.
func TestLimiterIsBounded(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(100)
	huge := strings.Repeat("x", 1<<20)
	for i := range 1000 {
		l.Fail(t0.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("account:%d%s@example.org", i, huge), "address:192.0.2.1")
	}
	if n := len(l.failures); n > 100 {
		t.Errorf("%d keys kept, want at most 100", n)
	}
	if !l.Blocked(t0.Add(time.Second), "address:192.0.2.1") {
		t.Error("the address that failed a thousand times is not blocked")
	}
	if _, kept := l.failures[l.hash("account:0"+huge+"@example.org")]; kept {
		t.Error("the oldest account was not the one evicted")
	}
	if _, kept := l.failures[l.hash("account:999"+huge+"@example.org")]; !kept {
		t.Error("the newest account was evicted")
	}
	if n := len(l.failures[l.hash("address:192.0.2.1")]); n != limitFailures {
		t.Errorf("a key keeps %d failures, want the last %d", n, limitFailures)
	}

	// Once the window has passed, a new failure finds every old key expired.
	later := t0.Add(limitWindow + time.Hour)
	l.Fail(later, "account:new@example.org")
	if n := len(l.failures); n != 1 {
		t.Errorf("after the window, %d keys kept, want 1", n)
	}
	if l.Blocked(later, "address:192.0.2.1") {
		t.Error("an address is still blocked after the window")
	}

	// Checking a key that never failed stores nothing.
	for i := range 1000 {
		l.Blocked(later, fmt.Sprint("account:", i))
	}
	if n := len(l.failures); n != 1 {
		t.Errorf("checking keys stored them: %d keys", n)
	}
}
