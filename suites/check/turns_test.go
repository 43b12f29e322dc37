package check

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Two checks that use a resource across the run (UsesInRun), each in an
// environment of its own, as two flows' processes are, take turns at it;
// a check that uses another resource runs meanwhile.
func TestTurnsAcrossFlows(t *testing.T) {
	dir := t.TempDir()
	type span struct{ start, end time.Time }
	var mu sync.Mutex
	spans := map[string]span{}
	ids := map[string]Scheduling{
		"REVOKE-REFRESH-TOKEN":          UsesInRun("refresh-tokens"),
		"AUTHCODE-REUSE-REVOKES-TOKENS": UsesInRun("refresh-tokens"),
		"DEVICE-CODE-SINGLE-USE":        UsesInRun("device-codes"),
	}
	for id, sc := range ids {
		withBody(t, id, func(c *C) {
			start := time.Now()
			time.Sleep(200 * time.Millisecond)
			mu.Lock()
			spans[id] = span{start, time.Now()}
			mu.Unlock()
			c.Pass("ran")
		})
		withSchedule(t, id, sc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for id := range ids {
		env := testEnv(t, BCP)
		env.Turns = NewTurns(dir)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := Run(ctx, id, env); res.Verdict != Pass {
				t.Errorf("%s: %s, want PASS: %s", id, res.Verdict, res.Message())
			}
		}()
	}
	wg.Wait()
	a, b := spans["REVOKE-REFRESH-TOKEN"], spans["AUTHCODE-REUSE-REVOKES-TOKENS"]
	if a.start.Before(b.end) && b.start.Before(a.end) {
		t.Errorf("the two checks that use refresh-tokens ran at the same time: %v and %v", a, b)
	}
	d := spans["DEVICE-CODE-SINGLE-USE"]
	first := a
	if b.start.Before(a.start) {
		first = b
	}
	if !(d.start.Before(first.end) && first.start.Before(d.end)) {
		t.Errorf("the check that uses device-codes waited for the others' turns: %v, first %v", d, first)
	}
}

// A check whose turn does not come before the run stops ends as ERROR and
// does not run.
func TestTurnsRunStopped(t *testing.T) {
	dir := t.TempDir()
	held, err := NewTurns(dir).take(context.Background(), "refresh-tokens")
	if err != nil {
		t.Fatal(err)
	}
	defer held()
	const id = "REVOKE-REFRESH-TOKEN"
	ran := false
	withBody(t, id, func(c *C) { ran = true; c.Pass("ran") })
	withSchedule(t, id, UsesInRun("refresh-tokens"))
	env := testEnv(t, BCP)
	env.Turns = NewTurns(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res := Run(ctx, id, env)
	if res.Verdict != Error || ran {
		t.Fatalf("got %s (ran: %v), want ERROR without running: %s", res.Verdict, ran, res.Message())
	}
}
