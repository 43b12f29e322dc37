// Package pkce checks Proof Key for Code Exchange (RFC 7636) as RFC 9700
// §2.1.1 and OAuth 2.1 demand it: CHECKS.md group 3.
package pkce

import (
	"errors"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// mustHaveCode ends the check as FAIL when an authorization response
// that is no refusal carries no code either.
func mustHaveCode(c *check.C, a *steps.Answer) {
	if a.Param("code") == "" {
		c.FailNow("RFC 6749 §4.1.2", "the authorization response has neither a code nor an error: %s", a.Describe())
	}
}

// redeem exchanges code for r with the given code_verifier ("" sends
// none).
func redeem(c *check.C, r *steps.AuthRequest, code, verifier string) *steps.TokenResponse {
	form := r.ExchangeForm(code)
	form.Del("code_verifier")
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return steps.ParseToken(c, steps.Token(c, r.Client, form, steps.AuthDefault))
}

// RFC 9700 §2.1.1: "Authorization servers MUST support PKCE"; RFC 7636
// §4.2: S256 is mandatory to implement on the server.
var _ = check.It("PKCE-S256-SUPPORTED", func(c *check.C) {
	r := steps.NewAuthRequest(c, steps.PublicOr(c))
	// The plain request of every check carries an S256 challenge, so a
	// refusal here cannot be checked against a plain authorization.
	cb, err := steps.Authorize(c, r, false)
	var ep *browser.ErrorPage
	switch {
	case errors.As(err, &ep):
		c.Fail("RFC 7636 §4.2", "an authorization request with code_challenge_method=S256 got an error page (%d) %q", ep.Status, ep.Text)
		return
	case err != nil:
		c.Fatalf("the browser could not get an answer to an authorization request with an S256 challenge: %v", err)
	case cb.Param("code") == "":
		c.Fail("RFC 7636 §4.2", "an authorization request with code_challenge_method=S256 was refused: error=%s (%s)", cb.Param("error"), cb.Param("error_description"))
		return
	}
	c.Note("redeem with the verifier")
	t := redeem(c, r, cb.Param("code"), r.Verifier)
	steps.MustTell(c, t.Response, "the redemption with the verifier")
	if !t.Issued() {
		c.Fail("RFC 7636 §4.6", "redeeming an S256-bound code with its verifier failed: %s", steps.Describe(t.Response))
		return
	}
	c.Pass("a code bound to an S256 challenge was redeemed with its verifier")
}, check.Control("pkce-s256-unsupported", check.Fail))

// RFC 7636 §4.6: "If the values are not equal, an error response
// indicating "invalid_grant" ... MUST be returned."
var _ = check.It("PKCE-VERIFIER-MISMATCH", func(c *check.C) {
	r := steps.NewAuthRequest(c, steps.PublicOr(c))
	code := steps.Code(c, r)
	c.Note("redeem with another valid verifier")
	t := redeem(c, r, code, oauth2.GenerateVerifier())
	steps.Refused(c, t, "RFC 7636 §4.6", "a code bound to one verifier, redeemed with another,", "invalid_grant")
}, check.Control("pkce-no-verify", check.Fail))

// RFC 9700 §2.1.1: with a challenge in the authorization request, the
// server "MUST enforce the correct usage of code_verifier at the token
// endpoint".
var _ = check.It("PKCE-VERIFIER-MISSING", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	code := steps.Code(c, r)
	c.Note("redeem without code_verifier")
	t := redeem(c, r, code, "")
	switch {
	case t.Issued():
		c.Fail("RFC 7636 §4.6", "a code bound to an S256 challenge was redeemed without a code_verifier")
	case t.Status == http.StatusBadRequest:
		c.Pass("redeeming without code_verifier was refused (%s)", t.OAuthError())
	default:
		c.Warn("RFC 6749 §5.2", "redeeming without code_verifier was refused with %s, not 400", steps.Describe(t.Response))
	}
}, check.Control("pkce-verifier-optional", check.Fail))

