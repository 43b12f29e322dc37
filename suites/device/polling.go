package device

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

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
	n := len(c.Session().Steps())
	switch err := steps.VerifyDevice(c, d.VerificationURI, d.UserCode, true); {
	case err == nil:
		c.Fail("RFC 8628 §3.2", "after expires_in the verification page still took the user code %s and asked the person to decide (the harness denied)", d.UserCode)
	case errors.Is(err, steps.ErrNoDeny):
		c.Screenshot(c.Session(), "the expired user code was taken")
		c.Fail("RFC 8628 §3.2", "after expires_in the verification page still took the user code %s and asked the person to decide", d.UserCode)
	case steps.CodeRefused(err, c.Session().Steps()[n:]):
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
