// Package refresh checks refresh tokens (RFC 6749 §6, §10.4; RFC 9700
// §4.14): CHECKS.md group 7.
package refresh

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// start gets a refresh token for role through the code flow, and skips
// when the server issues none.
func start(c *check.C, role string) (*target.Client, *steps.TokenResponse) {
	r, t := steps.Tokens(c, role)
	if t.RefreshToken == "" {
		c.Skipf("the server issued no refresh token to %s (scope %q)", r.Client.ID, r.Scope)
	}
	return r.Client, t
}

// RFC 9700 §4.14.2: refresh tokens for public clients "MUST be
// sender-constrained or use refresh token rotation".
var _ = check.It("REFRESH-ROTATION", func(c *check.C) {
	role := steps.PublicOr(c)
	cl, t0 := start(c, role)
	c.Note("refresh")
	t1 := steps.Refresh(c, cl, t0.RefreshToken, "")
	steps.MustIssue(c, t1, "RFC 6749 §6", "refreshing with a fresh refresh token")
	switch {
	case t1.RefreshToken != "" && t1.RefreshToken != t0.RefreshToken:
		c.Pass("the refresh issued a new refresh token")
	case role == target.RolePublic:
		c.Fail("RFC 9700 §4.14.2", "the public client %s got no new refresh token on refresh, and its tokens are not sender-constrained", cl.ID)
	default:
		c.Info("the confidential client %s got no new refresh token on refresh (allowed for confidential clients)", cl.ID)
	}
}, check.Control("refresh-no-rotation", check.Fail))

// RFC 9700 §4.14.2: with rotation, the server "invalidates the previous
// refresh token". A grace window is reported; only --slow probes past 5 s.
var _ = check.It("REFRESH-OLD-RT-INVALIDATED", func(c *check.C) {
	cl, t0 := start(c, steps.PublicOr(c))
	c.Note("refresh (rotate)")
	t1 := steps.Refresh(c, cl, t0.RefreshToken, "")
	if !t1.Issued() || t1.RefreshToken == "" || t1.RefreshToken == t0.RefreshToken {
		c.Skipf("the server does not rotate refresh tokens (see REFRESH-ROTATION)")
	}
	probes := []time.Duration{0, 5 * time.Second}
	if c.Env.Slow {
		probes = append(probes, 30*time.Second, 65*time.Second)
	}
	var since time.Time = time.Now()
	for _, at := range probes {
		if d := at - time.Since(since); d > 0 {
			c.Wait(d, "probing the grace window of the old refresh token")
		}
		c.Note("use the old refresh token %s after rotation", at)
		old := steps.Refresh(c, cl, t0.RefreshToken, "")
		if !old.Issued() {
			if at == 0 {
				c.Pass("the old refresh token was refused at once (%s)", steps.Describe(old.Response))
			} else {
				c.Info("the old refresh token worked until at least %s before, and was refused at %s", at-1, at)
				c.Pass("the old refresh token was refused %s after rotation", at)
			}
			return
		}
	}
	c.Fail("RFC 9700 §4.14.2", "the old refresh token still worked %s after rotation", probes[len(probes)-1])
}, check.Control("refresh-old-valid", check.Fail))

// RFC 9700 §4.14.2: if a rotated refresh token is used again, the server
// "will revoke the active refresh token".
var _ = check.It("REFRESH-REUSE-DETECTION", func(c *check.C) {
	cl, t0 := start(c, steps.PublicOr(c))
	c.Note("refresh (RT0 -> RT1)")
	t1 := steps.Refresh(c, cl, t0.RefreshToken, "")
	if !t1.Issued() || t1.RefreshToken == "" || t1.RefreshToken == t0.RefreshToken {
		c.Skipf("the server does not rotate refresh tokens (see REFRESH-ROTATION)")
	}
	c.Note("replay RT0")
	steps.Refresh(c, cl, t0.RefreshToken, "")
	steps.Settle(c)
	c.Note("use RT1 after the replay")
	t2 := steps.Refresh(c, cl, t1.RefreshToken, "")
	if t2.Issued() {
		c.Fail("RFC 9700 §4.14.2", "after the rotated refresh token was replayed, the newest one still works")
		return
	}
	c.Pass("after the replay of a rotated refresh token, the newest one was revoked (%s)", steps.Describe(t2.Response))
}, check.Control("refresh-no-reuse-detection", check.Fail))

