package db

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCacheSize bounds how many distinct statements a pool keeps
// prepared. The store's queries are a few hundred texts; a query built
// with a varying list of placeholders past the bound runs unprepared, as
// every query did before.
const stmtCacheSize = 1000

// stmtCache keeps one pool's prepared statements by their text.
// database/sql prepares a kept statement once on each connection of the
// pool that runs it, and a transaction on such a connection reuses it.
type stmtCache struct {
	pool   *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	full   bool
	closed bool
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

// get returns the kept statement of q, preparing it on first use; nil
// when the cache is off (PostgreSQL), full, or q does not prepare (its
// error is then the caller's to report, unprepared). The lock is not held
// while preparing, which may wait for one of the pool's connections.
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if st := c.kept(q); st != nil || c.isFull() {
		return st
	}
	// Prepared outside the caller's context: a cancelled request must not
	// leave a statement that fails for everybody else.
	st, err := c.pool.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil
	}
	return c.add(q, st)
}

// kept returns q's statement if the cache has it.
func (c *stmtCache) kept(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

func (c *stmtCache) isFull() bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.full
}

// add keeps st as q's statement, unless another caller kept one first or
// the cache is full, and returns the statement to use.
func (c *stmtCache) add(q string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept, ok := c.m[q]; ok {
		st.Close()
		return kept
	}
	if c.full || c.closed {
		st.Close()
		return nil
	}
	c.m[q] = st
	c.full = len(c.m) >= stmtCacheSize
	return st
}

// keep prepares and keeps the statements of qs that the cache lacks.
func (c *stmtCache) keep(ctx context.Context, qs []string) {
	if c == nil {
		return
	}
	for _, q := range qs {
		if c.kept(q) == nil && !c.isFull() {
			if st, err := c.pool.PrepareContext(ctx, q); err == nil {
				c.add(q, st)
			}
		}
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.closed = map[string]*sql.Stmt{}, true
}