// RFC 9700 §4.8.2: a token request with a code_verifier for a code whose
// authorization request had no code_challenge must be refused, or PKCE
// can be downgraded.
var _ = check.It("PKCE-DOWNGRADE-NO-CHALLENGE", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	r.NoPKCE = true
	a := steps.Try(c, r, false)
	if a.Refused() {
		c.Pass("an authorization request without code_challenge was refused (%s), so no downgrade is possible", a.Describe())
		return
	}
	if a.Param("code") == "" {
		c.FailNow("RFC 6749 §4.1.2", "the authorization response has neither a code nor an error")
	}
	c.Note("redeem with a code_verifier that no challenge was bound to")
	t := redeem(c, r, a.Param("code"), oauth2.GenerateVerifier())
	switch {
	case t.Issued():
		c.Fail("RFC 9700 §4.8.2", "a code issued without a challenge was redeemed with a code_verifier: the server cannot tell a downgrade")
	case t.Status == http.StatusBadRequest:
		c.Pass("a code_verifier for a code without a challenge was refused (%s)", t.OAuthError())
	default:
		c.Warn("RFC 6749 §5.2", "a code_verifier for a code without a challenge was refused with %s, not 400", steps.Describe(t.Response))
	}
}, check.Control("pkce-downgrade", check.Fail))

// RFC 7636 §4.6: the server verifies with the method bound at
// authorization; an S256-bound code must not take the challenge itself.
var _ = check.It("PKCE-PLAIN-DOWNGRADE", func(c *check.C) {
	r := steps.NewAuthRequest(c, steps.PublicOr(c))
	code := steps.Code(c, r)
	challenge := oauth2.S256ChallengeFromVerifier(r.Verifier)
	c.Note("redeem with the challenge as the verifier")
	t := redeem(c, r, code, challenge)
	steps.Refused(c, t, "RFC 7636 §4.6", "an S256-bound code, redeemed with its challenge as the verifier (as if the method were plain),", "invalid_grant")
}, check.Control("pkce-plain-downgrade", check.Fail))

// refusedWithout authorizes as role without a code_challenge and reports
// whether the server refused; when it issued a code, it says whether the
// code could be redeemed without a verifier.
func refusedWithout(c *check.C, role string) (refused bool, redeemable bool) {
	r := steps.NewAuthRequest(c, role)
	r.NoPKCE = true
	a := steps.Try(c, r, false)
	switch {
	case a.ErrorPage != nil:
		return true, false
	case a.Refused():
		if e := a.Param("error"); e != "invalid_request" {
			c.Info("the refusal's error was %s; OAuth 2.1 §4.1.2.1 names invalid_request", e)
		}
		return true, false
	case a.Param("code") == "":
		c.FailNow("RFC 6749 §4.1.2", "the authorization response has neither a code nor an error")
	}
	c.Note("redeem the PKCE-less code")
	return false, redeem(c, r, a.Param("code"), "").Issued()
}

// OAuth 2.1 §4.1.2.1: the server MUST refuse an authorization request
// from a public client without code_challenge.
var _ = check.It("PKCE-REQUIRED-PUBLIC", func(c *check.C) {
	steps.Client(c, target.RolePublic)
	refused, redeemable := refusedWithout(c, target.RolePublic)
	switch {
	case refused:
		c.Pass("an authorization request from the public client without code_challenge was refused")
	case redeemable:
		c.Violation(check.OAuth21, "OAuth 2.1 §4.1.2.1", "the public client got a code without code_challenge and redeemed it without a verifier")
	default:
		c.Violation(check.OAuth21, "OAuth 2.1 §4.1.2.1", "the public client got a code without code_challenge (it could not be redeemed)")
	}
}, check.Control("pkce-optional", check.Warn))

// OAuth 2.1 §4.1.2.1 and RFC 9700 §2.1.1: confidential clients should use
// PKCE too, unless another injection defence is in place.
var _ = check.It("PKCE-REQUIRED-CONFIDENTIAL", func(c *check.C) {
	refused, _ := refusedWithout(c, target.RoleConfidential)
	switch {
	case refused:
		c.Pass("an authorization request from the confidential client without code_challenge was refused")
	case c.Env.Profile >= check.BCP:
		c.Warn("RFC 9700 §2.1.1", "the confidential client got a code without code_challenge; RFC 9700 recommends requiring PKCE of every client")
	default:
		c.Info("the confidential client got a code without code_challenge")
	}
}, check.Control("pkce-optional-confidential", check.Warn))

