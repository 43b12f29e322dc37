package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

// Wait sleeps d as the protocol forces (an expiry, a polling interval),
// or ends the check as ERROR when its context ends. The wait moves the
// check's deadline on by d: a wait the protocol forces never eats the time
// of the steps around it.
func (c *C) Wait(d time.Duration, why string) {
	if d <= 0 {
		return
	}
	c.Note("waited %s: %s", d.Round(time.Millisecond), why)
	c.extend(d)
	c.mu.Lock()
	c.waited += d
	c.mu.Unlock()
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
	Check *catalogue.Check
	Env   *Env
	// HTTP records every exchange of this check as evidence.
	HTTP *client.Client
	rec  *client.Recorder

	mu       sync.Mutex // guards findings, shots and sessions
	findings []Finding
	sessions []*browser.Session
	steps    []evidence.Step // of the sessions closed before the check ended
	session  *browser.Session
	shots    []Screenshot
	extend   func(time.Duration) // moves the deadline on
	pause    func() func()       // stops the deadline's clock until resumed
	waited   time.Duration       // the waits the protocol forced
	slot     func()              // gives the browser slot back
	// wentAhead: it took the browser before the login preflight's verdict.
	wentAhead bool
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

// Fail records that a MUST was broken; ref names the section. A rule that
// only a stricter profile than the run's holds (RFC 9700's under oauth2,
// by the sections ref cites: DemandedBy) is a WARN that says so.
func (c *C) Fail(ref, format string, args ...any) {
	c.violation(DemandedBy(ref), ref, format, args...)
}

// Warn records that a SHOULD was broken; ref names the section.
func (c *C) Warn(ref, format string, args ...any) { c.add(Warn, ref, format, args...) }

// Violation records a broken requirement that the given profile makes a
// MUST: FAIL when the run's profile is that strict, WARN otherwise.
func (c *C) Violation(strictFrom Profile, ref, format string, args ...any) {
	c.violation(strictFrom, ref, format, args...)
}

func (c *C) violation(strictFrom Profile, ref, format string, args ...any) {
	if c.Env.Profile >= strictFrom {
		c.add(Fail, ref, format, args...)
		return
	}
	c.Warn(ref, format+" (FAIL under the %s profile)", append(args, strictFrom)...)
}

// Fatalf records an ERROR and ends the check: the harness could not get
// to a verdict (the browser could not log in, a step or the network
// failed, the time ran out). It is never the server's failure; a server
// that broke a rule on the way ends the check with FailNow.
func (c *C) Fatalf(format string, args ...any) {
	c.add(Error, "", format, args...)
	panic(stop{})
}

// FailNow records that the server broke a rule (ref names the section) on
// a step the check depends on, and ends the check.
func (c *C) FailNow(ref, format string, args ...any) {
	c.violation(DemandedBy(ref), ref, format, args...)
	panic(stop{})
}

// Skipf records why the check cannot run against this target, and ends it.
func (c *C) Skipf(format string, args ...any) {
	c.add(Skip, "", format, args...)
	panic(stop{})
}

// Require ends the check with an ERROR when err is not nil: a step of the
// harness (a request that got no answer, a browser action) failed.
//
// A request the client refused to send because it would carry credentials
// off the issuer's site skips the check instead, with the reason.
func (c *C) Require(err error, step string) {
	switch {
	case err == nil:
	case errors.Is(err, client.ErrOffSite):
		c.Skipf("%s: %v", step, err)
	default:
		c.Fatalf("%s: %v", step, err)
	}
}

// Note labels the exchanges recorded from now on, such as "replay the code".
// It is redacted as findings are: a note may name a value the run saw.
func (c *C) Note(format string, args ...any) {
	c.rec.Note(c.HTTP.Redactor().String(fmt.Sprintf(format, args...)))
}

func (c *C) add(v Verdict, ref, format string, args ...any) {
	// A finding is one line: a target's text cannot break a report's or a
	// CI log's lines.
	msg := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	f := Finding{Verdict: v, Ref: ref, Message: c.HTTP.Redactor().String(msg)}
	c.rec.Note("") // later exchanges are not about this finding's step
	c.mu.Lock()
	c.findings = append(c.findings, f)
	c.mu.Unlock()
}

// Session returns this check's browser session: on first use, a session
// another check of the flow has finished with, logged in and at rest after
// an authorization (Env.Sessions), or else a new one. Later authorizations
// in it reuse its login. A check that must see the login page calls
// FreshSession first.
func (c *C) Session() *browser.Session {
	if c.session == nil {
		c.HoldBrowser()
		if s := c.Env.Sessions.Get(c); s != nil {
			c.adopt(s)
			c.session = s
		} else {
			c.session = c.NewSession()
		}
	}
	return c.session
}

// FreshSession makes the check's session (Session) a new one, with no
// login: for a check that judges the login page or the posting of its form.
func (c *C) FreshSession() *browser.Session {
	c.session = c.NewSession()
	return c.session
}

// NewSession returns a new incognito browser session, with no login,
// closed when the check ends. It skips the check when the run has no
// browser, and ends it as ERROR when the preflight found that the browser
// cannot log in to the target.
func (c *C) NewSession() *browser.Session {
	c.HoldBrowser()
	s, err := c.Env.Browser.NewSession(c)
	c.Require(err, "open a browser session")
	c.adopt(s)
	return s
}

// adopt makes s one of the check's sessions: it records with the check's
// redactor, and its steps become the check's evidence when it ends.
func (c *C) adopt(s *browser.Session) {
	s.SetRedact(c.HTTP.Redactor().URL)
	// An authorization that needs no page goes over plain HTTP, with the
	// target's TLS trust (its steps are the session's).
	s.SetDirect(c.Env.Target.HTTP.HTTP())
	c.mu.Lock()
	c.sessions = append(c.sessions, s)
	c.mu.Unlock()
}

// HoldBrowser takes the check's share of the browser (its slot, which it
// keeps until it ends), waiting for it as long as other checks hold every
// one, without opening a session. That wait does not count against the
// check's deadline. A check calls it before it starts a clock
// that the person in the browser has to beat (a device authorization whose
// codes expire), so that the wait for the browser does not eat the codes'
// lifetime. Like NewSession, it skips the check when the run has no browser
// and ends it as ERROR when the preflight found that the browser cannot log
// in.
func (c *C) HoldBrowser() {
	if c.Env.Browser == nil && c.Env.BrowserBroken == "" {
		c.Skipf("this check needs a browser, and the run has none")
	}
	long := scheduleOf(c.Check.ID, c.Env).long
	if long {
		// Its wait comes after its browser steps, so it does not wait for
		// the preflight's verdict on the login: Run grades it once the
		// preflight has passed (wentAhead).
		c.mu.Lock()
		c.wentAhead = c.Env.Preflight != nil
		c.mu.Unlock()
		if why := c.preflightSoFar(); why != "" {
			c.Fatalf("not run in the browser: %s", why)
		}
	} else {
		c.requireBrowserWorks()
	}
	c.mu.Lock()
	held := c.slot != nil
	c.mu.Unlock()
	if c.Env.BrowserSlots == nil || held {
		return
	}
	// The wait for a slot is the run's queue, not the check's time.
	acquire := c.Env.BrowserSlots.Acquire
	if long {
		// It goes first, so that its wait overlaps the others' browser
		// work.
		acquire = c.Env.BrowserSlots.AcquireFirst
	}
	resume := c.pause()
	release, err := acquire(c)
	resume()
	c.Require(err, "wait for the browser")
	c.mu.Lock()
	c.slot = release
	c.mu.Unlock()
}

// preflightSoFar is BrowserBroken without the wait: the preflight's
// diagnosis when its verdict is in, else "".
func (c *C) preflightSoFar() string {
	if c.Env.BrowserBroken != "" || c.Env.Preflight == nil {
		return c.Env.BrowserBroken
	}
	now, cancel := context.WithCancel(c)
	cancel()
	why, _ := c.Env.Preflight(now)
	return why
}

// requireBrowserWorks ends the check as ERROR when the preflight found that
// the browser cannot log in to the target.
func (c *C) requireBrowserWorks() {
	if why := c.BrowserBroken(); why != "" {
		c.Fatalf("not run in the browser: %s", why)
	}
}

// BrowserBroken is why the browser cannot be used against the target, or
// "" when it can: Env.BrowserBroken, or the diagnosis of the run's login
// preflight, for which it waits (Env.Preflight). The wait is the run's,
// not the check's time.
func (c *C) BrowserBroken() string {
	if c.Env.BrowserBroken != "" || c.Env.Preflight == nil || c.Env.Browser == nil {
		return c.Env.BrowserBroken
	}
	resume := c.pause()
	why, err := c.Env.Preflight(c)
	resume()
	c.Require(err, "wait for the login preflight")
	return why
}

// AwaitOtherFlows waits until no other flow of the run that it may disturb
// is running (the run sets apart the flows whose clients differ), for a
// step whose side effects reach beyond the check: a logout that a server
// may take as the end of every token of the person and client, in every
// flow. Declare the check Last, or call AwaitAloneInFlow first, so that
// its own flow is done. The wait is the run's queue, not the check's time.
func (c *C) AwaitOtherFlows(why string) {
	if c.Env.OthersDone == nil {
		return
	}
	c.Note("wait for the run's other flows to end: %s", why)
	resume := c.pause()
	err := c.Env.OthersDone(c)
	resume()
	c.Require(err, "wait for the run's other flows to end")
}

// AwaitAloneInFlow waits until the check is the only one of its flow that
// runs and every check still to start is Last (and so starts after it):
// from then on it runs by itself in its flow. It is for a Long check whose
// first steps may run beside the others but whose last one disturbs them
// (a logout). It returns at once when the check does not run in a flow's
// schedule. The wait is the flow's queue, not the check's time.
func (c *C) AwaitAloneInFlow(why string) {
	c.Note("wait until the flow's other checks have ended: %s", why)
	resume := c.pause()
	err := awaitRest(c, c.Check.ID)
	resume()
	c.Require(err, "wait for the flow's other checks to end")
}

// ReleaseBrowser gives back the check's browser sessions (to the flow's
// pool, or closed), keeping what they recorded, and its share of the
// browser: for a check that waits long between two uses of the browser. A
// later Session takes another session. A check that may still make the
// server revoke the grant of a session's client (a replayed code, device
// code or refresh token of it) keeps the session to its end: a server may
// keep one grant per session and client (node-oidc-provider does), and
// the check that takes the session next would share it.
func (c *C) ReleaseBrowser() {
	c.mu.Lock()
	sessions, release := c.sessions, c.slot
	c.sessions, c.slot, c.session = nil, nil, nil
	for _, s := range sessions {
		c.steps = append(c.steps, s.Steps()...)
	}
	c.mu.Unlock()
	for _, s := range sessions {
		c.Env.Sessions.Put(s)
	}
	if release != nil {
		release()
	}
}

// Screenshot attaches a picture of the session's page to the evidence.
func (c *C) Screenshot(s *browser.Session, note string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if png, err := s.Screenshot(ctx); err == nil {
		c.mu.Lock()
		c.shots = append(c.shots, Screenshot{Note: note, PNG: png})
		c.mu.Unlock()
	}
}
