package device

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
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

// need is the time the plan takes after the first slow_down, with a
// margin of 2 s.
func (p intervalPlan) need(interval time.Duration) time.Duration {
	return time.Duration(p.k)*(interval+time.Duration(p.n)*steps.SlowDownStep) + interval + 2*time.Second
}

// intervalRole is the client of DEVICE-SLOW-DOWN-INTERVAL: the second
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
var _ = check.It("DEVICE-SLOW-DOWN-INTERVAL", func(c *check.C) {
	role := intervalRole(c)
	// (a) alone: its own device_code, and no other poll of its client in
	// flight, polled exactly every interval from the authorization on.
	a := steps.StartDevice(c, role)
	pa := steps.NewPoller(c, a)
	pa.Last = a.Received
	c.Note("(a) poll exactly every interval, %d times", intervalPolls)
	var aResponses []*steps.TokenResponse
	for range intervalPolls {
		if !pa.Fits() {
			break // a poll after expires_in would rightly get expired_token
		}
		if wait := time.Until(pa.Due()); wait > 0 {
			c.Wait(wait, "the advertised polling interval (RFC 8628 §3.5)")
		}
		t, err := pa.PollAfter(c, c, a.Interval)
		c.Require(err, "poll the token endpoint")
		aResponses = append(aResponses, t)
		if !steps.Waiting(t) || t.OAuthError() == "slow_down" {
			break
		}
	}
	judgeExactPolls(c, a, aResponses)

	// (b) another code of the same client is polled too fast until
	// slow_down, then at the interval the RFC gives a complying client;
	// (c) then at the original interval.
	b := steps.StartDevice(c, role)
	bResponses := complyAfterSlowDown(c, c, b)
	noteIntervalMembers(c, append(aResponses, bResponses...))
}, check.Control("device-slow-down-strict", check.Fail).With(check.RefOptions{DeviceTTL: 12 * time.Second}),
	// Long: its polls at the interval, then the fast polling, are the
	// flow's longest chain of waits after DEVICE-EXPIRED-TOKEN (about 30 s
	// for 5 s intervals).
	check.Quirk("throttle-per-client", check.Pass), check.Uses("device2"), check.Long)

// judgeExactPolls records the verdict of part (a) of
// DEVICE-SLOW-DOWN-INTERVAL from the answers to polls exactly one
// interval apart.
func judgeExactPolls(c *check.C, a *steps.Device, got []*steps.TokenResponse) {
	if len(got) == 0 {
		c.Info("(a) expires_in leaves no room for a poll one interval after the authorization")
		return
	}
	last := got[len(got)-1]
	switch {
	case last.OAuthError() == "slow_down" && len(got) == 1:
		// Nothing of this device_code came too soon: the server counted
		// polls of the client's other device codes (RFC 8628 §3.5 leaves
		// the measure to it), so (a) tells nothing of this code's pace.
		c.Info("(a) the first poll of a fresh device_code, one interval (%s) after the authorization, got slow_down: the server counts the polls of the client's other device codes too", a.Interval)
	case last.OAuthError() == "slow_down":
		c.Fail("RFC 8628 §3.5", "(a) polling exactly every %s, the advertised interval, poll %d got slow_down: a client that never polls faster than the interval is slowed down",
			a.Interval, len(got))
	case !steps.Waiting(last):
		c.Fail("RFC 8628 §3.5", "(a) polling exactly every %s, poll %d got %s", a.Interval, len(got), steps.Describe(last.Response))
	default:
		c.Pass("(a) %d polls exactly %s apart, the advertised interval, all got authorization_pending", len(got), a.Interval)
	}
}

