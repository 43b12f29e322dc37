package steps

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// Untelling reports whether an HTTP status tells nothing of the request
// that got it: 429 (rate limited), or 502, 503 and 504 (a gateway's, or
// an overloaded server's). No verdict can rest on such an answer.
func Untelling(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// MustTell ends the check as ERROR when the answer to what tells nothing
// of the request ([Untelling]).
func MustTell(c *check.C, r *client.Response, what string) {
	if r != nil && Untelling(r.Status) {
		c.Fatalf("%s was answered %s: rate limited, or a gateway's or an overloaded server's answer, which tells nothing of the request", what, Describe(r))
	}
}

// NotIssued reports whether the server refused the token request of t,
// what naming it: no tokens, and an error status. An answer that tells
// nothing ([Untelling]), or one with neither tokens nor an error status,
// is not a refusal: the check ends as ERROR.
func NotIssued(c *check.C, t *TokenResponse, what string) bool {
	if t.Issued() {
		return false
	}
	MustTell(c, t.Response, what)
	if t.Status < http.StatusBadRequest {
		c.Fatalf("%s was answered %s: neither tokens nor an error", what, Describe(t.Response))
	}
	return true
}

// Refused judges the answer to a token request that the server must
// refuse, what naming the request ("a replayed code"):
//   - tokens issued break the rule: FAIL under ref;
//   - an error with one of the codes in want is the right refusal: PASS;
//   - any other refusal kept the protection but answered with the wrong
//     error: WARN under RFC 6749 §5.2.
//
// An answer that tells nothing ([Untelling]) ends the check as ERROR. It
// reports whether the server refused.
func Refused(c *check.C, t *TokenResponse, ref, what string, want ...string) bool {
	e := t.OAuthError()
	switch {
	case t.Issued():
		c.Fail(ref, "%s got tokens: %s", what, Describe(t.Response))
		return false
	case Untelling(t.Status):
		MustTell(c, t.Response, what)
	case slices.Contains(want, e):
		c.Pass("%s was refused with %d %s", what, t.Status, e)
	default:
		c.Warn("RFC 6749 §5.2", "%s was refused, but with %s instead of %s", what, Describe(t.Response), strings.Join(want, " or "))
	}
	return true
}

// MustIssue ends the check when a token request that a working server
// answers with tokens (a fresh code, a fresh refresh token) did not get
// them. The client's credentials refused (invalid_client,
// unauthorized_client) is the config's problem: ERROR, saying so. Any
// other refusal is the server's FAIL under ref, but for an answer that
// tells nothing ([Untelling]): ERROR.
func MustIssue(c *check.C, t *TokenResponse, ref, what string) {
	switch e := t.OAuthError(); {
	case t.Issued():
	case Untelling(t.Status):
		MustTell(c, t.Response, what)
	case e == "invalid_client" || e == "unauthorized_client":
		c.Fatalf("%s: the client was refused (%s); check its id, secret and allowed grants in the config", what, Describe(t.Response))
	default:
		c.FailNow(ref, "%s failed: %s", what, Describe(t.Response))
	}
}

// MustRedeem is MustIssue for the redemption of the code that r's
// authorization has just returned (Code). The code was issued after Code
// asked for it; a refusal as invalid_grant of a redemption sent once the
// config's code_lifetime had passed since then may be the harness's
// slowness (a loaded machine, against codes that live seconds), not the
// server's fault. That is ERROR.
func MustRedeem(c *check.C, r *AuthRequest, t *TokenResponse, what string) {
	lifetime := c.Env.Target.Config.CodeLifetime
	if !t.Issued() && t.OAuthError() == "invalid_grant" && lifetime > 0 && !r.Asked.IsZero() {
		if late := sentAt(t.Response).Sub(r.Asked); late >= lifetime {
			c.Fatalf("%s failed (%s), but the harness sent it %s after it asked for the code, which the config says lives %s: too slow to judge the server (a loaded machine?)", what, Describe(t.Response), late.Round(time.Millisecond), lifetime)
		}
	}
	MustIssue(c, t, "RFC 6749 §4.1.3", what)
}

// sentAt is when the request of r was sent: the start of its exchange,
// else now.
func sentAt(r *client.Response) time.Time {
	if r != nil && r.Exchange != nil && !r.Exchange.Started.IsZero() {
		return r.Exchange.Started
	}
	return time.Now()
}

// refreshIssued holds when the request that got each refresh token of the
// process was sent: the token was issued after that.
var refreshIssued sync.Map // refresh token → time.Time

// MustBeLive ends the check with ERROR when the server refused the refresh
// token rt, in t, and the harness had presented it once the config's
// refresh_lifetime had passed since it asked for rt: the token may simply
// have expired (a loaded machine, against tokens that live seconds), so
// the refusal tells nothing of what the check provoked, nor is it the
// server's fault when tokens were wanted. Before that, a refusal is the
// server's answer to the check.
func MustBeLive(c *check.C, rt string, t *TokenResponse, what string) {
	lifetime := c.Env.Target.Config.RefreshLifetime
	if t.Issued() || lifetime <= 0 || t.Status < http.StatusBadRequest {
		return
	}
	v, ok := refreshIssued.Load(rt)
	if !ok {
		return
	}
	if late := sentAt(t.Response).Sub(v.(time.Time)); late >= lifetime {
		c.Fatalf("%s was refused (%s), but the harness presented the refresh token %s after it asked for it, and the config says refresh tokens live %s: it may have expired, so this is too slow to judge the server (a loaded machine?)",
			what, Describe(t.Response), late.Round(time.Millisecond), lifetime)
	}
}

// AwaitRevoked asks the token-validity oracle whether an access token has
// stopped working, again and again until it has or the config's
// settle_time has passed (a clustered server's time to spread a
// revocation). It returns at once when the token is inactive; known is
// false when no oracle can tell.
func AwaitRevoked(c *check.C, accessToken string) (revoked, known bool) {
	deadline := time.Now().Add(c.Env.Target.Config.SettleTime)
	for {
		active, known := Active(c, accessToken)
		if !known || !active {
			return !active, known
		}
		if time.Now().After(deadline) {
			return false, true
		}
		c.Wait(min(250*time.Millisecond, time.Until(deadline)+time.Millisecond), "a revocation to spread (settle_time)")
	}
}

// Revoked is AwaitRevoked for a token that the oracle has seen active: an
// oracle that gives no telling answer any more (a 5xx, a 403, no answer)
// ends the check as ERROR, since a token that cannot be seen is not seen
// revoked.
func Revoked(c *check.C, accessToken string) bool {
	revoked, known := AwaitRevoked(c, accessToken)
	if !known {
		c.Fatalf("the oracle (%s) saw the access token as active before, and now gives no answer that tells whether it still is", oracleName(c))
	}
	return revoked
}

// Settle waits the config's settle_time before a probe that uses a token
// up (a refresh), so that a clustered server has spread a revocation.
func Settle(c *check.C) {
	if d := c.Env.Target.Config.SettleTime; d > 0 {
		c.Wait(d, "a revocation to spread (settle_time)")
	}
}

// PublicOr is the public client's role, or the confidential one when the
// config names no public client.
func PublicOr(c *check.C) string {
	if cl, _ := c.Env.Target.Client("public"); cl != nil {
		return "public"
	}
	return "confidential"
}

// Origin is scheme://host[:port] of a URL, lower-cased, or the URL itself
// when it has no host.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
