package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// othersDone tells each flow's process when every other flow of the run has
// ended, by creating a file for it in the run's directory. A check whose
// step reaches beyond its own flow (a logout, which a server may take as
// the end of every session and token of the person) waits for that file
// (check.C.AwaitOtherFlows), so that it disturbs no other check.
type othersDone struct {
	mu   sync.Mutex
	dir  string
	left map[string]bool // the flows that have not ended
}

// newOthersDone starts the account of flows. With one flow at a time
// (parallel below 2), no flow runs beside another: every file is there at
// once, and no flow waits for flows that cannot start before it ends.
func newOthersDone(dir string, flows []string, parallel int) *othersDone {
	o := &othersDone{dir: dir, left: map[string]bool{}}
	for _, f := range flows {
		o.left[f] = true
		if parallel < 2 {
			o.create(f)
		}
	}
	o.release()
	return o
}

// path is the file that flow waits for.
func (o *othersDone) path(flow string) string {
	return filepath.Join(o.dir, flow+".others-done")
}

// ended records that flow has ended.
func (o *othersDone) ended(flow string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.left, flow)
	o.release()
}

// release creates the file of the one flow left, if one is.
func (o *othersDone) release() {
	if len(o.left) == 1 {
		for f := range o.left {
			o.create(f)
		}
	}
}

func (o *othersDone) create(flow string) {
	// A file that cannot be written leaves its flow's check to its
	// deadline (ERROR), which names the wait.
	_ = os.WriteFile(o.path(flow), nil, 0o600)
}

// awaitFile returns once path exists, or with ctx's error.
func awaitFile(ctx context.Context, path string) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
