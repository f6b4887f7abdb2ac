package runtime

import (
	"container/list"
	"context"
	"sync"

	"github.com/backplane-ml/backplane/tensor"
)

// defaultCacheSize bounds how many artifacts the package-level Run keeps loaded.
const defaultCacheSize = 16

var defaultRT = struct {
	once sync.Once
	rt   *Runtime

	mu    sync.Mutex
	lru   *list.List                  // of *Artifact, most recent first
	items map[*Artifact]*list.Element // artifact -> element whose Value is cachedModel
}{}

type cachedModel struct {
	art   *Artifact
	model *Model
}

// Run executes artifact a once on the best available backend, using a
// process-wide Runtime over every registered backend. Loaded models are cached
// per *Artifact (the artifact must not change afterwards); the least recently
// used of more than 16 are closed. Programs that run a model many times or need
// control over backends should use New, Runtime.Load and Model.Run.
func Run(ctx context.Context, a *Artifact, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	for attempt := 0; ; attempt++ {
		m, err := defaultModel(ctx, a)
		if err != nil {
			return nil, err
		}
		out, err := m.Run(ctx, inputs...)
		// Another caller may have evicted and closed m between the lookup and
		// the Run; it is no longer cached, so the next lookup loads it afresh.
		// Only the model's own ErrClosed (top level) means "evicted"; a backend's
		// error inside a DispatchError does not, and retries are capped anyway.
		if e, ok := err.(*Error); ok && e.Kind == ErrClosed && attempt < 3 {
			continue
		}
		return out, err
	}
}

func defaultModel(ctx context.Context, a *Artifact) (*Model, error) {
	d := &defaultRT
	d.once.Do(func() {
		d.rt, _ = New() // New without options cannot fail
		d.lru = list.New()
		d.items = map[*Artifact]*list.Element{}
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.items[a]; ok {
		d.lru.MoveToFront(e)
		return e.Value.(cachedModel).model, nil
	}
	m, err := d.rt.Load(ctx, a)
	if err != nil {
		return nil, err
	}
	d.items[a] = d.lru.PushFront(cachedModel{art: a, model: m})
	if d.lru.Len() > defaultCacheSize {
		old := d.lru.Remove(d.lru.Back()).(cachedModel)
		delete(d.items, old.art)
		go old.model.Close() // Close waits for its runs in flight; don't hold the cache lock meanwhile
	}
	return m, nil
}
