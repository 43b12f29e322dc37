package device

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// fastPolling is how DEVICE-SLOW-DOWN-EMITTED and the provoking step of
// DEVICE-SLOW-DOWN-INTERVAL poll: every quarter of the interval, clearly
// too fast, for four intervals (at least 16 polls), but no less than 4 s
// and no more than the catalogue's 15 s.
func fastPolling(interval time.Duration) (period, budget time.Duration) {
	return interval / 4, min(max(4*interval, 4*time.Second), 15*time.Second)
}

// provoke polls p every quarter of its interval until the first
// slow_down, another answer than authorization_pending, or the end of the
// budget; it returns the last answer.
func provoke(ctx context.Context, c *check.C, p *steps.Poller, budget time.Duration) (*steps.TokenResponse, error) {
	period, _ := fastPolling(p.Device.Interval)
	start := time.Now()
	for {
		t, err := p.PollAfter(ctx, c, period)
		if err != nil || t.OAuthError() != "authorization_pending" || t.Issued() || time.Since(start) >= budget {
			return t, err
		}
	}
}

// RFC 8628 §3.5: "slow_down: A variant of "authorization_pending", the
// authorization request is still pending and polling should continue, but
// the interval MUST be increased by 5 seconds for this and all subsequent
// requests." The server side has no MUST: a server that throttles says so
// with slow_down, rather than with an error that ends the flow.
var _ = check.It("DEVICE-SLOW-DOWN-EMITTED", func(c *check.C) {
	d := steps.StartDevice(c, target.RoleDevice)
	period, budget := fastPolling(d.Interval)
	p := steps.NewPoller(c, d)
	c.Note("poll every %s, a quarter of the %s interval", period, d.Interval)
	start := time.Now()
	t, err := provoke(c, c, p, budget)
	c.Require(err, "poll the token endpoint")
	took := time.Since(start).Round(10 * time.Millisecond)
	switch e := t.OAuthError(); {
	case t.Issued():
		c.Fail("RFC 8628 §3.5", "a poll for a device_code that nobody approved got tokens: %s", steps.Describe(t.Response))
	case e == "slow_down":
		c.Pass("poll %d, %s after the one before (a quarter of the %s interval), got slow_down", p.Polls, period, d.Interval)
	case e == "authorization_pending":
		c.Warn("RFC 8628 §3.5", "%d polls in %s, each a quarter of the %s interval after the one before, all got authorization_pending: the server does not throttle polling, and RFC 8628 gives it slow_down for that",
			p.Polls, took, d.Interval)
	case t.Status >= http.StatusInternalServerError:
		// A 429 is how the server throttled; a gateway's 5xx tells nothing.
		c.Fatalf("polling every %s, poll %d got %s, which tells nothing of how the server throttles", period, p.Polls, steps.Describe(t.Response))
	default:
		c.Fail("RFC 8628 §3.5", "polling every %s (a quarter of the %s interval), poll %d got %s: an RFC 8628 client stops at any error but authorization_pending and slow_down, so throttling this way breaks the flow instead of slowing it (budget %s)",
			period, d.Interval, p.Polls, steps.Describe(t.Response), budget)
	}
}, check.Control("device-no-slow-down", check.Warn),
	// Long: against a server that never throttles, it polls for its whole
	// budget (15 s for a 5 s interval), as long as the flow's other chains.
	check.Quirk("throttle-per-client", check.Pass), check.Long)

// intervalPlan is how DEVICE-SLOW-DOWN-INTERVAL (b) fits in the codes'
// lifetime: n slow_downs provoked, then k polls at interval+5n s, then one
// at the original interval for (c).
type intervalPlan struct{ n, k int }

func planFor(interval, left time.Duration) (intervalPlan, bool) {
	for _, p := range []intervalPlan{{2, 2}, {2, 1}, {1, 2}, {1, 1}} {
		if p.need(interval) < left {
			return p, true
		}
	}
	return intervalPlan{}, false
}

// need is the time (b) takes after the first slow_down, with a margin of
// 1 s. (c), one interval more, goes only when the codes live that long.
func (p intervalPlan) need(interval time.Duration) time.Duration {
	return time.Duration(p.k)*(interval+time.Duration(p.n)*steps.SlowDownStep) + time.Second
}

// intervalRole is the client of DEVICE-SLOW-DOWN-INTERVAL (a): the second
// device client when the config names one, since the other checks poll
// the first, and a server may count polls per client (RFC 8628 §3.5
// leaves the measure to it).
func intervalRole(c *check.C) string {
	steps.DeviceClient(c, target.RoleDevice)
	if cl, _ := c.Env.Target.Client(target.RoleDevice2); cl != nil {
		return target.RoleDevice2
	}
	return target.RoleDevice
}

