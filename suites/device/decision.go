package device

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// laterPolls is how many polls after the end of a device authorization
// show that it stays ended.
const laterPolls = 2

// RFC 8628 §3.5: "access_denied: The authorization request was denied."
// and "If the client receives an error response with any other error code
// [than authorization_pending or slow_down], it MUST stop polling".
var _ = check.It("DEVICE-ACCESS-DENIED", func(c *check.C) {
	d := steps.StartDevice(c, target.RoleDevice)
	p := steps.NewPoller(c, d)
	steps.DenyDevice(c, d)
	c.ReleaseBrowser() // not held through the polls
	c.Note("poll after the denial")
	t := p.Settle(c, 3)
	switch {
	case t == nil || t.OAuthError() == "slow_down":
		c.Fatalf("no poll after the denial got an answer other than slow_down while the codes lived (expires_in %s): %d polls, %d of them slow_down, which the poller honoured", d.ExpiresIn, p.Polls, p.SlowDowns)
	case t.Issued():
		c.Fail("RFC 8628 §3.5", "after the person denied the device, the poll got tokens")
		return
	case steps.Waiting(t):
		c.Fail("RFC 8628 §3.5", "after the person denied the device, %d polls one interval apart still got %s: the denial never reaches the device", p.Polls, t.OAuthError())
		return
	case t.OAuthError() == "access_denied":
		c.Pass("after the person denied the device, the poll got %s", steps.Describe(t.Response))
	default:
		c.Warn("RFC 8628 §3.5", "after the person denied the device, the poll got %s, not access_denied", steps.Describe(t.Response))
	}
	c.Note("poll again after the denial")
	var got []string
	for range laterPolls {
		t := p.Next(c)
		if t == nil {
			break // the codes expired: the session is over in any case
		}
		if t.Issued() {
			c.Fail("RFC 8628 §3.5", "after the person denied the device, poll %d after the first answer got tokens", len(got)+1)
			return
		}
		got = append(got, t.OAuthError())
	}
	if len(got) > 0 {
		c.Pass("%d later polls got no tokens (%s)", len(got), strings.Join(got, ", "))
	}
}, check.Control("device-deny-ignored", check.Fail),
	check.Quirk("consent-no-deny", check.Skip),
	check.Quirk("throttle-per-client", check.Pass), check.Quirk("js-login", check.Pass))

// RFC 8628 says nothing explicit about reuse of a device_code (the
// catalogue's level is DERIVED); by analogy with RFC 6749 §10.5, "The
// client MUST NOT use the authorization code more than once", and §4.1.2,
// a code that has given tokens gives no more.
//
// It keeps its browser sessions to its end: its replays may make the
// server revoke the grant of a session (node-oidc-provider does), and a
// check that took the session meanwhile would share that grant.
var _ = check.It("DEVICE-CODE-SINGLE-USE", func(c *check.C) {
	// Sequential first: redeem one approved device_code, then poll it
	// again. A server that treats the second poll as a replay may revoke
	// the grant, so the race below uses another code, approved after this.
	first := steps.StartDevice(c, target.RoleDevice)
	p := steps.NewPoller(c, first)
	steps.ApproveDevice(c, first)
	c.Note("redeem an approved device_code, then poll it again")
	approvedTokens(c, p, "the approved device_code")
	again := p.Next(c)
	switch {
	case again == nil:
		c.Info("expires_in (%s) left no room for a second poll of the redeemed device_code", first.ExpiresIn)
	case again.Issued():
		c.Fail("RFC 6749 §10.5", "a device_code that had given tokens gave a second token set %s later", p.Interval)
	case again.OAuthError() == "invalid_grant" || again.OAuthError() == "expired_token":
		c.Pass("a second poll of a redeemed device_code got %s", steps.Describe(again.Response))
	default:
		c.Warn("RFC 8628 §3.5", "a second poll of a redeemed device_code got %s, not invalid_grant or expired_token", steps.Describe(again.Response))
	}

	// Then the race, on a code approved in a fresh browser session, so that
	// it belongs to a grant of its own; requested only now, so that its
	// lifetime is not spent on the steps before.
	raced := steps.StartDevice(c, target.RoleDevice)
	steps.ApproveDeviceIn(c, c.NewSession(), raced)
	c.Note("10 polls of one approved device_code at once")
	c.HTTP.Warm(c, steps.Metadata(c).TokenEndpoint, 10)
	var mu sync.Mutex
	var polled []*steps.TokenResponse
	results := steps.Race(10, func() (*client.Response, error) {
		t, err := steps.SendPoll(c, raced, nil)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		polled = append(polled, t)
		mu.Unlock()
		return t.Response, nil
	})
	for _, r := range results {
		c.Require(r.Err, "poll the token endpoint")
	}
	wins, waiting, untold := 0, 0, 0
	answers := map[string]int{}
	for _, t := range polled {
		switch {
		case t.Issued():
			wins++
		case steps.Waiting(t):
			waiting++
			answers[t.OAuthError()]++
		default:
			if steps.Untelling(t.Status) || t.Status < http.StatusBadRequest {
				untold++
			}
			answers[steps.Describe(t.Response)]++
		}
	}
	switch {
	case wins > 1:
		c.Fail("RFC 6749 §10.5", "10 polls at once of one approved device_code got %d token sets", wins)
	case wins == 1 && untold > 0:
		// Behind a gateway's 5xx, the server may have issued tokens again.
		c.Info("of 10 polls at once of an approved device_code, one got tokens, but %d got no answer that tells (%s), so the race does not show single use", untold, tally(answers))
	case wins == 1:
		c.Pass("of 10 polls at once of an approved device_code, one got tokens; the others got %s", tally(answers))
	case waiting == len(polled):
		c.Info("the 10 polls at once came before the approval took effect (%s), so the race tells nothing", tally(answers))
	default:
		c.Info("none of 10 polls at once of an approved device_code got tokens (%s)", tally(answers))
	}
}, check.Control("device-code-reuse", check.Fail),
	check.Quirk("throttle-per-client", check.Pass))

