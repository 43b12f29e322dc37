package check

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// aheadCase runs checks through RunAhead with the given declarations and
// how long each body takes, and returns when each started and ended.
func aheadCase(t *testing.T, limit int, ids []string, decl map[string]Scheduling, took map[string]time.Duration) (start, end map[string]time.Time) {
	return aheadCaseThen(t, limit, ids, decl, took, nil)
}

// aheadCaseThen is aheadCase, with a step that a check takes after its
// time, before it ends.
func aheadCaseThen(t *testing.T, limit int, ids []string, decl map[string]Scheduling, took map[string]time.Duration, then map[string]func(*C)) (start, end map[string]time.Time) {
	t.Helper()
	env := testEnv(t, BCP)
	var mu sync.Mutex
	start, end = map[string]time.Time{}, map[string]time.Time{}
	for _, id := range ids {
		withBody(t, id, func(c *C) {
			mu.Lock()
			start[id] = time.Now()
			mu.Unlock()
			time.Sleep(took[id])
			if then[id] != nil {
				then[id](c)
			}
			mu.Lock()
			end[id] = time.Now()
			mu.Unlock()
			c.Pass("ran")
		})
		withSchedule(t, id, decl[id])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a := RunAhead(ctx, env, ids, limit)
	t.Cleanup(func() {
		current.Lock()
		current.a = nil
		current.Unlock()
	})
	for _, id := range ids {
		select {
		case <-a.results[id]:
		case <-ctx.Done():
			t.Fatalf("%s did not run", id)
		}
	}
	return start, end
}

const (
	longCheck  = "DEVICE-SLOW-DOWN-INTERVAL"
	sharer     = "DEVICE-CODE-CLIENT-BINDING"
	free1      = "DEVICE-AUTHZ-RESPONSE"
	free2      = "DEVICE-AUTHORIZATION-PENDING"
	aloneCheck = "DEVICE-USER-CODE-RATE-LIMIT"
)

// A check waiting for a resource that a long check holds does not hold
// back the checks after it that need nothing of the kind: they start at
// once, and the flow takes the time of its longest chain, not the sum.
func TestAheadWaitingCheckHoldsBackOnlyItsResource(t *testing.T) {
	decl := map[string]Scheduling{longCheck: Long.merge(Uses("device2")), sharer: Uses("device2")}
	took := map[string]time.Duration{longCheck: 600 * time.Millisecond, sharer: 10 * time.Millisecond, free1: 10 * time.Millisecond}
	start, end := aheadCase(t, 4, []string{longCheck, sharer, free1}, decl, took)
	if !start[free1].Before(end[longCheck]) {
		t.Errorf("%s started %s after %s ended: held back by %s, which waits for device2", free1, start[free1].Sub(end[longCheck]), longCheck, sharer)
	}
	if start[sharer].Before(end[longCheck]) {
		t.Errorf("%s started while %s held device2", sharer, longCheck)
	}
}

// Nothing overtakes a check that waits for a resource to take that
// resource first, and nothing starts past an Alone check that waits for
// the flow to drain.
func TestAheadKeepsTurnsAndAlone(t *testing.T) {
	third := "DEVICE-CODE-SINGLE-USE"
	decl := map[string]Scheduling{longCheck: Uses("device2"), sharer: Uses("device2"), third: Uses("device2"), aloneCheck: Alone}
	took := map[string]time.Duration{longCheck: 300 * time.Millisecond, sharer: 200 * time.Millisecond, third: 10 * time.Millisecond, aloneCheck: 100 * time.Millisecond, free1: 10 * time.Millisecond}
	start, end := aheadCase(t, 4, []string{longCheck, sharer, third, aloneCheck, free1}, decl, took)
	if start[third].Before(end[sharer]) {
		t.Errorf("%s took device2 before %s, which waited for it first", third, sharer)
	}
	for _, id := range []string{longCheck, sharer, third, free1} {
		if start[id].Before(end[aloneCheck]) && end[id].After(start[aloneCheck]) {
			t.Errorf("%s ran while the Alone check %s ran", id, aloneCheck)
		}
	}
	if start[free1].Before(end[aloneCheck]) {
		t.Errorf("%s started before the Alone check %s ahead of it", free1, aloneCheck)
	}
}

// A Last check starts after every other check of the flow has ended.
func TestAheadLast(t *testing.T) {
	decl := map[string]Scheduling{aloneCheck: Last}
	took := map[string]time.Duration{free1: 200 * time.Millisecond, free2: 100 * time.Millisecond, aloneCheck: 10 * time.Millisecond}
	start, end := aheadCase(t, 4, []string{aloneCheck, free1, free2}, decl, took)
	for _, id := range []string{free1, free2} {
		if start[aloneCheck].Before(end[id]) {
			t.Errorf("the Last check started before %s ended", id)
		}
	}
}

// A Long check that asks to be alone in its flow (a logout after its
// waits) runs beside the others first, then waits until every check but
// the Last ones has ended; the Last ones start after it.
func TestAheadAwaitAloneInFlow(t *testing.T) {
	const last = "DEVICE-USER-CODE-ENTROPY"
	decl := map[string]Scheduling{longCheck: Long, last: Last}
	took := map[string]time.Duration{longCheck: 50 * time.Millisecond, free1: 300 * time.Millisecond, free2: 150 * time.Millisecond, last: 10 * time.Millisecond}
	var alone time.Time
	then := map[string]func(*C){longCheck: func(c *C) {
		c.AwaitAloneInFlow("test")
		alone = time.Now()
		time.Sleep(50 * time.Millisecond)
	}}
	start, end := aheadCaseThen(t, 4, []string{last, free1, free2, longCheck}, decl, took, then)
	if !start[free1].Before(start[longCheck].Add(50 * time.Millisecond)) {
		t.Errorf("%s started %s after the Long check: it did not run beside it", free1, start[free1].Sub(start[longCheck]))
	}
	for _, id := range []string{free1, free2} {
		if alone.Before(end[id]) {
			t.Errorf("the Long check went on alone %s before %s ended", end[id].Sub(alone), id)
		}
	}
	if start[last].Before(end[longCheck]) {
		t.Errorf("the Last check started %s before the Long check ended", end[longCheck].Sub(start[last]))
	}
}

// Two checks that ask to be alone in their flow at once go on one after
// the other, each by itself, and the Last one starts after both.
func TestAheadAwaitAloneInFlowTwo(t *testing.T) {
	const last = "DEVICE-USER-CODE-ENTROPY"
	decl := map[string]Scheduling{longCheck: Long, last: Last}
	took := map[string]time.Duration{longCheck: 10 * time.Millisecond, free1: 10 * time.Millisecond, free2: 200 * time.Millisecond, last: 10 * time.Millisecond}
	var mu sync.Mutex
	alone := map[string][2]time.Time{}
	aloneStep := func(c *C) {
		c.AwaitAloneInFlow("test")
		from := time.Now()
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		alone[c.Check.ID] = [2]time.Time{from, time.Now()}
		mu.Unlock()
	}
	then := map[string]func(*C){longCheck: aloneStep, free1: aloneStep}
	start, end := aheadCaseThen(t, 4, []string{last, free1, free2, longCheck}, decl, took, then)
	a, b := alone[longCheck], alone[free1]
	if a[0].Before(b[1]) && b[0].Before(a[1]) {
		t.Errorf("the two checks went on alone at the same time: %v and %v", a, b)
	}
	for _, id := range []string{longCheck, free1} {
		if alone[id][0].Before(end[free2]) {
			t.Errorf("%s went on alone before %s ended", id, free2)
		}
		if start[last].Before(end[id]) {
			t.Errorf("the Last check started before %s ended", id)
		}
	}
}

// A When declaration is picked by the run's target: a check declared to
// share a resource when the condition holds runs beside the others, and
// Last when it does not.
func TestAheadWhen(t *testing.T) {
	for _, apart := range []bool{true, false} {
		t.Run(fmt.Sprint(apart), func(t *testing.T) {
			decl := map[string]Scheduling{aloneCheck: When(func(*Env) bool { return apart }, Uses("r"), Last)}
			took := map[string]time.Duration{free1: 200 * time.Millisecond, aloneCheck: 10 * time.Millisecond}
			start, end := aheadCase(t, 4, []string{aloneCheck, free1}, decl, took)
			if beside := start[aloneCheck].Before(end[free1]); beside != apart {
				t.Errorf("condition %v: the check ran beside the other: %v", apart, beside)
			}
			if got := decl[aloneCheck].resolve(&Env{}); got.last == apart || (len(got.uses) == 1) != apart {
				t.Errorf("condition %v: resolved to %+v", apart, got)
			}
		})
	}
}

// Outside a flow's schedule, AwaitAloneInFlow returns at once.
func TestAwaitAloneInFlowOutsideSchedule(t *testing.T) {
	env := testEnv(t, BCP)
	res := run(t, env, func(c *C) {
		c.AwaitAloneInFlow("test")
		c.Pass("went on")
	})
	if res.Verdict != Pass {
		t.Errorf("verdict %s: %s", res.Verdict, res.Message())
	}
}