// intervalPolls is how many polls part (a) of DEVICE-SLOW-DOWN-INTERVAL
// makes at the advertised interval.
const intervalPolls = 6

// RFC 8628 §3.5: after slow_down "the interval MUST be increased by 5
// seconds for this and all subsequent requests", and "Before each new
// request, the client MUST wait at least the number of seconds specified
// by the "interval" parameter [...] and respect any increase in the polling
// interval required by the "slow_down" error". A client that does exactly
// that must not be slowed down again.
//
// (a) polls its own device_code exactly every interval, on a client that
// nothing else polls meanwhile (the second device client). (b) and (c) run
// beside it on the first client, which the flow's other checks poll too:
// on a server that counts the interval per code, as most do, that is the
// same test. A slow_down there may be the other checks' doing on a server
// that counts per client, so (b) and (c) are then done again on the second
// client after (a), by themselves, and only that attempt is graded.
var _ = check.It("DEVICE-SLOW-DOWN-INTERVAL", func(c *check.C) {
	role := intervalRole(c)
	a := newExactPolls(c, steps.StartDevice(c, role))
	if role == target.RoleDevice {
		c.Note("the config names no second device client: (b) and (c) follow (a) on the same client")
		interleave(c, a)
		a.judge(c)
		b := newAfterSlowDown(c, steps.StartDevice(c, role), false)
		interleave(c, b)
		b.record(c)
		noteIntervalMembers(c, append(a.got, b.all...))
		return
	}
	b := newAfterSlowDown(c, steps.StartDevice(c, target.RoleDevice), true)
	interleave(c, a, b)
	a.judge(c)
	all := append(a.got, b.all...)
	if !b.passed && !b.inapplicable {
		c.Note("(b) on the first device client, which the flow's other checks poll too, ended with %s: it may be their doing, so (b) and (c) go again on the second client, by itself",
			steps.Describe(b.all[len(b.all)-1].Response))
		b = newAfterSlowDown(c, steps.StartDevice(c, role), false)
		interleave(c, b)
		all = append(all, b.all...)
	}
	b.record(c)
	noteIntervalMembers(c, all)
}, check.Control("device-slow-down-strict", check.Fail).With(check.RefOptions{DeviceTTL: 12 * time.Second}),
	// Long: (a)'s polls at the interval, beside (b)'s fast polling and the
	// interval + 5 s, are the flow's longest chain of waits after
	// DEVICE-EXPIRED-TOKEN.
	check.Quirk("throttle-per-client", check.Pass), check.Uses("device2"), check.Long)

// A part of DEVICE-SLOW-DOWN-INTERVAL: the polls of one device_code, at
// times of its own.
type pollPart interface {
	// next is when the next poll is due; false when the part is done.
	next(c *check.C) (time.Time, bool)
	// poll sends that poll and takes in the answer.
	poll(c *check.C)
}

// interleave runs parts side by side in the check's goroutine, so that
// each poll is labelled in the evidence and each wait is the check's: it
// sends whichever poll is due first, after waiting for it, until every
// part is done. A poll takes milliseconds against a 1 s interval, so a
// part's polls go when they are due.
func interleave(c *check.C, parts ...pollPart) {
	for {
		var first pollPart
		var at time.Time
		for _, p := range parts {
			if t, ok := p.next(c); ok && (first == nil || t.Before(at)) {
				first, at = p, t
			}
		}
		if first == nil {
			return
		}
		if wait := time.Until(at); wait > 0 {
			c.Wait(wait, "the polling interval, or the interval + 5 s after slow_down (RFC 8628 §3.5)")
		}
		first.poll(c)
	}
}

// exactPolls is part (a): a fresh device_code polled exactly every
// interval from the device authorization on, intervalPolls times.
type exactPolls struct {
	d    *steps.Device
	p    *steps.Poller
	got  []*steps.TokenResponse
	done bool
}

func newExactPolls(c *check.C, d *steps.Device) *exactPolls {
	p := steps.NewPoller(c, d)
	p.Last = d.Received
	return &exactPolls{d: d, p: p}
}

func (a *exactPolls) next(c *check.C) (time.Time, bool) {
	if a.done || len(a.got) == intervalPolls || !a.p.Fits() {
		// A poll after expires_in would rightly get expired_token.
		return time.Time{}, false
	}
	return a.p.Due(), true
}

func (a *exactPolls) poll(c *check.C) {
	c.Note("(a) poll %d, exactly the %s interval after the last answer", len(a.got)+1, a.d.Interval)
	t, err := a.p.PollAfter(c, c, a.d.Interval)
	c.Require(err, "poll the token endpoint")
	a.got = append(a.got, t)
	a.done = !steps.Waiting(t) || t.OAuthError() == "slow_down"
}

