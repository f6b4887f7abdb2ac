package cpu

import (
	"sync"
	"sync/atomic"
)

// tiler is work split into n independent parts (output tiles): do runs
// parts [lo, hi) on the worker whose scratch is slot.
type tiler interface {
	do(rs *runState, slot, lo, hi int)
}

// workerPool is a fixed set of goroutines started once per Prepared model;
// every parallel step hands them parts of its work. There is no goroutine
// per op, and a step whose work is small runs on the caller alone.
type workerPool struct {
	threads int
	jobs    chan *job
	stop    chan struct{}
	once    sync.Once
}

// job is one parallel step in flight. It lives in a runState and is reused,
// so starting one allocates nothing.
type job struct {
	t     tiler
	rs    *runState
	n     int // parts
	grain int // parts taken at a time
	next  atomic.Int64
	slots atomic.Int32 // next scratch slot for a joining helper
	wg    sync.WaitGroup

	mu    sync.Mutex
	crash any // the first panic of a part, re-raised on the caller's goroutine
}

// helpSafe is help with a panic kept for the caller instead of killing
// the process from a worker goroutine (the runtime recovers panics only
// on the goroutine that called Run).
func (j *job) helpSafe(slot int) {
	defer func() {
		if r := recover(); r != nil {
			j.mu.Lock()
			if j.crash == nil {
				j.crash = r
			}
			j.mu.Unlock()
			j.next.Store(int64(j.n)) // stop handing out parts
		}
	}()
	j.help(slot)
}

func newWorkerPool(threads int) *workerPool {
	// Buffered: a posted part is taken by the next worker to come free, even
	// one still returning from the previous step (an unbuffered send would
	// find it not yet waiting and leave the step to the caller alone).
	p := &workerPool{threads: threads, jobs: make(chan *job, 4*threads), stop: make(chan struct{})}
	for range threads - 1 {
		go p.work()
	}
	return p
}

func (p *workerPool) work() {
	for {
		select {
		case j := <-p.jobs:
			j.helpSafe(int(j.slots.Add(1)))
			j.wg.Done()
		case <-p.stop:
			return
		}
	}
}

func (p *workerPool) close() { p.once.Do(func() { close(p.stop) }) }

// help takes parts until none are left.
func (j *job) help(slot int) {
	for {
		lo := int(j.next.Add(int64(j.grain))) - j.grain
		if lo >= j.n {
			return
		}
		j.t.do(j.rs, slot, lo, min(lo+j.grain, j.n))
	}
}

// parallel runs t's n parts on up to want threads (the caller included),
// handing out grain parts at a time. The caller works too; a helper that
// picks the job up after the parts ran out just signs off, so a pool busy
// with another Run delays this step by at most one part of that Run.
func (p *workerPool) parallel(rs *runState, t tiler, n, want int) {
	p.parallelGrain(rs, t, n, want, 0)
}

// parallelGrain is parallel handing out grain parts at a time (0: about a
// quarter of a thread's share).
func (p *workerPool) parallelGrain(rs *runState, t tiler, n, want, grain int) {
	if n <= 0 {
		return
	}
	want = min(want, p.threads, n, len(rs.scratch))
	if want <= 1 {
		t.do(rs, 0, 0, n)
		return
	}
	j := &rs.job
	j.t, j.rs, j.n = t, rs, n
	j.grain = grain
	if grain <= 0 {
		j.grain = max(1, n/(want*4))
	}
	j.next.Store(0)
	j.slots.Store(0)
	for range want - 1 {
		j.wg.Add(1)
		select {
		case p.jobs <- j:
		default:
			j.wg.Done()
		}
	}
	j.helpSafe(0)
	j.wg.Wait() // no helper touches the run state after this
	j.t, j.rs = nil, nil
	if r := j.crash; r != nil {
		j.crash = nil
		panic(r)
	}
}
