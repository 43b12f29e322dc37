package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// Turns are the resources that checks of different flows take turns at:
// one lock file per resource in a directory that the run's processes
// share. A lock is an flock, so a process that dies gives its turns back.
type Turns struct{ dir string }

// NewTurns keeps the run's turns in dir.
func NewTurns(dir string) *Turns { return &Turns{dir: dir} }

// take waits for the turn at resource as long as ctx allows, and returns
// the function that ends it.
func (t *Turns) take(ctx context.Context, resource string) (end func(), err error) {
	f, err := os.OpenFile(filepath.Join(t.dir, "turn-"+resource), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("check: turn at %s: %w", resource, err)
	}
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("check: turn at %s: %w", resource, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// takeTurns takes the check's turns at the resources it uses across the
// run (UsesInRun), in one order for every check, so that two never wait
// on each other. The wait is the run's queue, not the check's time. It
// reports false, with an ERROR recorded, when the check's time ran out
// first.
func (c *C) takeTurns(resources []string) (end func(), ok bool) {
	var ends []func()
	end = func() {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i]()
		}
	}
	if c.Env.Turns == nil || len(resources) == 0 {
		return end, true
	}
	resources = slices.Sorted(slices.Values(resources))
	resume := c.pause()
	defer resume()
	for _, r := range slices.Compact(resources) {
		e, err := c.Env.Turns.take(c, r)
		if err != nil {
			end()
			c.add(Error, "", "could not take its turn at %s, which checks of other flows use too: %v", r, err)
			return nil, false
		}
		ends = append(ends, e)
	}
	return end, true
}
