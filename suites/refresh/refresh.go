// Package refresh checks refresh tokens (RFC 6749 §6, §10.4; RFC 9700
// §4.14): CHECKS.md group 7.
package refresh

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// The checks that present a used refresh token (a replay, a race, an old
// token after rotation) use the second public client when the config has
// one: no other check holds a refresh token of it, so they run beside the
// flow's other checks and the run's other flows, one replay check at a
// time (replays). Without it they use the public client, which other
// checks use too, and run by themselves: Last, one after another, after
// the flow's other checks, and after the run's other flows
// (AwaitOtherFlows). A server may answer a replay by revoking every token
// of the person and client (better-auth's invalidateRefreshFamily does),
// and a check beside it, in any flow, would see its fresh token refused
// and take that for the server's fault, or see its tokens revoked and take
// that for the server's doing. REFRESH-LIFECYCLE's logout waits for them.

const replayWhy = "a server may answer a used refresh token by revoking every token of the person and client"

// apart reports whether the config names a second public client, whose
// refresh tokens only the replay checks hold.
func apart(env *check.Env) bool {
	cl, _ := env.Target.Client(target.RolePublic2)
	return cl != nil
}

// replays is how a replay check shares the flow's time: beside the
// others, one replay check at a time, when the replays are the second
// public client's; else Last. Beside the others they are Long: one after
// another, with their waits (up to 4 s each), they are the flow's longest
// chain, so they start first and take the browser first.
var replays = check.When(apart, check.Uses("public2-refresh-tokens").And(check.Long), check.Last)

// replayRole is the client whose refresh tokens a replay check presents.
// For the public client, it first waits for the run's other flows, which
// may hold tokens of it.
func replayRole(c *check.C) string {
	if apart(c.Env) {
		return target.RolePublic2
	}
	c.AwaitOtherFlows(replayWhy)
	return steps.PublicOr(c)
}

// start gets a refresh token for role through the code flow, asking for
// offline_access when the server wants it, and skips when the server
// issues none.
func start(c *check.C, role string) (*target.Client, *steps.TokenResponse) {
	r, t := steps.RefreshTokens(c, role)
	return r.Client, t
}

// startReplay is start for a replay check, with replayRole's client. Its
// browser steps end there: it gives the browser back before its waits.
// Its replays may make the server revoke the grant of that client in the
// session (ReleaseBrowser), which is safe here: the replay checks run one
// at a time (replays), on the second public client, which no other check
// authorizes, or, without one, last and after the other flows have ended;
// so no check takes the session while a replay may still revoke.
func startReplay(c *check.C) (*target.Client, *steps.TokenResponse) {
	cl, t0 := start(c, replayRole(c))
	c.ReleaseBrowser()
	return cl, t0
}

// rotate refreshes t0's refresh token once and returns the answer and
// when it arrived; it skips when the server does not rotate.
func rotate(c *check.C, cl *target.Client, t0 *steps.TokenResponse) (*steps.TokenResponse, time.Time) {
	c.Note("refresh (rotate RT0 to RT1)")
	t1 := steps.Refresh(c, cl, t0.RefreshToken, "")
	at := time.Now()
	steps.MustIssue(c, t1, "RFC 6749 §6", "refreshing with a fresh refresh token")
	if t1.RefreshToken == "" || t1.RefreshToken == t0.RefreshToken {
		c.Skipf("the server does not rotate refresh tokens (see REFRESH-ROTATION)")
	}
	return t1, at
}

// stepGap is the time REFRESH-REUSE-DETECTION leaves between its steps,
// as the catalogue asks: 2 s, or the config's settle_time when longer.
func stepGap(c *check.C) time.Duration { return max(2*time.Second, c.Env.Target.Config.SettleTime) }

// replayProbes are the probes of a rotated refresh token in
// REFRESH-REUSE-DETECTION: those of REFRESH-OLD-RT-INVALIDATED after the
// first, so that the first replay comes 2 s after the rotation, as the
// catalogue leaves 2–3 s between its steps.
func replayProbes(c *check.C) []time.Duration { return steps.RotatedProbes(c.Env.Slow)[1:] }

