package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// tiler is work split into n independent parts (output tiles): do runs
// parts [lo, hi) on the worker whose scratch is slot.
type tiler interface {
	do(rs *runState, slot, lo, hi int)
}

// workerPool is a fixed set of goroutines started once per Prepared model;
// every parallel step hands them parts of its work. There is no goroutine
// per op, and a step whose work is small runs on the caller alone.
//
// A step is published on its job's cursor (step number, chunk count, next
// chunk, in one atomic word) and announced by one ticket per wanted helper.
// A helper takes chunks only while the cursor still names the ticket's step
// and chunks remain, so a helper that comes late (its thread descheduled, or
// busy with another Run) finds nothing and the caller never waits for it:
// the caller waits only for chunks a helper has actually taken.
type workerPool struct {
	threads int
	tickets chan ticket
	stop    chan struct{}
	once    sync.Once
}

// ticket invites a helper to step seq of job j.
type ticket struct {
	j   *job
	seq uint64
}

// Fields of job.cursor.
const (
	cursorNextBits  = 20
	cursorChunkBits = 20
	cursorSeqBits   = 64 - cursorNextBits - cursorChunkBits
	maxChunks       = 1<<cursorChunkBits - 1
)

// job is the parallel step in flight on one run state. It lives in the
// runState and is reused step after step, so starting one allocates nothing.
// t, rs, n and grain are written by the caller before it publishes the step
// on cursor, and read by a helper only while it holds an unfinished chunk
// (the step cannot end, nor the fields change, before that chunk is done).
type job struct {
	t     tiler
	rs    *runState
	n     int // parts
	grain int // parts per chunk
	seq   uint64

	cursor   atomic.Uint64 // seq | chunks | next chunk
	finished atomic.Int64  // parts done (or skipped after a panic)
	slots    atomic.Int32  // scratch slots handed to helpers this step
	done     chan struct{} // cap 1: a helper finished the last part

	mu    sync.Mutex
	crash any // the first panic of a part, re-raised on the caller's goroutine
}

func cursorOf(seq uint64, chunks, next int) uint64 {
	return seq<<(cursorNextBits+cursorChunkBits) | uint64(chunks)<<cursorNextBits | uint64(next)
}

func splitCursor(c uint64) (seq uint64, chunks, next int) {
	return c >> (cursorNextBits + cursorChunkBits), int(c >> cursorNextBits & maxChunks), int(c & (1<<cursorNextBits - 1))
}

// open reports whether step seq still has chunks to hand out.
func (j *job) open(seq uint64) bool {
	s, chunks, next := splitCursor(j.cursor.Load())
	return s == seq && next < chunks
}

// take reserves the next chunk of step seq: its parts [lo, hi).
func (j *job) take(seq uint64) (lo, hi int, ok bool) {
	for {
		c := j.cursor.Load()
		s, chunks, next := splitCursor(c)
		if s != seq || next >= chunks {
			return 0, 0, false
		}
		if j.cursor.CompareAndSwap(c, c+1) {
			lo = next * j.grain // safe to read now: the chunk is ours
			return lo, min(lo+j.grain, j.n), true
		}
	}
}

// finish counts parts done, waking the caller when they were the last.
func (j *job) finish(parts int, helper bool) {
	n, done := j.n, j.done // read first: once the parts count, the step may end
	if j.finished.Add(int64(parts)) == int64(n) && helper {
		select {
		case done <- struct{}{}:
		default: // a token is already there: the caller wakes and rechecks
		}
	}
}

// help takes chunks of step seq until none are left, on scratch slot. A
// panic in a part is kept for the caller and ends the step: the parts not
// yet taken are skipped.
func (j *job) help(seq uint64, slot int, helper bool) {
	lo, hi := 0, 0
	defer func() {
		if r := recover(); r != nil {
			j.mu.Lock()
			if j.crash == nil {
				j.crash = r
			}
			j.mu.Unlock()
			skipped := hi - lo
			for {
				c := j.cursor.Load()
				s, chunks, next := splitCursor(c)
				if s != seq || next >= chunks {
					break
				}
				if j.cursor.CompareAndSwap(c, cursorOf(seq, chunks, chunks)) {
					skipped += j.n - min(next*j.grain, j.n)
					break
				}
			}
			j.finish(skipped, helper)
		}
	}()
	for {
		var ok bool
		if lo, hi, ok = j.take(seq); !ok {
			return
		}
		j.t.do(j.rs, slot, lo, hi)
		j.finish(hi-lo, helper)
		lo, hi = 0, 0
	}
}

