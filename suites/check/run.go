package check

import (
	"context"
	"runtime/debug"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

// Result is the outcome of one check against one target.
type Result struct {
	ID        string               `json:"id"`
	Verdict   Verdict              `json:"verdict"`
	Findings  Findings             `json:"findings"`
	Exchanges []*evidence.Exchange `json:"exchanges,omitempty"`
	Steps     []evidence.Step      `json:"browser_steps,omitempty"`
	Shots     []Screenshot         `json:"screenshots,omitempty"`
	Duration  time.Duration        `json:"duration_ns"`
	// Waited is the part of Duration spent in waits the protocol forced.
	Waited time.Duration `json:"waited_ns,omitempty"`
	// Serial: the check ran by itself in its flow (Alone or Last).
	Serial bool `json:"serial,omitempty"`
}

// Message is the one-paragraph summary of a result for a failure message:
// the requirement, what was observed and the sections.
func (r *Result) Message() string {
	chk, _ := catalogue.Lookup(r.ID)
	msg := r.ID
	if chk != nil {
		msg += ": " + chk.Requirement
	}
	for _, f := range r.Findings {
		if f.Verdict == r.Verdict {
			msg += "\n" + f.String()
		}
	}
	return msg
}

// Run runs the check with the given ID against env, outside ginkgo: the
// suites' negative controls call it against weakened reference servers, so
// they exercise the very code that users run.
//
// A check has a deadline: env.CheckTimeout (a minute by default) besides
// the waits the protocol forces on it (C.Wait moves the deadline on). At
// the deadline its context ends; a check that does not end by itself soon
// after is left behind as ERROR, with the evidence of the steps it
// finished. A panic is a harness bug: ERROR.
func Run(ctx context.Context, id string, env *Env) *Result {
	start := time.Now()
	res := &Result{ID: id}
	chk, ok := catalogue.Lookup(id)
	body := bodies[id]
	if !ok || body == nil {
		res.Verdict = Error
		res.Findings = Findings{{Verdict: Error, Message: "no check is registered with ID " + id + " (a harness bug)"}}
		return res
	}
	limit := env.CheckTimeout
	if limit <= 0 {
		limit = DefaultCheckTimeout
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dl := startDeadline(limit, cancel)
	defer dl.stop()
	decl := scheduleOf(id, env)
	rec := &client.Recorder{}
	c := &C{Context: ctx, Check: chk, Env: env, HTTP: env.Target.HTTP.WithRecorder(rec), rec: rec, extend: dl.extend, pause: dl.pause}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					c.add(Error, "", "check panicked (a harness bug): %v\n%s", r, debug.Stack())
				}
			}
		}()
		end, ok := c.takeTurns(decl.runUses)
		if !ok {
			return
		}
		defer end()
		body(c)
	}()
	if env.Preflight != nil {
		// A check that went ahead of the preflight stops when the
		// preflight finds that the browser cannot log in: it would only
		// spend its time on a login that cannot pass.
		go func() {
			if why, err := env.Preflight(ctx); err == nil && why != "" {
				c.mu.Lock()
				ahead := c.wentAhead
				c.mu.Unlock()
				if ahead {
					cancel()
				}
			}
		}()
	}
	select {
	case <-done:
	case <-ctx.Done():
		ended := false
		select {
		case <-done:
			ended = true
		case <-time.After(leftBehind):
		}
		switch {
		case dl.passed():
			c.add(Error, "", "the check did not finish: its deadline passed (%s besides the waits the protocol forces); the steps it finished are its evidence", limit)
		case !ended:
			c.add(Error, "", "the check did not finish: the run was stopped; the steps it finished are its evidence")
		}
	}
	c.mu.Lock()
	findings := append([]Finding(nil), c.findings...)
	shots := append([]Screenshot(nil), c.shots...)
	sessions := append([]*browser.Session(nil), c.sessions...)
	res.Steps = append(res.Steps, c.steps...)
	wentAhead := c.wentAhead
	c.mu.Unlock()
	if len(findings) == 0 {
		findings = append(findings, Finding{Verdict: Error, Message: "the check recorded no verdict (a harness bug)"})
	}
	if wentAhead {
		// It used the browser before the login preflight's verdict (a Long
		// check, whose waits start first): its verdict stands only when the
		// preflight found that the browser can log in.
		if why, err := env.Preflight(parent); err == nil && why != "" {
			findings = Findings{{Verdict: Error, Message: "not run in the browser: " + why}}
		}
	}
	res.Verdict = verdictOf(findings)
	res.Findings = findings
	res.Exchanges = rec.Exchanges()
	// A body left behind may still drive its sessions: they are closed,
	// not given to another check.
	var pool *browser.Pool
	select {
	case <-done:
		pool = env.Sessions
	default:
	}
	for _, s := range sessions {
		res.Steps = append(res.Steps, s.Steps()...)
		pool.Put(s)
	}
	c.mu.Lock()
	if c.slot != nil {
		c.slot()
		c.slot = nil
	}
	c.mu.Unlock()
	res.Shots = shots
	res.Duration = time.Since(start)
	res.Serial = decl.alone || decl.last
	c.mu.Lock()
	res.Waited = c.waited
	c.mu.Unlock()
	return res
}

// leftBehind is how long a check whose context ended may take to end by
// itself before Run reports it without waiting longer.
const leftBehind = 5 * time.Second

// deadline cancels a check's context when its time is up; extend moves it
// on by the waits the protocol forces.
type deadline struct {
	mu     sync.Mutex
	at     time.Time
	fired  bool
	paused int // waits that do not count (pause)
	timer  *time.Timer
	cancel context.CancelFunc
}

func startDeadline(d time.Duration, cancel context.CancelFunc) *deadline {
	dl := &deadline{at: time.Now().Add(d), cancel: cancel}
	dl.timer = time.AfterFunc(d, dl.fire)
	return dl
}

func (dl *deadline) fire() {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	switch left := time.Until(dl.at); {
	case dl.paused > 0:
		dl.timer.Reset(max(left, pausedRecheck))
		return
	case left > 0:
		dl.timer.Reset(left)
		return
	}
	dl.fired = true
	dl.cancel()
}

func (dl *deadline) extend(d time.Duration) {
	dl.mu.Lock()
	dl.at = dl.at.Add(d)
	dl.mu.Unlock()
}

// pausedRecheck is how often a paused deadline that is due looks again.
const pausedRecheck = 100 * time.Millisecond

// pause stops the clock until the returned function is called: the time
// between does not count against the deadline.
func (dl *deadline) pause() (resume func()) {
	dl.mu.Lock()
	dl.paused++
	dl.mu.Unlock()
	start := time.Now()
	var once sync.Once
	return func() {
		once.Do(func() {
			dl.mu.Lock()
			dl.paused--
			dl.at = dl.at.Add(time.Since(start))
			dl.mu.Unlock()
		})
	}
}

func (dl *deadline) passed() bool {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	return dl.fired
}

func (dl *deadline) stop() { dl.timer.Stop() }
