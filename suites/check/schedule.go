package check

import (
	"context"
	"sort"
	"sync"
)

// Scheduling declares how a check may share its flow's time with the
// others: the checks of a flow run at the same time unless their
// declarations keep them apart.
type Scheduling struct {
	// Alone: no other check of the flow runs meanwhile (it locks a user
	// or a client out, or it times the server's throttling).
	alone bool
	// Last: it starts after every other check of the flow has ended (it
	// reads what they gathered, or it would disturb them).
	last bool
	// Uses names resources it holds for its whole run: two checks that
	// name the same one never run at the same time (a client whose
	// polling the server throttles as one).
	uses []string
	// Long: it waits long (an expiry); it starts first.
	long bool
	// runUses are the uses that checks of other flows take turns at too.
	runUses []string
	// when, if set, picks one of two declarations by the run's target
	// (When).
	when *choice
}

// choice is a declaration that depends on the target.
type choice struct {
	cond      func(*Env) bool
	then, els Scheduling
}

// When declares then for a check when cond holds for the run's Env, and
// otherwise otherwise: for a check whose clients, which the config
// names, decide whether it disturbs the others.
func When(cond func(*Env) bool, then, otherwise Scheduling) Scheduling {
	return Scheduling{when: &choice{cond: cond, then: then, els: otherwise}}
}

// resolve is s against env: its When picked.
func (s Scheduling) resolve(env *Env) Scheduling {
	if s.when == nil {
		return s
	}
	pick := s.when.els
	if env != nil && s.when.cond(env) {
		pick = s.when.then
	}
	s.when = nil
	return s.merge(pick.resolve(env))
}

// scheduleOf is the declaration of check id against env.
func scheduleOf(id string, env *Env) Scheduling { return schedules[id].resolve(env) }

// Alone keeps every other check of the flow from running while the check
// runs.
var Alone = Scheduling{alone: true}

// Last starts the check after every other check of its flow.
var Last = Scheduling{last: true}

// Long starts the check before the others: it waits out a lifetime.
var Long = Scheduling{long: true}

// And is s and o together.
func (s Scheduling) And(o Scheduling) Scheduling { return s.merge(o) }

// Uses makes the check hold resources for its run: checks that name the
// same resource never run at the same time.
func Uses(resources ...string) Scheduling { return Scheduling{uses: resources} }

// UsesInRun is Uses across the run: the checks of every flow that name
// the same resource take turns at it (Env.Turns), for a resource that a
// check of one flow may spoil for a check of another (the refresh tokens
// of a client, which a server may revoke all at once when one presents a
// revoked one).
func UsesInRun(resources ...string) Scheduling {
	return Scheduling{uses: resources, runUses: resources}
}

var schedules = map[string]Scheduling{}

func (s Scheduling) merge(o Scheduling) Scheduling {
	s.alone = s.alone || o.alone
	s.last = s.last || o.last
	s.long = s.long || o.long
	s.uses = append(s.uses, o.uses...)
	s.runUses = append(s.runUses, o.runUses...)
	if o.when != nil {
		s.when = o.when
	}
	return s
}

// Ahead runs checks of one flow ahead of their specs, side by side (at
// most limit at once, within their Scheduling), so that the protocol's
// waits of one check overlap the others'. A check's spec then takes its
// result (Take) instead of running it. It is what makes a flow take the
// time of its longest chain of waits, not the sum of them.
type Ahead struct {
	mu      sync.Mutex
	results map[string]chan *Result

	// The schedule's state, guarded by sched and announced on changed.
	sched   sync.Mutex
	changed *sync.Cond
	pending []string // not started yet, in order
	running int
	// decl are the checks' declarations against the run's target.
	decl map[string]Scheduling
	// waiting counts the checks waiting in awaitRest; resting is the one
	// that has gone on alone from there, until it ends.
	waiting int
	resting string
}

// current is the Ahead of this process, if any.
var current struct {
	sync.Mutex
	a *Ahead
}

// RunAhead starts the checks ids against env, at most limit at once, and
// makes their specs take the results. It returns at once.
func RunAhead(ctx context.Context, env *Env, ids []string, limit int) *Ahead {
	a := &Ahead{results: map[string]chan *Result{}, decl: map[string]Scheduling{}}
	a.changed = sync.NewCond(&a.sched)
	for _, id := range ids {
		a.results[id] = make(chan *Result, 1)
		a.decl[id] = scheduleOf(id, env)
	}
	current.Lock()
	current.a = a
	current.Unlock()
	go a.run(ctx, env, ids, max(1, limit))
	return a
}