// OAuth 2.1 §4.3.1: on reuse the server revokes the grant, access tokens
// included.
var _ = check.It("REFRESH-REUSE-REVOKES-ACCESS", func(c *check.C) {
	cl, t0 := start(c, steps.PublicOr(c))
	t1 := steps.Refresh(c, cl, t0.RefreshToken, "")
	if !t1.Issued() || t1.RefreshToken == "" || t1.RefreshToken == t0.RefreshToken {
		c.Skipf("the server does not rotate refresh tokens (see REFRESH-ROTATION)")
	}
	c.Note("replay RT0")
	steps.Refresh(c, cl, t0.RefreshToken, "")
	c.Note("is the access token of RT1 still active?")
	revoked, known := steps.AwaitRevoked(c, t1.AccessToken)
	active := !revoked
	switch {
	case !known:
		c.Skipf("no token-validity oracle: no introspection or userinfo endpoint")
	case active:
		c.Warn("OAuth 2.1 §4.3.1", "after refresh token reuse, the access token minted from the family is still active")
	default:
		c.Pass("after refresh token reuse, the family's access token is inactive")
	}
}, check.Control("refresh-reuse-keeps-access", check.Warn))

// RFC 9700 §4.14.2: parallel use of one refresh token must not fork the
// family into several valid branches.
var _ = check.It("REFRESH-CONCURRENT", func(c *check.C) {
	const parallel = 10
	cl, t0 := start(c, steps.PublicOr(c))
	tokenURL := steps.Metadata(c).TokenEndpoint
	c.HTTP.Warm(c, tokenURL, parallel)
	c.Note("refresh %d times at once", parallel)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t0.RefreshToken}}
	results := steps.Race(parallel, func() (*client.Response, error) {
		return steps.Send(c, tokenURL, cl, form, steps.AuthDefault)
	})
	distinct := map[string]bool{}
	for _, r := range results {
		if r.Err == nil {
			if t := steps.ParseToken(c, r.Resp); t.Issued() && t.RefreshToken != "" {
				distinct[t.RefreshToken] = true
			}
		}
	}
	if len(distinct) <= 1 {
		c.Pass("%d parallel refreshes yielded %d distinct refresh tokens", parallel, len(distinct))
		return
	}
	working := 0
	c.Note("do the branches work?")
	for rt := range distinct {
		if steps.Refresh(c, cl, rt, "").Issued() {
			working++
		}
	}
	if working > 1 {
		c.Fail("RFC 9700 §4.14.2", "%d parallel refreshes of one token forked the family: %d distinct refresh tokens, %d of them still work", parallel, len(distinct), working)
		return
	}
	c.Pass("%d parallel refreshes gave %d distinct refresh tokens, but at most one works", parallel, len(distinct))
}, check.Control("refresh-old-valid", check.Fail))

// RFC 6749 §6: the server MUST "validate the refresh token" and ensure
// it "was issued to the authenticated client".
var _ = check.It("REFRESH-CLIENT-BINDING", func(c *check.C) {
	ran := false
	for _, pair := range [][2]string{{target.RoleConfidential, target.RoleConfidential2}, {target.RolePublic, target.RolePublic2}} {
		other, _ := c.Env.Target.Client(pair[1])
		if cl, _ := c.Env.Target.Client(pair[0]); cl == nil || other == nil {
			continue
		}
		ran = true
		owner, t0 := start(c, pair[0])
		c.Note("refresh %s's token as %s", owner.ID, other.ID)
		t := steps.Refresh(c, other, t0.RefreshToken, "")
		switch e := t.OAuthError(); {
		case t.Issued():
			c.Fail("RFC 6749 §6", "%s's refresh token was used by %s", owner.ID, other.ID)
		case e == "invalid_grant" || e == "invalid_client":
			c.Pass("%s could not use %s's refresh token (%s)", other.ID, owner.ID, e)
		default:
			c.Warn("RFC 6749 §5.2", "%s could not use %s's refresh token, but the error was %s", other.ID, owner.ID, steps.Describe(t.Response))
		}
	}
	if !ran {
		c.Skipf("needs two confidential or two public clients")
	}
}, check.Control("refresh-not-client-bound", check.Fail))

