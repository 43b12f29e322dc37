// Package device checks the OAuth 2.0 device authorization grant
// (RFC 8628): CHECKS.md group 6. The device's side is plain HTTP; the
// person's side, on verification_uri, goes through the browser.
package device

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 8628 §3.2: "device_code REQUIRED. [...] user_code REQUIRED. [...]
// verification_uri REQUIRED. [...] expires_in REQUIRED. The lifetime in
// seconds of the "device_code" and "user_code". interval OPTIONAL. [...]
// If no value is provided, clients MUST use 5 as the default."
var _ = check.It("DEVICE-AUTHZ-RESPONSE", func(c *check.C) {
	cl := steps.DeviceClient(c, target.RoleDevice)
	r := steps.RequestDevice(c, cl)
	steps.MustTell(c, r, "the device authorization request")
	if r.Status != http.StatusOK {
		c.Fail("RFC 8628 §3.2", "the device authorization request of %s was answered %s, not 200", cl.ID, steps.Describe(r))
		return
	}
	m, err := r.JSON()
	if err != nil {
		c.Fail("RFC 8628 §3.2", "the device authorization response is not a JSON object: %v", err)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		c.Warn("RFC 8628 §3.2", "the device authorization response is served as %q, not application/json", r.Header.Get("Content-Type"))
	}
	complete := true
	for _, k := range []string{"device_code", "user_code", "verification_uri"} {
		if s, ok := m[k].(string); !ok || s == "" {
			c.Fail("RFC 8628 §3.2", "the REQUIRED member %s is %s", k, describeMember(m, k))
			complete = false
		}
	}
	expires, ok := m["expires_in"].(float64)
	if !ok || expires <= 0 {
		c.Fail("RFC 8628 §3.2", "the REQUIRED member expires_in is %s; it must be the codes' lifetime in seconds", describeMember(m, "expires_in"))
		complete = false
	}
	switch iv, ok := m["interval"].(float64); {
	case m["interval"] == nil:
		c.Info("the response has no interval, so clients poll every 5 s (RFC 8628 §3.2)")
	case !ok || iv < 0:
		c.Fail("RFC 8628 §3.2", "interval is %s; it must be a number of seconds", describeMember(m, "interval"))
		complete = false
	case iv == 0:
		c.Info("interval is 0: the server asks for no wait between polls")
	}
	if uri, _ := m["verification_uri"].(string); uri != "" {
		if u, err := url.Parse(uri); err != nil || !u.IsAbs() || u.Host == "" {
			c.Fail("RFC 8628 §3.2", "verification_uri %q is not an absolute URL the person can open", uri)
			complete = false
		} else if !steps.RequireHTTPS(c, "RFC 6749 §3.1", "verification_uri", uri) {
			complete = false
		}
	}
	if !strings.Contains(strings.ToLower(r.Header.Get("Cache-Control")), "no-store") {
		c.Info("the response that carries the device_code has no Cache-Control: no-store; RFC 8628's example sends it (see TOKEN-CACHE-NO-STORE)")
	}
	if complete {
		c.Pass("200 JSON with device_code, user_code, verification_uri %s and expires_in %v s", m["verification_uri"], m["expires_in"])
	}
}, check.Control("device-authz-incomplete", check.Fail))

// describeMember says what a response member is, for a finding: missing,
// or its JSON type and value (never a secret: the device_code is only
// described when it is not a string).
func describeMember(m map[string]any, k string) string {
	v, ok := m[k]
	switch {
	case !ok:
		return "missing"
	case v == nil:
		return "null"
	}
	switch v.(type) {
	case string:
		if v == "" {
			return "an empty string"
		}
		return fmt.Sprintf("the string %q", v)
	}
	return fmt.Sprintf("%T %v", v, v)
}

// RFC 8628 §3.5: "authorization_pending: The authorization request is still
// pending as the end user hasn't yet completed the user-interaction steps
// (Section 3.3)." and "If the client receives an error response with any
// other error code, it MUST stop polling".
var _ = check.It("DEVICE-AUTHORIZATION-PENDING", func(c *check.C) {
	d := steps.StartDevice(c, target.RoleDevice)
	p := steps.NewPoller(c, d)
	p.Last = d.Received // the first poll comes one interval after the authorization
	c.Note("poll once; nobody has answered")
	t := p.Next(c)
	// slow_down is "a variant of authorization_pending" (RFC 8628 §3.5): a
	// server may count the client's other device codes. The poller honours
	// it, and looks again while the codes live.
	// A slow_down is kept as the answer when the codes leave no room for
	// the next poll: it already shows the request pending.
	for t != nil && t.OAuthError() == "slow_down" && p.SlowDowns < 3 {
		next := p.Next(c)
		if next == nil {
			break
		}
		t = next
	}
	switch {
	case t == nil:
		c.Fatalf("expires_in (%s) left no room for a poll one interval (%s, raised to %s by slow_down) after the device authorization", d.ExpiresIn, d.Interval, p.Interval)
	case t.Issued():
		c.Fail("RFC 8628 §3.5", "a device_code that nobody approved was redeemed: %s", steps.Describe(t.Response))
	case t.OAuthError() == "slow_down":
		c.Pass("%d polls, the first one interval (%s) after the authorization and the rest as slow_down asked, got 400 slow_down, a variant of authorization_pending (RFC 8628 §3.5)", p.Polls, d.Interval)
	case t.OAuthError() == "authorization_pending" && t.Status == http.StatusBadRequest:
		if p.SlowDowns > 0 {
			c.Info("the first %d polls got slow_down, a variant of authorization_pending: the server counts the polls of the client's other device codes too", p.SlowDowns)
		}
		c.Pass("a poll one interval (%s) after the authorization got 400 authorization_pending", d.Interval)
	case t.OAuthError() == "authorization_pending":
		c.Warn("RFC 6749 §5.2", "authorization_pending came with status %d, not 400", t.Status)
	default:
		c.Fail("RFC 8628 §3.5", "while the person had not answered, a poll one interval after the authorization got %s, not authorization_pending: an RFC 8628 client stops polling at any other error", steps.Describe(t.Response))
	}
}, check.Control("device-no-pending", check.Fail),
	check.Quirk("throttle-per-client", check.Pass))