// showsCode reports whether the session's page shows the user code to the
// person: in its text, or as the value of a visible input (a form that
// comes filled in).
func showsCode(c *check.C, sess *browser.Session, code string) bool {
	var text string
	if err := sess.Page(c).Eval(`() => [document.body ? document.body.innerText : "",
		...Array.from(document.querySelectorAll("input:not([type=hidden])"), el => el.value || "")].join("\n")`, &text); err != nil {
		text = sess.Text(c)
	}
	return strings.Contains(steps.NormalisedCode(text), steps.NormalisedCode(code))
}

// approvedTokens polls an approved device_code through p until it gives
// tokens, and returns them. Another answer ends the check with a FAIL; the
// codes' lifetime running out first (slow_down answers alone, or a poll
// that the browser steps left too close to expires_in) ends it as ERROR.
func approvedTokens(c *check.C, p *steps.Poller, what string) *steps.TokenResponse {
	d := p.Device
	t := p.Settle(c, 3)
	switch {
	case t != nil && t.Issued():
		return t
	case t == nil || t.OAuthError() == "slow_down":
		c.Fatalf("%s got no answer other than slow_down while its codes lived (expires_in %s): %d polls, %d of them slow_down, which the poller honoured", what, d.ExpiresIn, p.Polls, p.SlowDowns)
	case t.OAuthError() == "expired_token" && d.ExpiresIn > 0 && p.Last.After(d.Expires().Add(-expiryLeeway)):
		c.Fatalf("%s got expired_token %s after the device authorization, its lifetime being %s: the steps before the poll took too long to tell anything", what, p.Last.Sub(d.Received).Round(time.Millisecond), d.ExpiresIn)
	}
	c.FailNow("RFC 8628 §3.5", "%s got %s after %d polls, not tokens", what, steps.Describe(t.Response), p.Polls)
	return nil
}

// expiryLeeway is how close to expires_in a poll may come before its
// expired_token is the clock's doing rather than the server's.
const expiryLeeway = 2 * time.Second

// tally renders counted answers, most frequent first.
func tally(m map[string]int) string {
	if len(m) == 0 {
		return "nothing else"
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || (m[keys[i]] == m[keys[j]] && keys[i] < keys[j]) })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d× %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

// RFC 8628 §3.4: the device access token request carries "client_id
// REQUIRED if the client is not authenticating with the authorization
// server"; as with an authorization code (RFC 6749 §4.1.3, "ensure that
// the authorization code was issued to the authenticated confidential
// client, or if the client is public, ensure that the code was issued to
// "client_id" in the request"), a device_code is redeemed only by its
// client.
//
// The code is the second device client's, and the one that tries to
// redeem it is the first: the second one's polls are
// DEVICE-SLOW-DOWN-INTERVAL's, which a server that counts the interval per
// client would spoil with any poll of its own, so this check sends none
// and runs beside it.
var _ = check.It("DEVICE-CODE-CLIENT-BINDING", func(c *check.C) {
	thief := steps.DeviceClient(c, target.RoleDevice)
	d := steps.StartDevice(c, target.RoleDevice2)
	steps.ApproveDevice(c, d)
	c.Note("poll the approved device_code of %s as %s", d.Client.ID, thief.ID)
	stolen, err := steps.SendPoll(c, d, thief)
	c.Require(err, "poll the token endpoint")
	switch e := stolen.OAuthError(); {
	case stolen.Issued():
		c.Fail("RFC 8628 §3.4", "client %s redeemed the device_code issued to %s and got tokens", thief.ID, d.Client.ID)
	case e == "invalid_grant" || e == "invalid_client":
		c.Pass("client %s polling the approved device_code of %s got %s", thief.ID, d.Client.ID, steps.Describe(stolen.Response))
	case stolen.Status == http.StatusBadRequest || stolen.Status == http.StatusUnauthorized:
		c.Warn("RFC 6749 §5.2", "client %s polling the approved device_code of %s was refused with %s, not invalid_grant", thief.ID, d.Client.ID, steps.Describe(stolen.Response))
	default:
		c.Warn("RFC 6749 §5.2", "client %s polling the approved device_code of %s got %s", thief.ID, d.Client.ID, steps.Describe(stolen.Response))
	}
}, check.Control("device-not-client-bound", check.Fail),
	check.Quirk("throttle-per-client", check.Pass))

