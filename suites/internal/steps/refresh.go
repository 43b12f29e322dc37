package steps

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// ScopeOfflineAccess is the scope with which a client asks for a refresh
// token at servers that issue one only on request (OpenID Connect Core
// §11).
const ScopeOfflineAccess = "offline_access"

// RefreshTurns keeps apart, across the run's flows, the checks that hold
// a refresh token of the confidential client and judge what becomes of it
// (or, as TOKEN-ENTROPY, get many of them), and those that present a
// revoked one (at the token or the revocation endpoint): a server may
// answer a revoked refresh token by revoking every refresh token of the
// person and client (better-auth's invalidateRefreshFamily, in
// @better-auth/oauth-provider's dist/authorize-*.mjs), and a check beside
// it, in any flow, would find its own token dead, or a fresh code refused
// ("grant revoked during token issuance"), and blame the step it took. The
// refresh checks that replay used tokens replay the second public
// client's, or wait for the other flows (package refresh's replays).
var RefreshTurns = check.UsesInRun("refresh-tokens")

// RefreshTokens gets tokens with a refresh token for role through the code
// flow. When the first authorization gives no refresh token, did not ask
// for offline_access, and the metadata's scopes_supported lists it, it
// authorizes once more asking for offline_access too (with prompt=consent
// when openid is asked for, as OpenID Connect Core §11 wants). It skips
// the check when no refresh token comes, saying how it asked.
func RefreshTokens(c *check.C, role string) (*AuthRequest, *TokenResponse) {
	r, t := Tokens(c, role)
	if t.RefreshToken != "" {
		return r, t
	}
	if HasScope(r.Scope, ScopeOfflineAccess) || !slices.Contains(Metadata(c).ScopesSupported, ScopeOfflineAccess) {
		c.Skipf("the server issued no refresh token to %s (scope %q)", r.Client.ID, r.Scope)
	}
	r = NewAuthRequest(c, role)
	r.Scope = strings.TrimSpace(r.Scope + " " + ScopeOfflineAccess)
	if HasScope(r.Scope, "openid") {
		if r.Extra == nil {
			r.Extra = url.Values{}
		}
		r.Extra.Set("prompt", "consent")
	}
	c.Note("no refresh token for scope %q: authorize again, asking for %s too (scopes_supported lists it)", c.Env.Target.Config.Scope, ScopeOfflineAccess)
	code := Code(c, r)
	c.Note("redeem the code")
	t = Exchange(c, r, code)
	MustRedeem(c, r, t, "redeeming a fresh code as "+r.Client.ID)
	if t.RefreshToken == "" {
		c.Skipf("the server issued no refresh token to %s, neither for scope %q nor with %s (scope %q)",
			r.Client.ID, c.Env.Target.Config.Scope, ScopeOfflineAccess, r.Scope)
	}
	return r, t
}

// HasScope reports whether the space-separated scope holds want.
func HasScope(scope, want string) bool { return slices.Contains(strings.Fields(scope), want) }

// RotatedProbes are the times after a refresh token's rotation at which
// the rotated token is presented again to find a grace window: 0, 2, 5,
// 10, 15, 20 and 30 s, the last at [check.MaxQuickWait], and 65 s more
// with --slow. A window under 30 s is therefore seen the same in a quick
// and a slow run.
func RotatedProbes(slow bool) []time.Duration {
	out := []time.Duration{0, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second, check.MaxQuickWait}
	if slow {
		out = append(out, 65*time.Second)
	}
	return out
}

// Rotated is what presenting a rotated refresh token again showed.
type Rotated struct {
	// Refusal is the first refusal; nil when the token still got tokens
	// at the last probe.
	Refusal *TokenResponse
	// RefusedAt is when the refusal came, after the rotation.
	RefusedAt time.Duration
	// Worked is the last probe that still got tokens (-1 when none did);
	// Accepted counts them. Last is the last probe made.
	Worked   time.Duration
	Accepted int
	Last     time.Duration
	// Newest is the answer of the last probe that got tokens: the newest
	// token pair of the family. Nil when none did.
	Newest *TokenResponse
}

// Window describes a grace window for a finding: "none" when the first
// probe was refused.
func (r *Rotated) Window() string {
	switch {
	case r.Accepted == 0:
		return "none"
	case r.Refusal == nil:
		return fmt.Sprintf("the rotated refresh token still got tokens %s after the rotation, at the last probe", r.Worked)
	}
	return fmt.Sprintf("the rotated refresh token still got tokens %s after the rotation (%d times), and was refused %s after it", r.Worked, r.Accepted, r.RefusedAt)
}

// ProbeRotated presents the rotated refresh token old again as cl at each
// of the offsets after rotated (when the rotating answer arrived), and
// stops at the first refusal: the answers that still give tokens are a
// grace window (or an old token never invalidated); the first refusal
// after them is a replay outside it. Waiting for the next offset is the
// probe itself, so it moves the check's deadline on. An answer that is
// neither tokens nor a 4xx refusal ends the check as ERROR.
func ProbeRotated(c *check.C, cl *target.Client, old string, rotated time.Time, offsets []time.Duration) *Rotated {
	out := &Rotated{Worked: -1}
	for _, at := range offsets {
		if d := time.Until(rotated.Add(at)); d > 0 {
			c.Wait(d, "the next probe of the rotated refresh token's grace window")
		}
		c.Note("present the rotated refresh token again, %s after the rotation", at)
		t := Refresh(c, cl, old, "")
		out.Last = at
		switch {
		case t.Issued():
			out.Worked, out.Newest = at, t
			out.Accepted++
		case t.Status >= http.StatusBadRequest && t.Status < http.StatusInternalServerError && !Untelling(t.Status):
			out.Refusal, out.RefusedAt = t, at
			return out
		default:
			c.Fatalf("the rotated refresh token, presented %s after the rotation, got %s: neither tokens nor a refusal", at, Describe(t.Response))
		}
	}
	return out
}