// replay replays the rotated refresh token of t0 at the offsets after the
// rotation, until the server refuses it: a replay it accepts inside a
// grace window is not the reuse under test. It skips when the server
// never refuses it, and records the grace window seen.
func replay(c *check.C, cl *target.Client, t0 *steps.TokenResponse, rotated time.Time, offsets []time.Duration) *steps.Rotated {
	p := steps.ProbeRotated(c, cl, t0.RefreshToken, rotated, offsets)
	switch {
	case p.Refusal == nil:
		c.Skipf("the rotated refresh token still got tokens %s after the rotation, so no replay could be told from a use inside a grace window (see REFRESH-OLD-RT-INVALIDATED)", p.Last)
	case p.Accepted > 0:
		c.Info("grace window: %s; the replay under test is the refused one", p.Window())
	}
	return p
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
}, check.Control("refresh-no-rotation", check.Fail),
	check.Quirk("refresh-offline-access", check.Pass))

// RFC 9700 §4.14.2: with rotation, the server "invalidates the previous
// refresh token". A grace window (a rotated token kept for a lost
// response) is probed at growing gaps and reported; a window under 30 s is
// seen the same in a quick and a slow run.
var _ = check.It("REFRESH-OLD-RT-INVALIDATED", func(c *check.C) {
	cl, t0 := startReplay(c)
	_, rotated := rotate(c, cl, t0)
	p := steps.ProbeRotated(c, cl, t0.RefreshToken, rotated, steps.RotatedProbes(c.Env.Slow))
	switch {
	case p.Refusal == nil && cl.Secret != "":
		// The config has no public client: RFC 9700 §4.14.2 asks rotation
		// of public clients only.
		c.Info("the old refresh token of the confidential client %s still worked %s after a refresh that issued a new one (probed %d times); RFC 9700 §4.14.2 asks rotation of public clients only, and the config names none", cl.ID, p.Last, p.Accepted)
		return
	case p.Refusal == nil:
		c.Fail("RFC 9700 §4.14.2", "the old refresh token still worked %s after rotation (probed %d times from 0 s on)", p.Last, p.Accepted)
		return
	}
	if p.Accepted > 0 {
		c.Info("grace window: %s", p.Window())
	}
	switch e := p.Refusal.OAuthError(); {
	case e == "invalid_grant" && p.Accepted == 0:
		c.Pass("the old refresh token was refused at once after rotation (%s)", steps.Describe(p.Refusal.Response))
	case e == "invalid_grant":
		c.Pass("the old refresh token was refused %s after rotation (%s)", p.RefusedAt, steps.Describe(p.Refusal.Response))
	default:
		c.Warn("RFC 6749 §5.2", "the old refresh token was refused %s after rotation, but with %s instead of invalid_grant", p.RefusedAt, steps.Describe(p.Refusal.Response))
	}
}, replays, check.Control("refresh-old-valid", check.Fail).With(check.RefOptions{RefreshTTL: 2 * time.Minute}),
	check.Quirk("refresh-grace-10s", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass))

// RFC 9700 §4.14.2: "If a refresh token is compromised and subsequently
// used by both the attacker and the legitimate client, one of them will
// present an invalidated refresh token, which will inform the
// authorization server of the breach. The authorization server cannot
// determine which party submitted the invalid refresh token, but it will
// revoke the active refresh token."
var _ = check.It("REFRESH-REUSE-DETECTION", func(c *check.C) {
	cl, t0 := startReplay(c)
	t1, rotated := rotate(c, cl, t0)
	p := replay(c, cl, t0, rotated, replayProbes(c))
	newest := t1
	if p.Newest != nil && p.Newest.RefreshToken != "" {
		newest = p.Newest // the grace window's answers are the family's newest tokens
	}
	c.Wait(stepGap(c), "the catalogue's gap between the replay and the next step (and settle_time)")
	c.Note("use the family's newest refresh token after the replay")
	t2 := steps.Refresh(c, cl, newest.RefreshToken, "")
	if !steps.NotIssued(c, t2, "the refresh with the family's newest refresh token") {
		c.Fail("RFC 9700 §4.14.2", "the rotated refresh token was replayed %s after the rotation and refused, yet the family's newest refresh token still works %s later", p.RefusedAt, stepGap(c))
		return
	}
	c.Pass("after the rotated refresh token was replayed (refused %s after the rotation), the family's newest refresh token was refused (%s)", p.RefusedAt, steps.Describe(t2.Response))
}, replays, check.Control("refresh-no-reuse-detection", check.Fail),
	check.Quirk("refresh-grace-10s", check.Pass),
	check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass))