// complyAfterSlowDown provokes slow_down on b (twice when the codes live
// long enough), polls at interval + 5 s per slow_down, and records the
// verdicts of parts (b) and (c) of DEVICE-SLOW-DOWN-INTERVAL. It returns
// every answer. No poll goes after the codes expire.
func complyAfterSlowDown(ctx context.Context, c *check.C, b *steps.Device) []*steps.TokenResponse {
	p := steps.NewPoller(c, b)
	var all []*steps.TokenResponse
	poll := func(gap time.Duration) *steps.TokenResponse {
		if wait := gap - time.Since(p.Last); wait > 0 {
			c.Wait(wait, "the polling interval after slow_down (RFC 8628 §3.5)")
		}
		t, err := p.PollAfter(ctx, c, gap)
		c.Require(err, "poll device B")
		all = append(all, t)
		return t
	}
	// A slow_down that comes later than this leaves the codes too little
	// time for the least plan, so the fast polling stops there.
	_, budget := fastPolling(b.Interval)
	budget = min(budget, b.Left()-intervalPlan{1, 1}.need(b.Interval))
	if budget <= 0 {
		c.Info("expires_in (%s) leaves too little time to provoke slow_down and then poll as a complying client, so parts (b) and (c) do not apply", b.ExpiresIn)
		return all
	}
	c.Note("(b) poll another device_code too fast, until slow_down, for up to %s (then too little of its lifetime is left for the complying polls)", budget.Round(10*time.Millisecond))
	t, err := provoke(ctx, c, p, budget)
	c.Require(err, "poll device B")
	all = append(all, t)
	plan, fits := planFor(b.Interval, b.Left())
	switch {
	case t.OAuthError() != "slow_down":
		c.Info("polling device B at a quarter of the interval for %s got %s, not slow_down, so parts (b) and (c) do not apply (see DEVICE-SLOW-DOWN-EMITTED)", budget.Round(10*time.Millisecond), steps.Describe(t.Response))
		return all
	case !fits:
		c.Info("expires_in leaves too little time for a complying poll after slow_down, so parts (b) and (c) do not apply")
		return all
	}
	if plan.n == 2 {
		// At once again: a second slow_down, if the server counts it.
		if t := poll(0); !steps.Waiting(t) {
			c.Info("a second poll at once after slow_down got %s, so parts (b) and (c) do not apply (see DEVICE-SLOW-DOWN-EMITTED)", steps.Describe(t.Response))
			return all
		}
	}
	n := p.SlowDowns
	gap := b.Interval + time.Duration(n)*steps.SlowDownStep
	c.Note("(b) poll at the %s interval + 5 s per slow_down", b.Interval)
	for i := 1; i <= plan.k; i++ {
		if !p.Fits() {
			c.Info("(b) expires_in left room for %d complying polls after %d slow_down, not %d", i-1, n, plan.k)
			return all
		}
		t := poll(p.Interval)
		switch {
		case t.OAuthError() == "slow_down":
			c.Fail("RFC 8628 §3.5", "(b) after %d slow_down, poll %d came %s after the previous answer (the %s interval + 5 s per slow_down, as the client MUST wait) and got slow_down again: a complying client is slowed down",
				n, i, gap, b.Interval)
			return all
		case !steps.Waiting(t):
			c.Fail("RFC 8628 §3.5", "(b) after %d slow_down, a complying poll %s after the previous answer got %s", n, gap, steps.Describe(t.Response))
			return all
		}
	}
	c.Pass("(b) after %d slow_down, %d polls %s apart (the %s interval + 5 s per slow_down) got authorization_pending", n, plan.k, gap, b.Interval)
	if !p.Last.Add(b.Interval).Before(b.Expires()) {
		return all
	}
	c.Note("(c) poll at the original interval")
	if t := poll(b.Interval); t.OAuthError() == "slow_down" {
		c.Info("(c) back at the original %s interval, the poll got slow_down again: the server holds the client to the raised interval", b.Interval)
	} else {
		c.Info("(c) back at the original %s interval, the poll got %s: the server lets the client return to the original interval", b.Interval, steps.Describe(t.Response))
	}
	return all
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

// expiryMargin is how long past expires_in DEVICE-EXPIRED-TOKEN keeps
// polling, as the catalogue has it: a clock that runs a little late on the
// server does not make it fail. The check polls from expires_in on, at the
// interval, and stops at the first answer that is not a wait: a server that
// ends its codes on time is graded as soon as it says so.
const expiryMargin = 10 * time.Second

// RFC 8628 §3.5: "expired_token: The "device_code" has expired, and the
// device authorization session has concluded." §3.2: "expires_in REQUIRED.
// The lifetime in seconds of the "device_code" and "user_code"."
var _ = check.It("DEVICE-EXPIRED-TOKEN", func(c *check.C) {
	d := steps.StartDevice(c, target.RoleDevice)
	if d.ExpiresIn == 0 {
		c.Skipf("the device authorization response has no positive expires_in, so there is no lifetime to wait out (see DEVICE-AUTHZ-RESPONSE)")
	}
	limit := d.ExpiresIn + expiryMargin
	what := fmt.Sprintf("the wait for the device_code to expire (expires_in %s, and up to %s more)", d.ExpiresIn, expiryMargin)
	if len(d.Odd) > 0 {
		what += " (" + strings.Join(d.Odd, "; ") + ")"
	}
	steps.RequireWait(c, limit, what)
	c.Wait(d.ExpiresIn-time.Since(d.Received), "expires_in of the device_code")
	t, at := pollExpired(c, d, limit)
	switch e := t.OAuthError(); {
	case t.Issued():
		c.Fail("RFC 8628 §3.5", "%s after a device authorization that lives %s, and that nobody approved, the poll got tokens", at, d.ExpiresIn)
	case e == "expired_token":
		c.Pass("%s after the device authorization (expires_in %s) the poll got expired_token", at, d.ExpiresIn)
	case e == "invalid_grant":
		c.Warn("RFC 8628 §3.5", "after expires_in the poll got invalid_grant, not expired_token: the device cannot tell that it should start over")
	case steps.Waiting(t):
		c.Fail("RFC 8628 §3.2", "%s after a device authorization with expires_in %s, the poll still got %s: the device_code outlives its lifetime", at, d.ExpiresIn, e)
	default:
		c.Warn("RFC 8628 §3.5", "after expires_in the poll got %s, not expired_token", steps.Describe(t.Response))
	}

	if c.Env.Browser == nil {
		c.Info("the run has no browser, so the expired user code was not tried on the verification page")
		return
	}
	// The person denies, should the page take the code: nothing expired
	// is approved. A decision page without Deny took the code all the same.
	c.Note("enter the expired user code on the verification page")
	switch err := steps.VerifyDevice(c, d.VerificationURI, d.UserCode, true); {
	case err == nil:
		c.Fail("RFC 8628 §3.2", "after expires_in the verification page still took the user code %s and asked the person to decide (the harness denied)", d.UserCode)
	case errors.Is(err, steps.ErrNoDeny):
		c.Screenshot(c.Session(), "the expired user code was taken")
		c.Fail("RFC 8628 §3.2", "after expires_in the verification page still took the user code %s and asked the person to decide", d.UserCode)
	case errors.Is(err, steps.ErrUserCodeRefused) || errors.Is(err, browser.ErrNoCallback):
		c.Pass("after expires_in the verification page refused the user code %s", d.UserCode)
	default:
		c.Info("the expired user code could not be tried in the browser: %v", err)
	}
}, check.Slow, check.Control("device-no-expiry", check.Fail).With(check.RefOptions{DeviceTTL: time.Second}),
	check.Quirk("consent-no-deny", check.Pass),
	check.Quirk("throttle-per-client", check.Pass), check.Long)

// pollExpired polls d's device_code from expires_in on, as a compliant
// device would (the interval between polls, 5 s more for each slow_down),
// until an answer is not a request to wait or one came limit or more after
// the device authorization. It returns the last answer and when it was
// asked for, measured from the device authorization.
func pollExpired(c *check.C, d *steps.Device, limit time.Duration) (*steps.TokenResponse, time.Duration) {
	interval := d.Interval
	for {
		at := time.Since(d.Received)
		c.Note("poll %s after the device authorization", at.Round(100*time.Millisecond))
		t, err := steps.SendPoll(c, d, nil)
		c.Require(err, "poll the token endpoint")
		if !steps.Waiting(t) || at >= limit {
			return t, at.Round(100 * time.Millisecond)
		}
		if t.OAuthError() == "slow_down" {
			interval += 5 * time.Second
		}
		c.Wait(interval, "the polling interval, past expires_in")
	}
}