// RFC 7636 §4.4.1: an unsupported code_challenge_method is answered with
// invalid_request.
var _ = check.It("PKCE-UNSUPPORTED-METHOD", func(c *check.C) {
	r := steps.NewAuthRequest(c, steps.PublicOr(c))
	r.Challenge, r.Method = oauth2.S256ChallengeFromVerifier(r.Verifier), "S512"
	a := steps.Try(c, r, false)
	switch {
	case a.ErrorPage != nil:
		c.Warn("RFC 7636 §4.4.1", "code_challenge_method=S512 got %s, not an invalid_request redirect", a.Describe())
	case a.Param("code") != "":
		c.Fail("RFC 7636 §4.4.1", "code_challenge_method=S512 was silently ignored: a code was issued")
	case a.Param("error") == "invalid_request" && a.Param("state") == r.State:
		c.Pass("code_challenge_method=S512 was refused with invalid_request and the state")
	default:
		c.Warn("RFC 7636 §4.4.1", "code_challenge_method=S512 was refused with error=%s, state %q", a.Param("error"), a.Param("state"))
	}
}, check.Control("pkce-unknown-method", check.Fail))

// RFC 7636 §4.1: code_verifier = 43*128unreserved; §4.2: an S256
// challenge is 43 base64url characters.
var _ = check.It("PKCE-VERIFIER-SYNTAX", func(c *check.C) {
	role := steps.PublicOr(c)
	for _, v := range []struct{ name, verifier string }{
		{"20 characters", steps.Random(15)},
		{"129 characters", strings.Repeat("a", 129)},
		{"a '+' in it", "+" + oauth2.GenerateVerifier()},
	} {
		r := steps.NewAuthRequest(c, role)
		r.Verifier = v.verifier
		c.Note("verifier of %s", v.name)
		a := steps.Try(c, r, false)
		if a.Refused() {
			c.Pass("a verifier of %s was refused at authorization (%s)", v.name, a.Describe())
			continue
		}
		mustHaveCode(c, a)
		if t := redeem(c, r, a.Param("code"), r.Verifier); steps.NotIssued(c, t, "the redemption with a code_verifier of "+v.name) {
			c.Pass("a code_verifier of %s was refused (%s)", v.name, t.OAuthError())
		} else {
			c.Violation(check.BCP, "RFC 7636 §4.1", "a code_verifier of %s was accepted", v.name)
		}
	}
	r := steps.NewAuthRequest(c, role)
	r.Challenge, r.Method = oauth2.S256ChallengeFromVerifier(r.Verifier)[:42], "S256"
	c.Note("an S256 challenge of 42 characters")
	if a := steps.Try(c, r, false); a.Refused() {
		c.Pass("an S256 challenge of 42 characters was refused (%s)", a.Describe())
	} else {
		c.Violation(check.BCP, "RFC 7636 §4.2", "an S256 code_challenge of 42 characters was accepted")
	}
}, check.Control("pkce-lax-syntax", check.Fail))

// RFC 7636 §7.2: plain "SHOULD NOT be used"; a hardened server refuses it.
var _ = check.It("PKCE-PLAIN-ACCEPTED", func(c *check.C) {
	if target.Supports(steps.Metadata(c).CodeChallengeMethodsSupported, "plain") {
		c.Warn("RFC 7636 §7.2", "code_challenge_methods_supported lists plain")
	}
	role := steps.PublicOr(c)
	for _, method := range []string{"plain", ""} {
		r := steps.NewAuthRequest(c, role)
		r.Challenge, r.Method = r.Verifier, method
		name := "code_challenge_method=plain"
		if method == "" {
			name = "a challenge without code_challenge_method (plain by default)"
		}
		c.Note("%s", name)
		a := steps.Try(c, r, false)
		if a.Refused() {
			c.Pass("%s was refused (%s)", name, a.Describe())
			continue
		}
		mustHaveCode(c, a)
		if t := redeem(c, r, a.Param("code"), r.Verifier); steps.NotIssued(c, t, "the redemption of the code of "+name) {
			c.Pass("%s gave a code that could not be redeemed (%s)", name, steps.Describe(t.Response))
		} else {
			c.Warn("RFC 7636 §7.2", "%s works: the verifier travels in the front channel", name)
		}
	}
}, check.Control("pkce-plain", check.Warn))
