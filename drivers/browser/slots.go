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
// returns the function that gives it back.
func (s *Slots) Acquire(ctx context.Context) (release func(), err error) {
	for {
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
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("browser: no free browser slot: %w", ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}
