// Package authcode checks the authorization code grant (RFC 6749 §4.1,
// §3.1.2, §10): CHECKS.md group 2.
package authcode

import (
	"net/http"
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
	steps.MustRedeem(c, r, first, "redeeming a fresh code")
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
	steps.MustRedeem(c, r, first, "redeeming a fresh code")
	// The oracle must see the fresh access token as active before it can
	// tell a revoked one; without an oracle, the refresh token alone tells.
	oracle := true
	if first.RefreshToken == "" {
		steps.ProveActive(c, first.AccessToken)
	} else {
		c.Note("is the fresh access token active? (the oracle must know it before it can tell it revoked)")
		switch active, known := steps.Active(c, first.AccessToken); {
		case !known:
			oracle = false
			c.Info("no token-validity oracle (introspection, userinfo) answers for the access token, so only the refresh token is checked")
		case !active:
			c.Fatalf("the oracle (introspection, userinfo) does not see a fresh access token as active, so it cannot tell whether a revocation took effect")
		}
	}
	c.Note("replay the code")
	steps.Exchange(c, r, code)
	replayed := time.Now()
	// A revocation may take settle_time to spread through a cluster: the
	// oracle is asked again until then, and the refresh token is tried
	// only once it has passed.
	atActive := false
	if oracle {
		c.Note("is the first access token still active?")
		atActive = !steps.Revoked(c, first.AccessToken)
	}
	rtWorks := false
	if first.RefreshToken != "" {
		if d := time.Until(replayed.Add(c.Env.Target.Config.SettleTime)); d > 0 {
			c.Wait(d, "a revocation to spread (settle_time)")
		}
		c.Note("does the first refresh token still work?")
		rtWorks = !steps.NotIssued(c, steps.Refresh(c, r.Client, first.RefreshToken, ""), "the refresh with the first refresh token")
	}
	if atActive {
		c.Warn("RFC 6749 §4.1.2", "after the code was replayed, the access token issued from it is still active")
	}
	if rtWorks {
		c.Warn("RFC 6749 §4.1.2", "after the code was replayed, the refresh token issued from it still works")
	}
	if !atActive && !rtWorks {
		c.Pass("the replay revoked the tokens issued from the code (%s)", revokedWhat(oracle, first.RefreshToken != ""))
	}
}, check.Control("code-replay-keeps-tokens", check.Warn),
	check.Quirk("revocation-eventual", check.Pass),
	// It presents the refresh token that the replay should have revoked.
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)

// revokedWhat names the tokens a revocation was seen on.
func revokedWhat(accessChecked, refreshChecked bool) string {
	switch {
	case accessChecked && refreshChecked:
		return "the access token is inactive and the refresh token refused"
	case refreshChecked:
		return "the refresh token is refused"
	}
	return "the access token is inactive"
}

// concurrentRounds is how many races AUTHCODE-CONCURRENT-REDEEM wants with
// a winner; maxRaces bounds the races it runs to get them.
const concurrentRounds, maxRaces = 3, 6

// RFC 6749 §4.1.2, §10.5: single use must hold when redemptions race.
// A race may be lost by luck, so it is run a few times with fresh codes; a
// race that nobody won tells nothing, and is run again.
var _ = check.It("AUTHCODE-CONCURRENT-REDEEM", func(c *check.C) {
	const parallel = 12
	tokenURL := steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint)
	won, races := 0, 0
	for won < concurrentRounds && races < maxRaces {
		races++
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		code := steps.Code(c, r)
		c.HTTP.Warm(c, tokenURL, parallel)
		c.Note("race %d: redeem the code %d times at once", races, parallel)
		form := r.ExchangeForm(code)
		results := steps.Race(parallel, func() (*client.Response, error) {
			return steps.Send(c, tokenURL, r.Client, form, steps.AuthDefault)
		})
		var winner *steps.TokenResponse
		// untold are the redemptions without an answer that tells: no
		// answer, or one such as a gateway's 504, behind which the server
		// may have issued tokens all the same.
		wins, errs, untold := 0, 0, 0
		for _, res := range results {
			if res.Err != nil {
				errs++
				untold++
				continue
			}
			switch t := steps.ParseToken(c, res.Resp); {
			case t.Issued():
				wins++
				winner = t
			case steps.Untelling(t.Status) || t.Status < http.StatusBadRequest:
				untold++
			}
		}
		switch {
		case wins > 1:
			c.Fail("RFC 6749 §4.1.2", "race %d: %d of %d parallel redemptions of one code got tokens", races, wins, parallel)
			return
		case wins == 0 && errs == parallel:
			c.Fatalf("race %d: none of the %d parallel redemptions got an answer", races, parallel)
		case wins == 0:
			c.Info("race %d: none of the %d parallel redemptions of a fresh code got tokens, so it tells nothing; it is run again with a new code", races, parallel)
			continue
		case untold > 0:
			c.Info("race %d: %d of the %d parallel redemptions got no answer that tells (no answer, a 429 or a gateway's 5xx), so it tells nothing; it is run again with a new code", races, untold, parallel)
			continue
		}
		won++
		if won == 1 {
			noteWinnerRevoked(c, winner.AccessToken)
		}
	}
	if won == 0 {
		c.Fatalf("in %d races, none was won by one redemption with a telling answer to every other: single use could not be seen", races)
	}
	c.Pass("in %d races that one redemption won, of %d parallel redemptions of one code each, no code gave tokens twice", won, parallel)
}, check.Control("code-reuse", check.Fail),
	check.Quirk("revocation-eventual", check.Pass))

// noteWinnerRevoked records whether the tokens of a race's winner were
// revoked afterwards, the losers' redemptions being replays of its code.
func noteWinnerRevoked(c *check.C, accessToken string) {
	c.Note("were the winner's tokens revoked afterwards?")
	switch revoked, known := steps.AwaitRevoked(c, accessToken); {
	case !known:
	case revoked:
		c.Info("the winner's access token was revoked afterwards: the server took the losing redemptions for replays of the code")
	default:
		c.Info("the winner's access token is still active after the race")
	}
}

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
	c.ReleaseBrowser() // not held through the wait
	c.Wait(wait, "the authorization code to expire")
	c.Note("redeem the code after %s", wait)
	late := steps.Exchange(c, r, code)
	switch {
	case !steps.NotIssued(c, late, "the redemption of the old code"):
		c.Warn("RFC 6749 §4.1.2", "a code %s old was still exchanged for tokens", wait)
	case late.OAuthError() == "invalid_grant":
		c.Pass("a code %s old was refused with invalid_grant", wait)
	default:
		c.Pass("a code %s old was refused (%s)", wait, steps.Describe(late.Response))
	}
}, check.Slow, check.Control("code-no-expiry", check.Warn), check.Long)
