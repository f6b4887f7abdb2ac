package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// cached returns the loaded model for key in s, entered (the caller must
// leave it), making it with build on a miss; a nil model (no error) is
// cached too and returned as is. Concurrent runs of one new key build it once.
func (m *Model) cached(ctx context.Context, s *specCache, key string, build func() (*Model, error)) (*Model, error) {
	// A run that waited for another to build its model may find it evicted
	// (and closed) by then when many signatures compete for the cache; it
	// then tries again, a bounded number of times.
	for attempt := 1; ; attempt++ {
		sm, err := m.cachedOnce(ctx, s, key, build)
		if !errors.Is(err, errEvictedWhileWaiting) || attempt == 8 {
			return sm, err
		}
	}
}

var errEvictedWhileWaiting = errors.New("the specialization was evicted while this run waited for it (raise WithMaxSpecializations)")

func (m *Model) cachedOnce(ctx context.Context, s *specCache, key string, build func() (*Model, error)) (*Model, error) {
	s.mu.Lock()
	if el, ok := s.entries[key]; ok {
		e := el.Value.(*specEntry)
		select {
		case <-e.ready:
			if e.err == nil && (e.model == nil || e.model.enter()) {
				s.hits++
				s.lru.MoveToFront(el)
				s.mu.Unlock()
				return e.model, nil
			}
		default:
		}
		s.misses++
		s.mu.Unlock()
		select { // another run is building this key's model
		case <-e.ready:
		case <-ctx.Done():
			return nil, &Error{Kind: ErrBackend, Model: m.art.Name, Mode: ModeTimeout,
				Err: fmt.Errorf("waiting for another run to specialize %s: %w", key, ctx.Err())}
		}
		if e.err != nil {
			return nil, e.err
		}
		if e.model != nil && !e.model.enter() {
			return nil, &Error{Kind: ErrBackend, Model: m.art.Name, Err: errEvictedWhileWaiting}
		}
		return e.model, nil
	}
	s.misses++
	e := &specEntry{key: key, ready: make(chan struct{})}
	el := s.lru.PushFront(e)
	s.entries[key] = el
	s.mu.Unlock()

	start := time.Now()
	model, err := build()
	var evicted []*Model
	s.mu.Lock()
	s.nanos += int64(time.Since(start))
	e.model, e.err = model, err
	if err != nil {
		s.failures++
		s.lru.Remove(el)
		delete(s.entries, key)
	} else {
		if model != nil {
			model.enter() // for this run, before anyone can evict it
		}
		for tries := s.lru.Len(); s.lru.Len() > s.max && tries > 0; tries-- {
			old := s.lru.Back().Value.(*specEntry)
			select {
			case <-old.ready:
			default:
				// Still being made: keep it (rare; the cache shrinks later).
				s.lru.MoveToFront(s.lru.Back())
				continue
			}
			s.lru.Remove(s.lru.Back())
			delete(s.entries, old.key)
			s.evictions++
			if old.model != nil {
				evicted = append(evicted, old.model)
			}
		}
	}
	close(e.ready)
	s.mu.Unlock()
	for _, old := range evicted {
		_ = old.Close() // waits for its runs in flight
	}
	if err != nil {
		return nil, err
	}
	return model, nil
}

func closeCache(s *specCache) error {
	s.mu.Lock()
	var models []*Model
	for el := s.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*specEntry)
		select {
		case <-e.ready:
			if e.model != nil {
				models = append(models, e.model)
			}
		default:
		}
	}
	s.lru.Init()
	clear(s.entries)
	s.mu.Unlock()
	var errs []error
	for _, sm := range models {
		errs = append(errs, sm.Close())
	}
	return errors.Join(errs...)
}
