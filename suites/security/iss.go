// Package security holds the cross-cutting checks: RFC 9207 iss, the
// password grant, clickjacking, open redirects and JWT access tokens
// (CHECKS.md groups 11 to 16). TLS (group 15), CLICKJACK-IFRAME-BLOCKED
// and OPENREDIR-AS-AUX-ENDPOINTS are not built yet.
package security

import (
	"errors"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// responses gets one successful authorization response and one error
// response (an unknown scope, and if that is ignored, a denial).
func responses(c *check.C) (success, failure *browser.Callback) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	ok, err := steps.Authorize(c, r, false)
	c.Require(err, "authorize")
	e := steps.NewAuthRequest(c, target.RoleConfidential)
	e.Scope = "oauthcheck-nonexistent-scope"
	var ep *browser.ErrorPage
	bad, err := steps.Authorize(c, e, false)
	if err != nil && !errors.As(err, &ep) {
		c.Require(err, "authorize with an unknown scope")
	}
	if bad == nil || bad.Param("error") == "" {
		// An ignored scope: a denial gives an error response too, when
		// the consent page has a Deny control.
		d := steps.NewAuthRequest(c, target.RoleConfidential)
		bad, err = steps.Authorize(c, d, true)
		if err != nil || bad.Param("error") == "" {
			bad = nil
		}
	}
	return ok, bad
}

// RFC 9207 §2: an AS that supports issuer identification "MUST" include
// iss in every authorization response.
var _ = check.It("ISS-IN-SUCCESS-RESPONSE", func(c *check.C) {
	ok, _ := responses(c)
	md := steps.Metadata(c)
	switch {
	case ok.Param("iss") != "":
		c.Pass("the authorization response carries iss")
	case md.AuthorizationResponseIssSupported:
		c.Fail("RFC 9207 §2", "the metadata sets authorization_response_iss_parameter_supported, but the authorization response has no iss")
	default:
		c.Info("no iss in authorization responses and no metadata flag: the server offers no iss-based mix-up defence (RFC 9700 §4.4.2.1)")
	}
}, check.Control("no-iss", check.Fail))

// RFC 9207 §2: iss is sent "in the authorization response, including error
// responses".
var _ = check.It("ISS-IN-ERROR-RESPONSE", func(c *check.C) {
	_, bad := responses(c)
	md := steps.Metadata(c)
	switch {
	case bad == nil:
		c.Skipf("no error response could be provoked (an unknown scope and a denial both gave none)")
	case bad.Param("iss") != "":
		c.Pass("the error response (error=%s) carries iss", bad.Param("error"))
	case md.AuthorizationResponseIssSupported:
		c.Fail("RFC 9207 §2", "the error response (error=%s) has no iss, though the metadata flag is set", bad.Param("error"))
	default:
		c.Info("no iss in error responses, and the metadata flag is not set")
	}
}, check.Control("no-iss", check.Fail))

// RFC 9207 §2: iss is the issuer identifier of the AS, compared "using
// simple string comparison".
var _ = check.It("ISS-VALUE-MATCHES-ISSUER", func(c *check.C) {
	ok, bad := responses(c)
	want := steps.Metadata(c).Issuer
	judged := false
	for name, cb := range map[string]*browser.Callback{"success": ok, "error": bad} {
		if cb == nil || cb.Param("iss") == "" {
			continue
		}
		judged = true
		if got := cb.Param("iss"); got != want {
			c.Fail("RFC 9207 §2", "the %s response's iss is %q; the issuer is %q", name, got, want)
		} else {
			c.Pass("the %s response's iss is the issuer", name)
		}
	}
	if !judged {
		c.Skipf("the server sends no iss (see ISS-IN-SUCCESS-RESPONSE)")
	}
}, check.Control("iss-mismatch", check.Fail))

// RFC 9207 §3: the metadata flag tells clients to expect iss; when it is
// true, iss is always present, and an AS that sends iss sets it.
var _ = check.It("ISS-METADATA-FLAG", func(c *check.C) {
	ok, bad := responses(c)
	flag := steps.Metadata(c).AuthorizationResponseIssSupported
	sent := ok.Param("iss") != "" && (bad == nil || bad.Param("iss") != "")
	some := ok.Param("iss") != "" || (bad != nil && bad.Param("iss") != "")
	switch {
	case flag && !sent:
		c.Fail("RFC 9207 §2.3", "authorization_response_iss_parameter_supported is true, but a response came without iss: clients that rely on it reject the response")
	case !flag && some:
		c.Warn("RFC 9207 §3", "responses carry iss, but the metadata does not set authorization_response_iss_parameter_supported")
	case flag:
		c.Pass("the metadata flag is set and every response carries iss")
	default:
		c.Info("no iss and no metadata flag")
	}
}, check.Control("no-iss", check.Fail))
