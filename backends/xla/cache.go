package xla

import (
	"container/list"
	"sync"
	"time"

	"github.com/backplane-ml/backplane/runtime"
)

// DefaultCacheSize is how many executables (one per input-shape signature) a
// Prepared model keeps when Options.CacheSize is zero. A model run with a
// symbolic batch sees one signature per batch size in use; a few of those is
// the common case, and each executable of a large model can hold megabytes.
const DefaultCacheSize = 8

// execCache is a bounded LRU of compiled programs keyed by input signature.
// Concurrent requests for a signature being compiled wait for that one
// compile instead of starting their own. An evicted program still in use is
// released when its last user is done.
type execCache struct {
	mu      sync.Mutex
	max     int
	lru     *list.List // of *cacheEntry, most recently used at the front
	entries map[string]*list.Element
	stats   runtime.CompileStats
	closed  bool
}

type cacheEntry struct {
	key     string
	ready   chan struct{} // closed when prog/err are set
	prog    *program
	err     error
	refs    int  // runs holding prog
	evicted bool // no longer in the cache; free prog when refs drops to 0
}

func newExecCache(max int) *execCache {
	if max <= 0 {
		max = DefaultCacheSize
	}
	return &execCache{max: max, lru: list.New(), entries: map[string]*list.Element{}}
}

// acquire returns the program for key, compiling it with build on a miss.
// The caller must release the entry when done with the program.
func (c *execCache) acquire(key string, build func() (*program, error)) (*cacheEntry, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, runtime.ErrClosed
	}
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		c.lru.MoveToFront(el)
		e.refs++
		c.stats.Hits++
		c.mu.Unlock()
		<-e.ready
		if e.err != nil {
			c.release(e)
			return nil, e.err
		}
		return e, nil
	}
	e := &cacheEntry{key: key, ready: make(chan struct{}), refs: 1}
	c.entries[key] = c.lru.PushFront(e)
	c.stats.Compiles++
	c.evictLocked()
	c.mu.Unlock()

	start := time.Now()
	e.prog, e.err = build()
	elapsed := time.Since(start)
	close(e.ready)

	c.mu.Lock()
	c.stats.CompileTime += elapsed
	if e.err != nil && !e.evicted {
		// A failed compile is not kept: the cache holds executables only.
		c.lru.Remove(c.entries[key])
		delete(c.entries, key)
		e.evicted = true
	}
	c.mu.Unlock()
	if e.err != nil {
		c.release(e)
		return nil, e.err
	}
	return e, nil
}

// evictLocked drops least recently used entries beyond the bound.
func (c *execCache) evictLocked() {
	for c.lru.Len() > c.max {
		el := c.lru.Back()
		e := el.Value.(*cacheEntry)
		c.lru.Remove(el)
		delete(c.entries, e.key)
		e.evicted = true
		c.stats.Evictions++
		if e.refs == 0 {
			e.prog.free()
		}
	}
}

// release gives back an entry obtained from acquire.
func (c *execCache) release(e *cacheEntry) {
	c.mu.Lock()
	e.refs--
	free := e.evicted && e.refs == 0 && e.prog != nil
	c.mu.Unlock()
	if free {
		e.prog.free()
	}
}

// snapshot returns the counters and the number of executables held.
func (c *execCache) snapshot() runtime.CompileStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Cached = c.lru.Len()
	return s
}

// close frees every program not in use and refuses new work; programs still
// in use are freed by their last release.
func (c *execCache) close() {
	c.mu.Lock()
	c.closed = true
	var free []*program
	for c.lru.Len() > 0 {
		el := c.lru.Back()
		e := el.Value.(*cacheEntry)
		c.lru.Remove(el)
		delete(c.entries, e.key)
		e.evicted = true
		if e.refs == 0 && e.prog != nil {
			free = append(free, e.prog)
		}
	}
	c.mu.Unlock()
	for _, p := range free {
		p.free()
	}
}
