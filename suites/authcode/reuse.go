// Package authcode checks the authorization code grant (RFC 6749 §4.1,
// §3.1.2, §10): CHECKS.md group 2.
package authcode

import (
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 6749 §4.1.2: "The client MUST NOT use the authorization code more
// than once. If an authorization code is used more than once, the
// authorization server MUST deny the request".
var _ = check.It("AUTHCODE-CODE-REUSE", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	code := steps.Code(c, r)
	c.Note("redeem the code")
	first := steps.Exchange(c, r, code)
	steps.MustIssue(c, first, "RFC 6749 §4.1.3", "redeeming a fresh code")
	c.Note("replay the same code with identical parameters")
	replay := steps.Exchange(c, r, code)
	steps.Refused(c, replay, "RFC 6749 §4.1.2", "the replayed code", "invalid_grant")
}, check.Control("code-reuse", check.Fail))

// RFC 6749 §4.1.2: on a reused code the server "SHOULD revoke (when
// possible) all tokens previously issued based on that authorization code".
var _ = check.It("AUTHCODE-REUSE-REVOKES-TOKENS", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	code := steps.Code(c, r)
	c.Note("redeem the code")
	first := steps.Exchange(c, r, code)
	steps.MustIssue(c, first, "RFC 6749 §4.1.3", "redeeming a fresh code")
	c.Note("replay the code")
	steps.Exchange(c, r, code)
	// Revocation may take a moment to spread through a cluster: the
	// oracle is asked again within settle_time.
	c.Note("is the first access token still active?")
	revoked, known := steps.AwaitRevoked(c, first.AccessToken)
	active := !revoked
	refreshWorks := false
	if first.RefreshToken != "" {
		c.Note("does the first refresh token still work?")
		refreshWorks = steps.Refresh(c, r.Client, first.RefreshToken, "").Issued()
	}
	switch {
	case !known && first.RefreshToken == "":
		c.Skipf("no way to tell whether tokens were revoked: no introspection or userinfo endpoint, and no refresh token")
	case active && known:
		c.Warn("RFC 6749 §4.1.2", "after the code was replayed, the access token issued from it is still active")
	}
	if refreshWorks {
		c.Warn("RFC 6749 §4.1.2", "after the code was replayed, the refresh token issued from it still works")
	}
	if !(active && known) && !refreshWorks {
		c.Pass("the replay revoked the tokens issued from the code")
	}
}, check.Control("code-replay-keeps-tokens", check.Warn))

// RFC 6749 §4.1.2, §10.5: single use must hold when redemptions race.
// A race may be lost by luck, so it is run a few times with fresh codes.
var _ = check.It("AUTHCODE-CONCURRENT-REDEEM", func(c *check.C) {
	const parallel, rounds = 12, 3
	tokenURL := steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint)
	for round := 1; round <= rounds; round++ {
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		code := steps.Code(c, r)
		c.HTTP.Warm(c, tokenURL, parallel)
		c.Note("round %d: redeem the code %d times at once", round, parallel)
		form := r.ExchangeForm(code)
		results := steps.Race(parallel, func() (*client.Response, error) {
			return steps.Send(c, tokenURL, r.Client, form, steps.AuthDefault)
		})
		wins, errs := 0, 0
		for _, res := range results {
			switch {
			case res.Err != nil:
				errs++
			case steps.ParseToken(c, res.Resp).Issued():
				wins++
			}
		}
		switch {
		case wins > 1:
			c.Fail("RFC 6749 §4.1.2", "round %d: %d of %d parallel redemptions of one code got tokens", round, wins, parallel)
			return
		case wins == 0 && errs == parallel:
			c.Fatalf("round %d: none of the %d parallel redemptions got an answer", round, parallel)
		case wins == 0:
			c.Info("round %d: none of the %d parallel redemptions got tokens", round, parallel)
		}
	}
	c.Pass("in %d rounds of %d parallel redemptions of one code, no code gave tokens twice", rounds, parallel)
}, check.Control("code-reuse", check.Fail))

// RFC 6749 §4.1.2: "The authorization code MUST expire shortly after it
// is issued ... A maximum authorization code lifetime of 10 minutes is
// RECOMMENDED."
var _ = check.It("AUTHCODE-EXPIRY", func(c *check.C) {
	lifetime := c.Env.Target.Config.CodeLifetime
	wait := lifetime + lifetime/10 + time.Second
	if lifetime == 0 {
		wait = 11 * time.Minute
	}
	if wait > check.MaxQuickWait && !c.Env.Slow {
		c.Skipf("needs to wait %s for the code to expire; run with --slow, or set code_lifetime in the config", wait)
	}
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	code := steps.Code(c, r)
	c.Wait(wait, "the authorization code to expire")
	c.Note("redeem the code after %s", wait)
	late := steps.Exchange(c, r, code)
	switch {
	case late.Issued():
		c.Warn("RFC 6749 §4.1.2", "a code %s old was still exchanged for tokens", wait)
	case late.OAuthError() == "invalid_grant":
		c.Pass("a code %s old was refused with invalid_grant", wait)
	default:
		c.Pass("a code %s old was refused (%s)", wait, steps.Describe(late.Response))
	}
}, check.Slow, check.Control("code-no-expiry", check.Warn))
