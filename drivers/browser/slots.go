package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Slots bound the browser work of a run across its processes: a
// directory of lock files, one per slot. A check holds a slot from its
// first page to its end, so that the browser neither outgrows the
// machine's memory nor starves the checks that time the server.
type Slots struct {
	dir string
	n   int
}

// NewSlots returns n slots kept in dir, which the run's processes share.
func NewSlots(dir string, n int) *Slots { return &Slots{dir: dir, n: max(1, n)} }

// Dir and N describe the slots for another process (NewSlots(Dir, N)).
func (s *Slots) Dir() string { return s.dir }

// N is the number of slots.
func (s *Slots) N() int { return s.n }

// Acquire takes a free slot, waiting for one as long as ctx allows, and
// returns the function that gives it back. It gives way to AcquireFirst.
func (s *Slots) Acquire(ctx context.Context) (release func(), err error) {
	return s.acquire(ctx, false)
}

// AcquireFirst is Acquire for a check that waits out a lifetime after its
// browser steps: while it waits, no Acquire of any process takes a slot,
// so that its clock starts early and its wait overlaps the others' work.
func (s *Slots) AcquireFirst(ctx context.Context) (release func(), err error) {
	return s.acquire(ctx, true)
}

func (s *Slots) acquire(ctx context.Context, first bool) (release func(), err error) {
	if first {
		// A marker, locked while it waits: a process that dies waiting
		// leaves one that is not locked, which the others remove.
		m, err := os.CreateTemp(s.dir, "first-")
		if err != nil {
			return nil, fmt.Errorf("browser: slot: %w", err)
		}
		defer func() {
			_ = os.Remove(m.Name())
			_ = m.Close()
		}()
		if err := syscall.Flock(int(m.Fd()), syscall.LOCK_EX); err != nil {
			return nil, fmt.Errorf("browser: slot: %w", err)
		}
	}
	for {
		// The locks are cheap to try; the markers are read only when a
		// slot is free, since most tries find none.
		if release, err := s.take(); err != nil {
			return nil, err
		} else if release != nil {
			if first || !s.othersFirst() {
				return release, nil
			}
			release()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("browser: no free browser slot: %w", ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// take locks a free slot, if there is one, and returns the function that
// unlocks it.
func (s *Slots) take() (release func(), err error) {
	for i := 0; i < s.n; i++ {
		f, err := os.OpenFile(filepath.Join(s.dir, fmt.Sprintf("slot-%d", i)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("browser: slot: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		f.Close()
	}
	return nil, nil
}

// othersFirst reports whether an AcquireFirst of a live process waits,
// and removes the markers of those that died waiting.
func (s *Slots) othersFirst() bool {
	markers, _ := filepath.Glob(filepath.Join(s.dir, "first-*"))
	waiting := false
	for _, p := range markers {
		f, err := os.Open(p)
		if err != nil {
			continue // gone meanwhile: it took its slot
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) != nil {
			waiting = true
		} else if fi, err := f.Stat(); err == nil && time.Since(fi.ModTime()) > time.Second {
			// Not locked, and not just being made: its waiter died.
			_ = os.Remove(p)
		}
		f.Close()
	}
	return waiting
}