// OAuth 2.1 §4.3.1: on reuse the server revokes the grant, access tokens
// included. The catalogue sets no gap here: the replay is probed from the
// rotation on, as REFRESH-OLD-RT-INVALIDATED does, and a replay accepted
// inside a grace window is not the one under test.
var _ = check.It("REFRESH-REUSE-REVOKES-ACCESS", func(c *check.C) {
	cl, t0 := startReplay(c)
	t1, rotated := rotate(c, cl, t0)
	steps.ProveActive(c, t1.AccessToken)
	p := replay(c, cl, t0, rotated, steps.RotatedProbes(c.Env.Slow))
	c.Note("is AT1, the access token of RT1, still active after the replay?")
	revoked, known := steps.AwaitRevoked(c, t1.AccessToken)
	switch {
	case !known:
		c.Fatalf("the token-validity oracle that saw AT1 as active no longer answers for it")
	case !revoked:
		c.Warn("OAuth 2.1 §4.3.1", "the rotated refresh token was replayed %s after the rotation and refused, yet the family's access token AT1 is still active", p.RefusedAt)
	default:
		c.Pass("after the rotated refresh token was replayed (refused %s after the rotation), the family's access token AT1 is inactive", p.RefusedAt)
	}
}, replays, check.Control("refresh-reuse-keeps-access", check.Warn),
	check.Quirk("refresh-grace-10s", check.Pass),
	check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass))

// RFC 9700 §4.14.2: parallel use of one refresh token must not fork the
// family into several valid branches. A server that keeps a rotated token
// usable for a grace window forks it there by design: that is the
// window's doing (WARN, with the window), not a missing invalidation.
var _ = check.It("REFRESH-CONCURRENT", func(c *check.C) {
	const parallel = 10
	cl, t0 := startReplay(c)
	tokenURL := steps.Metadata(c).TokenEndpoint
	c.HTTP.Warm(c, tokenURL, parallel)
	c.Note("refresh %d times at once", parallel)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t0.RefreshToken}}
	results := steps.Race(parallel, func() (*client.Response, error) {
		return steps.Send(c, tokenURL, cl, form, steps.AuthDefault)
	})
	raced := time.Now()
	distinct := map[string]bool{}
	for _, r := range results {
		c.Require(r.Err, "refresh")
		t := steps.ParseToken(c, r.Resp)
		// Behind an answer that tells nothing, the server may have issued
		// a branch all the same.
		steps.MustTell(c, r.Resp, "a raced refresh")
		if t.Issued() && t.RefreshToken != "" {
			distinct[t.RefreshToken] = true
		}
	}
	if len(distinct) <= 1 {
		c.Pass("%d parallel refreshes yielded %d distinct refresh tokens", parallel, len(distinct))
		return
	}
	working := 0
	c.Note("do the branches work?")
	for rt := range distinct {
		if !steps.NotIssued(c, steps.Refresh(c, cl, rt, ""), "the refresh with a branch's refresh token") {
			working++
		}
	}
	if working <= 1 {
		c.Pass("%d parallel refreshes gave %d distinct refresh tokens, but at most one works", parallel, len(distinct))
		return
	}
	c.Note("is the raced refresh token kept for a grace window, or never invalidated?")
	p := steps.ProbeRotated(c, cl, t0.RefreshToken, raced, steps.RotatedProbes(c.Env.Slow))
	if p.Refusal == nil {
		c.Fail("RFC 9700 §4.14.2", "%d parallel refreshes of one token forked the family: %d distinct refresh tokens, %d of them still work, and the raced token itself still worked %s later",
			parallel, len(distinct), working, p.Last)
		return
	}
	c.Warn("RFC 9700 §4.14.2", "%d parallel refreshes of one token forked the family into %d distinct refresh tokens, %d of them working: the server keeps a rotated refresh token usable for a grace window (%s), inside which every use mints a new branch",
		parallel, len(distinct), working, p.Window())
}, replays, check.Control("refresh-old-valid", check.Fail).With(check.RefOptions{RefreshTTL: 2 * time.Minute}),
	check.Quirk("refresh-grace-10s", check.Warn),
	check.Quirk("refresh-offline-access", check.Pass))

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
}, check.Control("refresh-not-client-bound", check.Fail),
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)

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
			// Another refusal may be the token's expiry, not the client's.
			steps.MustBeLive(c, t0.RefreshToken, t, "refreshing with "+try.name)
			c.Warn("RFC 6749 §5.2", "%s: refused with %s, not invalid_client", try.name, steps.Describe(t.Response))
		}
	}
}, check.Control("refresh-no-client-auth", check.Fail),
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)

