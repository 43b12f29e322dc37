package check

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
)

// Env is what checks run against: the target, the browser and the
// profile. One Env serves every check of a suite process.
type Env struct {
	Target *target.Target
	// Browser is nil when the run has none; checks that need it skip.
	Browser *browser.Browser
	// Actor logs in and decides in the browser.
	Actor   browser.Actor
	Profile Profile
	// Samples collects the codes and tokens the run obtains, for
	// TOKEN-ENTROPY. It may be nil.
	Samples *Samples
	// Slow lets checks wait as long as the protocol needs (code expiry
	// with an unknown lifetime, device expires_in); without it, a check
	// whose wait would exceed MaxQuickWait is skipped with the reason.
	Slow bool
}

// Samples are values the server issued, by kind (code, access_token,
// refresh_token, device_code); safe for concurrent use.
type Samples struct {
	mu sync.Mutex
	m  map[string][]string
}

// Add records a value of a kind; the first 200 of each kind are kept.
func (s *Samples) Add(kind, v string) {
	if s == nil || v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]string{}
	}
	if len(s.m[kind]) < 200 {
		s.m[kind] = append(s.m[kind], v)
	}
}

// Get returns the values of a kind, distinct and in order.
func (s *Samples) Get(kind string) []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, v := range s.m[kind] {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// MaxQuickWait is the longest a check waits in a run without --slow.
const MaxQuickWait = 30 * time.Second

// Wait sleeps d as the protocol forces (an expiry, a polling interval),
// or ends the check when its context ends.
func (c *C) Wait(d time.Duration, why string) {
	c.Note("waited %s: %s", d.Round(time.Millisecond), why)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.Done():
		c.Fatalf("the check's time ran out while waiting %s for %s", d, why)
	}
}

// C is what a check's body gets: a context with the spec's deadline, the
// environment, a recording HTTP client, and the methods that record
// findings. Its methods are safe for concurrent use by one check's
// goroutines, but Fatalf, Skipf and Require end the check only when called
// from the body's own goroutine.
type C struct {
	context.Context
	Check *Check
	Env   *Env
	// HTTP records every exchange of this check as evidence.
	HTTP *client.Client
	rec  *client.Recorder

	findings []Finding
	sessions []*browser.Session
	session  *browser.Session
	shots    []Screenshot
}

// Screenshot is a PNG of the page when a browser step failed.
type Screenshot struct {
	Note string `json:"note"`
	PNG  []byte `json:"png"`
}

// stop ends a check early, like testing's FailNow.
type stop struct{}

// Pass records that the requirement held, with what was observed.
func (c *C) Pass(format string, args ...any) { c.add(Pass, "", format, args...) }

// Info records an observation.
func (c *C) Info(format string, args ...any) { c.add(Info, "", format, args...) }

// Fail records that a MUST was broken; ref names the section.
func (c *C) Fail(ref, format string, args ...any) { c.add(Fail, ref, format, args...) }

// Warn records that a SHOULD was broken; ref names the section.
func (c *C) Warn(ref, format string, args ...any) { c.add(Warn, ref, format, args...) }

// Violation records a broken requirement that the given profile makes a
// MUST: FAIL when the run's profile is that strict, WARN otherwise.
func (c *C) Violation(strictFrom Profile, ref, format string, args ...any) {
	if c.Env.Profile >= strictFrom {
		c.Fail(ref, format, args...)
		return
	}
	c.Warn(ref, format+" (FAIL under the %s profile)", append(args, strictFrom)...)
}

// Fatalf records a FAIL and ends the check: a step the check depends on
// did not work, so the target misbehaved.
func (c *C) Fatalf(format string, args ...any) {
	c.add(Fail, "", format, args...)
	panic(stop{})
}

// Skipf records why the check cannot run against this target, and ends it.
func (c *C) Skipf(format string, args ...any) {
	c.add(Skip, "", format, args...)
	panic(stop{})
}

// Require ends the check with a FAIL when err is not nil.
func (c *C) Require(err error, step string) {
	if err != nil {
		c.Fatalf("%s: %v", step, err)
	}
}

// Note labels the exchanges recorded from now on, such as "replay the code".
func (c *C) Note(format string, args ...any) { c.rec.Note(fmt.Sprintf(format, args...)) }

func (c *C) add(v Verdict, ref, format string, args ...any) {
	f := Finding{Verdict: v, Ref: ref, Message: c.HTTP.Redactor().String(fmt.Sprintf(format, args...))}
	c.rec.Note("") // later exchanges are not about this finding's step
	c.findings = append(c.findings, f)
}

// Session returns this check's browser session, opened on first use: later
// authorizations in it reuse the login of the first.
func (c *C) Session() *browser.Session {
	if c.session == nil {
		c.session = c.NewSession()
	}
	return c.session
}

// NewSession returns a new incognito browser session, with no login,
// closed when the check ends; it skips the check when the run has no
// browser.
func (c *C) NewSession() *browser.Session {
	if c.Env.Browser == nil {
		c.Skipf("this check needs a browser, and the run has none")
	}
	s, err := c.Env.Browser.NewSession(c)
	c.Require(err, "open a browser session")
	s.Redact = c.HTTP.Redactor().URL
	c.sessions = append(c.sessions, s)
	return s
}

// Screenshot attaches a picture of the session's page to the evidence.
func (c *C) Screenshot(s *browser.Session, note string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if png, err := s.Screenshot(ctx); err == nil {
		c.shots = append(c.shots, Screenshot{Note: note, PNG: png})
	}
}

// Result is the outcome of one check against one target.
type Result struct {
	ID        string             `json:"id"`
	Verdict   Verdict            `json:"verdict"`
	Findings  Findings           `json:"findings"`
	Exchanges []*client.Exchange `json:"exchanges,omitempty"`
	Steps     []browser.Step     `json:"browser_steps,omitempty"`
	Shots     []Screenshot       `json:"screenshots,omitempty"`
	Duration  time.Duration      `json:"duration_ns"`
}

// Message is the one-paragraph summary of a result for a failure message:
// the requirement, what was observed and the sections.
func (r *Result) Message() string {
	chk, _ := Lookup(r.ID)
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
func Run(ctx context.Context, id string, env *Env) *Result {
	start := time.Now()
	res := &Result{ID: id}
	chk, ok := Lookup(id)
	body := bodies[id]
	if !ok || body == nil {
		res.Verdict = Fail
		res.Findings = Findings{{Verdict: Fail, Message: "no check is registered with ID " + id}}
		return res
	}
	rec := &client.Recorder{}
	c := &C{Context: ctx, Check: chk, Env: env, HTTP: env.Target.HTTP.WithRecorder(rec), rec: rec}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					c.findings = append(c.findings, Finding{Verdict: Fail,
						Message: fmt.Sprintf("check panicked (a harness bug): %v\n%s", r, debug.Stack())})
				}
			}
		}()
		body(c)
	}()
	if len(c.findings) == 0 {
		c.findings = append(c.findings, Finding{Verdict: Fail, Message: "the check recorded no verdict (a harness bug)"})
	}
	res.Verdict = verdictOf(c.findings)
	res.Findings = c.findings
	res.Exchanges = rec.Exchanges()
	for _, s := range c.sessions {
		res.Steps = append(res.Steps, s.Steps()...)
		s.Close()
	}
	res.Shots = c.shots
	res.Duration = time.Since(start)
	return res
}