// RFC 8628 §3.3.1: clients "MUST still display the "user_code", as the
// authorization server will require the user to confirm it to
// disambiguate devices or as remote phishing mitigation (see Section
// 5.4)". §5.4: "For authorization servers that support the
// "verification_uri_complete" option, it is particularly important to
// confirm that the device is in the user's possession, as the user no
// longer has to type in the code manually. One possibility is to display
// the code during the authorization flow and ask the user to verify that
// the same code is currently being displayed on the device".
var _ = check.It("DEVICE-VERIFICATION-URI-COMPLETE", func(c *check.C) {
	// A signed-in session, in which the person approved another device:
	// an approval, since a decision page may have no Deny control. Its
	// response tells whether the server offers verification_uri_complete.
	other := steps.StartDevice(c, target.RoleDevice)
	if other.VerificationURIComplete == "" {
		c.Skipf("the device authorization response has no verification_uri_complete (it is OPTIONAL, RFC 8628 §3.2)")
	}
	c.Note("sign in, approving another device authorization that nothing polls")
	steps.ApproveDevice(c, other)

	// The device under test is requested only now, so that its lifetime
	// is not spent on the sign-in.
	d := steps.StartDevice(c, target.RoleDevice)
	uri := d.VerificationURIComplete
	if uri == "" {
		c.Skipf("the device authorization response has no verification_uri_complete (it is OPTIONAL, RFC 8628 §3.2)")
	}
	steps.RequireHTTPS(c, "RFC 6749 §3.1", "verification_uri_complete", uri)
	if o, v := steps.Origin(uri), steps.Origin(d.VerificationURI); o != v {
		c.Warn("RFC 8628 §5.4", "verification_uri_complete is on %s, verification_uri on %s: the person cannot tell the server's own page by its address", o, v)
	}
	p := steps.NewPoller(c, d)

	c.Note("open verification_uri_complete in the signed-in session, and do nothing")
	sess := c.Session()
	if err := sess.Open(c, uri); err != nil {
		c.Fatalf("open verification_uri_complete: %v", err)
	}
	shown := showsCode(c, sess, d.UserCode)
	before := p.Next(c)
	switch {
	case before == nil:
		c.Fatalf("expires_in (%s) left no room for a poll after opening verification_uri_complete", d.ExpiresIn)
	case before.Issued():
		c.Screenshot(sess, "verification_uri_complete approved the device by itself")
		c.Fail("RFC 8628 §5.4", "opening verification_uri_complete in a signed-in session approved the device: the poll got tokens before any click")
		return
	case !steps.Waiting(before):
		c.FailNow("RFC 8628 §3.5", "the device_code opened through verification_uri_complete got %s before any decision", steps.Describe(before.Response))
	}

	c.Note("approve on the page of verification_uri_complete")
	if err := steps.VerifyDevice(c, uri, d.UserCode, false); err != nil {
		c.Screenshot(sess, "the approval through verification_uri_complete did not complete")
		c.Fatalf("approving through verification_uri_complete failed: %v", err)
	}
	approvedTokens(c, p, "after the approval through verification_uri_complete, the device_code")
	c.Pass("the device got tokens only after the click: the poll before it got %s", before.OAuthError())
	if shown {
		c.Pass("the page of verification_uri_complete showed the user code %s for the person to compare with the device", d.UserCode)
	} else {
		c.Warn("RFC 8628 §5.4", "the page of verification_uri_complete did not show the user code %s, so the person cannot check that the device in hand asked (remote phishing)", d.UserCode)
	}
}, check.Control("device-complete-auto-approve", check.Fail),
	check.Quirk("consent-no-deny", check.Pass),
	check.Quirk("throttle-per-client", check.Pass))