// judge records the verdict of part (a).
func (a *exactPolls) judge(c *check.C) {
	if len(a.got) == 0 {
		c.Info("(a) expires_in leaves no room for a poll one interval after the authorization")
		return
	}
	last := a.got[len(a.got)-1]
	switch {
	case last.OAuthError() == "slow_down" && len(a.got) == 1:
		// Nothing of this device_code came too soon: the server counted
		// polls of the client's other device codes (RFC 8628 §3.5 leaves
		// the measure to it), so (a) tells nothing of this code's pace.
		c.Info("(a) the first poll of a fresh device_code, one interval (%s) after the authorization, got slow_down: the server counts the polls of the client's other device codes too", a.d.Interval)
	case last.OAuthError() == "slow_down":
		c.Fail("RFC 8628 §3.5", "(a) polling exactly every %s, the advertised interval, poll %d got slow_down: a client that never polls faster than the interval is slowed down",
			a.d.Interval, len(a.got))
	case !steps.Waiting(last):
		c.Fail("RFC 8628 §3.5", "(a) polling exactly every %s, poll %d got %s", a.d.Interval, len(a.got), steps.Describe(last.Response))
	default:
		c.Pass("(a) %d polls exactly %s apart, the advertised interval, all got authorization_pending", len(a.got), a.d.Interval)
	}
}

// The phases of parts (b) and (c).
const (
	phaseProvoke = iota // (b) too fast, until slow_down
	phaseAgain          // (b) at once again, for a second slow_down
	phaseComply         // (b) at the interval + 5 s per slow_down
	phaseBack           // (c) at the original interval
	phaseDone
)

// afterSlowDown is parts (b) and (c) on one device_code: polled too fast until
// slow_down (twice when the codes live long enough), then at interval +
// 5 s per slow_down, then once at the original interval. Its findings wait
// in findings until record, since an attempt on a shared client that is
// not clean is not graded.
type afterSlowDown struct {
	d      *steps.Device
	p      *steps.Poller
	phase  int
	shared bool // the flow's other checks poll the same client
	period time.Duration
	// budget is how long the fast polling may go on: a slow_down that
	// comes later leaves the codes too little time for the least plan.
	budget time.Duration
	start  time.Time
	plan   intervalPlan
	// complied counts the polls at the raised interval.
	complied int
	all      []*steps.TokenResponse
	findings []func(*check.C)
	// passed: (b) passed. inapplicable: the server or the codes' lifetime
	// leave (b) nothing to test, wherever it runs.
	passed, inapplicable bool
}

func newAfterSlowDown(c *check.C, d *steps.Device, shared bool) *afterSlowDown {
	b := &afterSlowDown{d: d, p: steps.NewPoller(c, d), shared: shared}
	var budget time.Duration
	b.period, budget = fastPolling(d.Interval)
	b.budget = min(budget, d.Left()-intervalPlan{1, 1}.need(d.Interval))
	if b.budget <= 0 {
		b.skip(func(c *check.C) {
			c.Info("expires_in (%s) leaves too little time to provoke slow_down and then poll as a complying client, so parts (b) and (c) do not apply", d.ExpiresIn)
		})
	}
	return b
}

// skip ends the part with a finding that says why (b) does not apply.
func (b *afterSlowDown) skip(f func(*check.C)) {
	b.findings = append(b.findings, f)
	b.inapplicable = true
	b.phase = phaseDone
}

// end ends the part with a finding.
func (b *afterSlowDown) end(f func(*check.C)) {
	b.findings = append(b.findings, f)
	b.phase = phaseDone
}

func (b *afterSlowDown) next(c *check.C) (time.Time, bool) {
	switch b.phase {
	case phaseProvoke:
		if b.p.Last.IsZero() {
			return time.Now(), true
		}
		return b.p.Last.Add(b.period), true
	case phaseAgain:
		return b.p.Last, true
	case phaseComply:
		if !b.p.Fits() {
			n, done, k := b.p.SlowDowns, b.complied, b.plan.k
			b.end(func(c *check.C) {
				c.Info("(b) expires_in left room for %d complying polls after %d slow_down, not %d", done, n, k)
			})
			return time.Time{}, false
		}
		return b.p.Due(), true
	case phaseBack:
		return b.p.Last.Add(b.d.Interval), true
	}
	return time.Time{}, false
}