// take returns the result of id when it was run ahead: false when not.
func take(ctx context.Context, id string) (*Result, bool) {
	current.Lock()
	a := current.a
	current.Unlock()
	if a == nil {
		return nil, false
	}
	a.mu.Lock()
	ch, ok := a.results[id]
	a.mu.Unlock()
	if !ok {
		return nil, false
	}
	select {
	case r := <-ch:
		return r, true
	case <-ctx.Done():
		return nil, false
	}
}

// run starts the checks in order (long ones first, last ones last),
// keeping to their declarations: an Alone check waits until nothing runs
// and then runs by itself; checks sharing a resource take turns; a Last
// check starts once every check before it has ended. A check that has to
// wait for a resource holds back only the later checks that use it too:
// the others start meanwhile, so that one check's long hold on a resource
// does not stall the whole flow behind it.
func (a *Ahead) run(ctx context.Context, env *Env, ids []string, limit int) {
	order := append([]string(nil), ids...)
	rank := func(id string) int {
		s := a.decl[id]
		switch {
		case s.long:
			return 0
		case s.last:
			return 2
		}
		return 1
	}
	sort.SliceStable(order, func(i, j int) bool { return rank(order[i]) < rank(order[j]) })
	var (
		alone bool
		held  = map[string]bool{}
		wg    sync.WaitGroup
	)
	a.sched.Lock()
	a.pending = order
	for len(a.pending) > 0 {
		i := nextStartable(a.pending, a.decl, a.running, limit, alone, held)
		for i < 0 {
			a.changed.Wait()
			i = nextStartable(a.pending, a.decl, a.running, limit, alone, held)
		}
		id := a.pending[i]
		a.pending = append(a.pending[:i:i], a.pending[i+1:]...)
		s := a.decl[id]
		a.running++
		alone = s.alone
		for _, r := range s.uses {
			held[r] = true
		}
		a.changed.Broadcast()
		wg.Add(1)
		go func(id string, s Scheduling) {
			defer wg.Done()
			res := Run(ctx, id, env)
			a.results[id] <- res
			a.sched.Lock()
			a.running--
			if a.resting == id {
				a.resting = ""
			}
			if s.alone {
				alone = false
			}
			for _, r := range s.uses {
				delete(held, r)
			}
			a.changed.Broadcast()
			a.sched.Unlock()
		}(id, s)
	}
	a.sched.Unlock()
	wg.Wait()
}

// awaitRest waits until the calling check id, which runs ahead, is the
// only check of its flow that runs and every check still to start is Last
// (and so waits for it to end). Checks that wait here at once go on one
// after another: each waits for the one before to end. It returns ctx's
// error when ctx ends first.
func (a *Ahead) awaitRest(ctx context.Context, id string) error {
	stop := context.AfterFunc(ctx, func() {
		a.sched.Lock()
		a.changed.Broadcast()
		a.sched.Unlock()
	})
	defer stop()
	a.sched.Lock()
	defer a.sched.Unlock()
	a.waiting++
	defer func() { a.waiting-- }()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Every check that runs waits here, and none has gone on alone.
		rest := a.running == a.waiting && a.resting == ""
		for _, p := range a.pending {
			rest = rest && a.decl[p].last
		}
		if rest {
			a.resting = id
			return nil
		}
		a.changed.Wait()
	}
}

// awaitRest waits as Ahead.awaitRest for the Ahead that runs id, and
// returns at once when id is not run ahead.
func awaitRest(ctx context.Context, id string) error {
	current.Lock()
	a := current.a
	current.Unlock()
	if a == nil {
		return nil
	}
	a.mu.Lock()
	_, ok := a.results[id]
	a.mu.Unlock()
	if !ok {
		return nil
	}
	return a.awaitRest(ctx, id)
}

// nextStartable picks, of the checks not started yet (in their order), the
// first that may start now, -1 when none may. A check that cannot start
// keeps its place: nothing after an Alone or a Last check starts before
// it, and nothing after a check waiting for a resource takes that
// resource first.
func nextStartable(pending []string, decl map[string]Scheduling, running, limit int, alone bool, held map[string]bool) int {
	if alone || running >= limit {
		return -1
	}
	wanted := map[string]bool{} // resources that an earlier waiting check waits for
	for i, id := range pending {
		s := decl[id]
		busy := false
		for _, r := range s.uses {
			busy = busy || held[r] || wanted[r]
		}
		switch {
		case s.last && (i > 0 || running > 0):
			// Every check before it must have ended.
			return -1
		case s.alone && running > 0:
			return -1
		case !busy:
			return i
		}
		for _, r := range s.uses {
			wanted[r] = true
		}
	}
	return -1
}