func newWorkerPool(threads int) *workerPool {
	// Buffered: a ticket waits for the next worker to come free.
	p := &workerPool{threads: threads, tickets: make(chan ticket, 4*threads), stop: make(chan struct{})}
	for range threads - 1 {
		go p.work()
	}
	return p
}

// spinFor is how long a worker keeps polling for the next ticket after a
// step before it parks: a run's parallel steps come microseconds apart, and
// waking a parked goroutine's thread costs several µs (tens on a VM).
const spinFor = 200 * time.Microsecond

func (p *workerPool) work() {
	var last ticket
	run := func(t ticket) {
		if t == last { // one slot per step and worker
			return
		}
		last = t
		p.helpOut(t)
	}
	for {
		// Poll, yielding the processor between polls so the spin never
		// keeps another goroutine from running.
		for t0 := time.Now(); time.Since(t0) < spinFor; runtime.Gosched() {
			select {
			case t := <-p.tickets:
				run(t)
				t0 = time.Now()
			case <-p.stop:
				return
			default:
			}
		}
		select {
		case t := <-p.tickets:
			run(t)
		case <-p.stop:
			return
		}
	}
}

// helpOut joins step t.seq of t.j as a helper if it still has chunks and
// a scratch slot is free.
func (p *workerPool) helpOut(t ticket) {
	j := t.j
	if !j.open(t.seq) {
		return
	}
	slot := 0
	for {
		s := j.slots.Load()
		if int(s) >= p.threads-1 {
			return
		}
		if j.slots.CompareAndSwap(s, s+1) {
			slot = int(s) + 1
			break
		}
	}
	j.help(t.seq, slot, true)
}

func (p *workerPool) close() { p.once.Do(func() { close(p.stop) }) }

// parallel runs t's n parts on up to want threads (the caller included),
// handing out about a quarter of a thread's share at a time.
func (p *workerPool) parallel(rs *runState, t tiler, n, want int) {
	p.parallelGrain(rs, t, n, want, 0)
}

// parallelGrain is parallel handing out grain parts at a time (0: about a
// quarter of a thread's share). The caller works too and returns once every
// part has run; a helper that never came is not waited for.
func (p *workerPool) parallelGrain(rs *runState, t tiler, n, want, grain int) {
	if n <= 0 {
		return
	}
	want = min(want, p.threads, n, len(rs.scratch))
	if want <= 1 {
		t.do(rs, 0, 0, n)
		return
	}
	if grain <= 0 {
		grain = max(1, n/(want*4))
	}
	grain = max(grain, (n+maxChunks-1)/maxChunks)
	j := &rs.job
	if j.done == nil {
		j.done = make(chan struct{}, 1)
	}
	j.t, j.rs, j.n, j.grain = t, rs, n, grain
	j.seq = (j.seq + 1) & (1<<cursorSeqBits - 1)
	seq := j.seq
	j.finished.Store(0)
	j.slots.Store(0)
	j.cursor.Store(cursorOf(seq, (n+grain-1)/grain, 0)) // publishes the step
	for range want - 1 {
		select {
		case p.tickets <- ticket{j: j, seq: seq}:
		default: // every worker has tickets waiting: they are busy
		}
	}
	j.help(seq, 0, false)
	// Wait for the parts helpers took: briefly by polling, then parked
	// until the helper that finishes the last part wakes us.
	for i := 0; j.finished.Load() != int64(n); i++ {
		if i < 64 {
			runtime.Gosched()
			continue
		}
		<-j.done
	}
	j.t, j.rs = nil, nil
	if r := j.crash; r != nil {
		j.crash = nil
		panic(r)
	}
}