func (b *afterSlowDown) poll(c *check.C) {
	switch b.phase {
	case phaseProvoke:
		if b.start.IsZero() {
			b.start = time.Now()
			c.Note("(b) poll another device_code every %s, too fast, until slow_down, for up to %s (then too little of its lifetime is left for the complying polls)",
				b.period, b.budget.Round(10*time.Millisecond))
		}
		t := b.send(c, b.period)
		switch {
		case t.OAuthError() == "slow_down":
			plan, fits := planFor(b.d.Interval, b.d.Left())
			if !fits {
				b.skip(func(c *check.C) {
					c.Info("expires_in leaves too little time for a complying poll after slow_down, so parts (b) and (c) do not apply")
				})
				return
			}
			b.plan, b.phase = plan, phaseComply
			if plan.n == 2 {
				b.phase = phaseAgain
			}
		case t.OAuthError() != "authorization_pending" || t.Issued() || time.Since(b.start) >= b.budget:
			budget := b.budget
			b.skip(func(c *check.C) {
				c.Info("polling device B at a quarter of the interval for %s got %s, not slow_down, so parts (b) and (c) do not apply (see DEVICE-SLOW-DOWN-EMITTED)",
					budget.Round(10*time.Millisecond), steps.Describe(t.Response))
			})
		}
	case phaseAgain:
		c.Note("(b) poll again at once after slow_down: a second slow_down, if the server counts it")
		if t := b.send(c, 0); !steps.Waiting(t) {
			b.skip(func(c *check.C) {
				c.Info("a second poll at once after slow_down got %s, so parts (b) and (c) do not apply (see DEVICE-SLOW-DOWN-EMITTED)", steps.Describe(t.Response))
			})
			return
		}
		b.phase = phaseComply
	case phaseComply:
		n := b.p.SlowDowns
		gap := b.p.Interval
		c.Note("(b) poll at the %s interval + 5 s per slow_down (%d): %s after the last answer", b.d.Interval, n, gap)
		t := b.send(c, gap)
		b.complied++
		i, interval := b.complied, b.d.Interval
		switch {
		case t.OAuthError() == "slow_down":
			b.end(func(c *check.C) {
				c.Fail("RFC 8628 §3.5", "(b) after %d slow_down, poll %d came %s after the previous answer (the %s interval + 5 s per slow_down, as the client MUST wait) and got slow_down again: a complying client is slowed down",
					n, i, gap, interval)
			})
		case !steps.Waiting(t):
			b.end(func(c *check.C) {
				c.Fail("RFC 8628 §3.5", "(b) after %d slow_down, a complying poll %s after the previous answer got %s", n, gap, steps.Describe(t.Response))
			})
		case b.complied == b.plan.k:
			b.passed = true
			k := b.plan.k
			b.findings = append(b.findings, func(c *check.C) {
				c.Pass("(b) after %d slow_down, %d polls %s apart (the %s interval + 5 s per slow_down) got authorization_pending", n, k, gap, interval)
			})
			b.phase = phaseBack
			if !b.p.Last.Add(b.d.Interval).Before(b.d.Expires()) {
				b.phase = phaseDone
			}
		}
	case phaseBack:
		c.Note("(c) poll at the original %s interval", b.d.Interval)
		t := b.send(c, b.d.Interval)
		interval := b.d.Interval
		others := ""
		if b.shared {
			others = " (the flow's other checks poll this client too, and a server that counts per client counts theirs)"
		}
		if t.OAuthError() == "slow_down" {
			b.end(func(c *check.C) {
				c.Info("(c) back at the original %s interval, the poll got slow_down again: the server holds the client to the raised interval%s", interval, others)
			})
			return
		}
		b.end(func(c *check.C) {
			c.Info("(c) back at the original %s interval, the poll got %s: the server lets the client return to the original interval", interval, steps.Describe(t.Response))
		})
	}
}

// send polls once, gap after the last answer, and keeps the answer.
func (b *afterSlowDown) send(c *check.C, gap time.Duration) *steps.TokenResponse {
	t, err := b.p.PollAfter(c, c, gap)
	c.Require(err, "poll device B")
	b.all = append(b.all, t)
	return t
}

// record records the part's findings.
func (b *afterSlowDown) record(c *check.C) {
	for _, f := range b.findings {
		f(c)
	}
}

// noteIntervalMembers records the interval members of error responses:
// RFC 8628 §3.5 defines none, so clients ignore them.
func noteIntervalMembers(c *check.C, ts []*steps.TokenResponse) {
	seen := map[string]bool{}
	for _, t := range ts {
		if t == nil || t.Issued() {
			continue
		}
		m, err := t.JSON()
		if err != nil {
			continue
		}
		if v, ok := m["interval"]; ok {
			seen[fmt.Sprintf("%v with %s", v, t.OAuthError())] = true
		}
	}
	if len(seen) > 0 {
		var vs []string
		for v := range seen {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		c.Info("error responses carry a non-standard interval member (%s); RFC 8628 §3.5 defines none, so clients ignore it", strings.Join(vs, "; "))
	}
}