// RFC 6749 §6: the requested scope "MUST NOT include any scope not
// originally granted"; a new refresh token keeps the original scope.
var _ = check.It("REFRESH-SCOPE-NO-ESCALATION", func(c *check.C) {
	extra := c.Env.Target.Config.ExtraScope
	if extra == "" {
		c.Skipf("the config names no extra_scope (allowed for the clients but not granted)")
	}
	r, t0 := steps.RefreshTokens(c, steps.PublicOr(c))
	cl, granted := r.Client, r.Scope
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
}, check.Control("refresh-scope-escalation", check.Fail),
	check.Quirk("refresh-offline-access", check.Pass),
	check.Quirk("scope-reordered", check.Pass))

func hasAll(have, want string) bool {
	for _, w := range strings.Fields(want) {
		if !strings.Contains(" "+have+" ", " "+w+" ") {
			return false
		}
	}
	return true
}

// RFC 9700 §4.14.2: refresh tokens "MAY be revoked ... when the user logs
// out" (a), and "SHOULD expire if the client has been inactive for some
// time" (b). (b) needs the config's refresh_lifetime, and waits it out.
// (a) logs out at the end_session_endpoint in the browser and refreshes:
// PASS when the token was revoked, INFO when it still works. The check
// starts first (Long), so that (b)'s wait overlaps the other checks. A
// server may end every session and token of the person and client at a
// logout (the zitadel example OP does), so the logout comes last, in its
// flow (AwaitAloneInFlow: the Last checks start after it) and in the run
// (AwaitOtherFlows): a check beside it would see its own tokens die and
// take that for its own doing.
var _ = check.It("REFRESH-LIFECYCLE", func(c *check.C) {
	role := steps.PublicOr(c)
	logout, idle := logoutPlan(c), idlePlan(c)
	if logout != "" && idle != "" {
		c.Skipf("%s; %s", logout, idle)
	}
	if idle == "" {
		idleExpiry(c, role)
	} else {
		c.Note("(b) not probed: %s", idle)
	}
	if logout == "" {
		const why = "a logout may end the tokens of every session of the person"
		c.AwaitAloneInFlow(why)
		c.AwaitOtherFlows(why)
		revokedOnLogout(c, role)
	} else {
		c.Note("(a) not probed: %s", logout)
	}
}, check.Slow, check.Long, check.Control("refresh-no-expiry", check.Warn),
	check.Quirk("logout-keeps-refresh", check.Pass), check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass))

// logoutPlan says why REFRESH-LIFECYCLE cannot log out, or "" when it can.
func logoutPlan(c *check.C) string {
	if steps.Metadata(c).EndSessionEndpoint == "" {
		return "the metadata names no end_session_endpoint to log out at"
	}
	return ""
}

