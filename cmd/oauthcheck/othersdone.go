package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
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
	told map[string]bool
	// apart reports whether flow other cannot be disturbed by the steps
	// for which flow waits; nil: no flow is apart from another.
	apart func(flow, other string) bool
}

// newOthersDone starts the account of flows. With one flow at a time
// (parallel below 2), no flow runs beside another: every file is there at
// once, and no flow waits for flows that cannot start before it ends. A
// flow does not wait for the flows that apart sets apart from it.
func newOthersDone(dir string, flows []string, parallel int, apart func(flow, other string) bool) *othersDone {
	o := &othersDone{dir: dir, left: map[string]bool{}, told: map[string]bool{}, apart: apart}
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

// release creates the file of each flow that every flow still running is
// apart from.
func (o *othersDone) release() {
	for f := range o.left {
		alone := true
		for g := range o.left {
			alone = alone && (g == f || (o.apart != nil && o.apart(f, g)))
		}
		if alone {
			o.create(f)
		}
	}
}

func (o *othersDone) create(flow string) {
	if o.told[flow] {
		return
	}
	o.told[flow] = true
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

// flowsApart sets the device flow apart from the refresh flow when their
// clients differ: the refresh checks that wait for the other flows (a
// replayed refresh token, a logout) may end the tokens of the person and
// their client (better-auth, the zitadel example OP), and every device
// check uses the device clients alone. Every other pair of flows may share
// a client.
func flowsApart(cfg *target.Config) func(flow, other string) bool {
	ids := func(roles ...string) map[string]bool {
		m := map[string]bool{}
		for _, r := range roles {
			if cl := cfg.Clients[r]; cl != nil && cl.ID != "" {
				m[cl.ID] = true
			}
		}
		return m
	}
	refresh := ids(target.RolePublic, target.RoleConfidential)
	device := ids(target.RoleDevice, target.RoleDevice2)
	return func(flow, other string) bool {
		if flow != "refresh" || other != "device" {
			return false
		}
		for id := range device {
			if refresh[id] {
				return false
			}
		}
		return true
	}
}