// RFC 6749 §6: the server MUST "require client authentication for
// confidential clients".
var _ = check.It("REFRESH-CLIENT-AUTH-REQUIRED", func(c *check.C) {
	cl, t0 := start(c, target.RoleConfidential)
	if cl.Secret == "" {
		c.Skipf("the confidential client has no secret in the config")
	}
	tokenURL := steps.Metadata(c).TokenEndpoint
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t0.RefreshToken}}
	for _, try := range []struct {
		name string
		cl   *target.Client
		auth steps.Auth
	}{
		{"no credentials", nil, steps.AuthNone},
		{"client_id only", &target.Client{ID: cl.ID}, steps.AuthNone},
		{"a wrong secret in Basic", &target.Client{ID: cl.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}, steps.AuthBasic},
	} {
		c.Note("refresh with %s", try.name)
		t := steps.ParseToken(c, steps.Post(c, tokenURL, try.cl, form, try.auth))
		switch {
		case t.Issued():
			c.Fail("RFC 6749 §6", "refreshing %s's token with %s got tokens", cl.ID, try.name)
			return
		case t.OAuthError() == "invalid_client" || t.Status == http.StatusUnauthorized:
			c.Pass("%s: refused (%s)", try.name, steps.Describe(t.Response))
		default:
			c.Warn("RFC 6749 §5.2", "%s: refused with %s, not invalid_client", try.name, steps.Describe(t.Response))
		}
	}
}, check.Control("refresh-no-client-auth", check.Fail))

// RFC 6749 §6: the requested scope "MUST NOT include any scope not
// originally granted"; a new refresh token keeps the original scope.
var _ = check.It("REFRESH-SCOPE-NO-ESCALATION", func(c *check.C) {
	extra := c.Env.Target.Config.ExtraScope
	if extra == "" {
		c.Skipf("the config names no extra_scope (allowed for the clients but not granted)")
	}
	cl, t0 := start(c, steps.PublicOr(c))
	granted := c.Env.Target.Config.Scope
	c.Note("refresh asking for %q", granted+" "+extra)
	wide := steps.Refresh(c, cl, t0.RefreshToken, granted+" "+extra)
	switch {
	case wide.Issued() && hasAll(wide.Scope, extra):
		c.Fail("RFC 6749 §6", "a refresh asking for the ungranted scope %q got it: scope %q", extra, wide.Scope)
		return
	case wide.Issued():
		c.Warn("RFC 6749 §6", "a refresh asking for the ungranted scope %q got tokens (scope %q) instead of invalid_scope", extra, wide.Scope)
		return
	case wide.OAuthError() != "invalid_scope":
		c.Warn("RFC 6749 §5.2", "a refresh asking for more scope was refused with %s, not invalid_scope", steps.Describe(wide.Response))
	default:
		c.Pass("a refresh asking for the ungranted scope %q was refused with invalid_scope", extra)
	}
	rt := t0.RefreshToken
	if fields := strings.Fields(granted); len(fields) > 1 {
		c.Note("refresh asking for a subset")
		narrow := steps.Refresh(c, cl, rt, fields[0])
		if narrow.Issued() {
			if narrow.RefreshToken != "" {
				rt = narrow.RefreshToken
			}
			if narrow.Scope != "" && narrow.Scope != fields[0] {
				c.Info("a refresh asking for %q got scope %q", fields[0], narrow.Scope)
			}
		}
	}
	c.Note("refresh with no scope")
	back := steps.Refresh(c, cl, rt, "")
	if back.Issued() && back.Scope != "" && !hasAll(back.Scope, granted) {
		c.Fail("RFC 6749 §6", "after narrowing, a refresh without scope got %q, not the original %q", back.Scope, granted)
	}
}, check.Control("refresh-scope-escalation", check.Fail))

func hasAll(have, want string) bool {
	for _, w := range strings.Fields(want) {
		if !strings.Contains(" "+have+" ", " "+w+" ") {
			return false
		}
	}
	return true
}

// RFC 9700 §4.14.2: refresh tokens "SHOULD expire if the client has been
// inactive for some time". Tested when the config gives refresh_lifetime.
var _ = check.It("REFRESH-LIFECYCLE", func(c *check.C) {
	lifetime := c.Env.Target.Config.RefreshLifetime
	if lifetime == 0 {
		c.Skipf("the config gives no refresh_lifetime, so idle expiry cannot be probed; logout revocation needs a logout endpoint (not tested)")
	}
	wait := lifetime + lifetime/10 + time.Second
	if wait > check.MaxQuickWait && !c.Env.Slow {
		c.Skipf("needs to wait %s for the refresh token to expire; run with --slow", wait)
	}
	cl, t0 := start(c, steps.PublicOr(c))
	c.Wait(wait, "the refresh token's idle lifetime")
	c.Note("refresh after %s idle", wait)
	if t := steps.Refresh(c, cl, t0.RefreshToken, ""); t.Issued() {
		c.Warn("RFC 9700 §4.14.2", "a refresh token unused for %s, past the configured refresh_lifetime %s, still works", wait, lifetime)
		return
	}
	c.Pass("a refresh token unused for %s was refused", wait)
}, check.Slow, check.Control("refresh-no-expiry", check.Warn))