// idlePlan says why REFRESH-LIFECYCLE cannot wait out the idle lifetime,
// or "" when it can.
func idlePlan(c *check.C) string {
	lifetime := c.Env.Target.Config.RefreshLifetime
	switch {
	case lifetime == 0:
		return "the config gives no refresh_lifetime, so idle expiry cannot be probed"
	case idleWait(lifetime) > check.MaxQuickWait && !c.Env.Slow:
		return fmt.Sprintf("idle expiry needs a wait of %s; run with --slow", idleWait(lifetime))
	}
	return ""
}

// idleWait is how long a refresh token is left unused: its configured
// lifetime and a tenth, and a second.
func idleWait(lifetime time.Duration) time.Duration { return lifetime + lifetime/10 + time.Second }

// revokedOnLogout is (a) of REFRESH-LIFECYCLE. The logout counts only when
// the next authorization in the same browser asks for a login again.
func revokedOnLogout(c *check.C, role string) {
	r, t := steps.RefreshTokens(c, role)
	q := url.Values{"client_id": {r.Client.ID}}
	if t.IDToken != "" {
		q.Set("id_token_hint", t.IDToken)
	}
	end := steps.Metadata(c).EndSessionEndpoint
	u, err := url.Parse(end)
	c.Require(err, "parse the end_session_endpoint")
	u.RawQuery = q.Encode()
	c.Note("(a) log out at the end_session_endpoint in the browser")
	sess := c.Session()
	confirmed, err := sess.Logout(c, u.String())
	c.Require(err, "open the end_session_endpoint")
	if confirmed {
		c.Note("confirmed the sign-out")
	}
	c.Note("authorize again: a login shows that the session ended")
	again := steps.NewAuthRequest(c, role)
	again.Scope, again.Extra = r.Scope, r.Extra
	w := &loginWatch{Actor: c.Env.Actor}
	if _, err := sess.Authorize(c, again.URL(c), []string{again.RedirectURI}, w, steps.Task(c)); err != nil {
		c.Screenshot(sess, "the authorization after the logout")
		c.Fatalf("could not authorize after the logout: %v", err)
	}
	if !w.loggedIn {
		c.Screenshot(sess, "the page of the end_session_endpoint")
		c.Info("(a) not judged: after the browser opened the end_session_endpoint, the next authorization needed no login, so the session did not end (a page that wants more than a \"Sign out\" click?)")
		return
	}
	steps.Settle(c)
	c.Note("refresh with the refresh token issued before the logout")
	if !steps.NotIssued(c, steps.Refresh(c, r.Client, t.RefreshToken, ""), "(a) the refresh after the logout") {
		c.Info("(a) the refresh token still works after the person logged out at the end_session_endpoint (allowed: RFC 9700 §4.14.2 says MAY revoke)")
		return
	}
	c.Pass("(a) the refresh token was revoked when the person logged out at the end_session_endpoint")
}

// loginWatch is the run's actor, noting whether it was asked to log in:
// it logged in, or acted on a page with a password field (a login script
// may name its steps as it likes).
type loginWatch struct {
	browser.Actor
	loggedIn bool
}

func (w *loginWatch) Act(ctx context.Context, p *browser.Page, t browser.Task) (browser.Action, error) {
	password := p.Has(`input[type=password]`)
	did, err := w.Actor.Act(ctx, p, t)
	if did == browser.ActLogin || (did != browser.ActNone && password) {
		w.loggedIn = true
	}
	return did, err
}

// idleExpiry is (b) of REFRESH-LIFECYCLE: a refresh token left unused past
// the configured refresh_lifetime must be refused.
func idleExpiry(c *check.C, role string) {
	lifetime := c.Env.Target.Config.RefreshLifetime
	wait := idleWait(lifetime)
	cl, t0 := start(c, role)
	c.ReleaseBrowser() // not held through the wait
	c.Wait(wait, "the refresh token's idle lifetime")
	c.Note("(b) refresh after %s idle", wait)
	if t := steps.RefreshIdle(c, cl, t0.RefreshToken, ""); !steps.NotIssued(c, t, "(b) the refresh after the idle time") {
		c.Warn("RFC 9700 §4.14.2", "(b) a refresh token unused for %s, past the configured refresh_lifetime %s, still works", wait, lifetime)
		return
	}
	c.Pass("(b) a refresh token unused for %s was refused", wait)
}
