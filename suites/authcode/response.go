package authcode

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 6749 §4.1.2: state is "REQUIRED if the "state" parameter was
// present in the client authorization request. The exact value received
// from the client."
var _ = check.It("AUTHCODE-STATE-ECHO", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	r.State = strings.Repeat("a b+c/=&é~", 50) // 500 characters, reserved and non-ASCII
	a := steps.Try(c, r, false)
	if a.Refused() {
		c.Warn("RFC 6749 §4.1.2", "a request with a state of %d characters was refused: %s", len([]rune(r.State)), a.Describe())
		return
	}
	cb := a.Callback
	got, ok := cb.Query["state"]
	if !ok {
		got, ok = cb.Fragment["state"]
	}
	switch {
	case !ok:
		c.Fail("RFC 6749 §4.1.2", "the authorization response has no state")
	case len(got) != 1 || got[0] != r.State:
		c.Fail("RFC 6749 §4.1.2", "state came back altered: sent %d characters, got %q", len([]rune(r.State)), strings.Join(got, ","))
	default:
		c.Pass("a state of %d characters with reserved and non-ASCII characters came back unchanged", len([]rune(r.State)))
	}
}, check.Control("state-truncated", check.Fail))

// RFC 6749 §4.1.2.1: with a valid client and redirect URI, errors are
// redirected to the client with error and the state, and without a code.
var _ = check.It("AUTHCODE-ERROR-RESPONSE", func(c *check.C) {
	type trigger struct {
		name  string
		edit  func(r *steps.AuthRequest)
		deny  bool
		codes []string
	}
	for _, t := range []trigger{
		{"response_type missing", func(r *steps.AuthRequest) { r.Omit = []string{"response_type"} }, false, []string{"invalid_request", "unsupported_response_type"}},
		{"response_type=bogus", func(r *steps.AuthRequest) { r.ResponseType = "bogus" }, false, []string{"unsupported_response_type", "invalid_request"}},
		{"unknown scope", func(r *steps.AuthRequest) { r.Scope = "nonexistent-oauthcheck-xyz" }, false, []string{"invalid_scope"}},
		{"the user denies", func(*steps.AuthRequest) {}, true, []string{"access_denied"}},
	} {
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		t.edit(r)
		c.Note("error trigger: %s", t.name)
		if t.deny {
			// In a session of its own: a server that remembers what a
			// session approved (the other triggers log in, and may end in
			// an approval) asks that session for no consent again. A
			// consent page without Deny is allowed: this trigger is then
			// not tried, and the others still judge the check.
			sess := c.NewSession()
			cb, err := steps.AuthorizeIn(c, sess, r, true)
			switch {
			case errors.Is(err, browser.ErrNoDeny):
				c.Info("%s: the consent page has no Deny control, so this trigger is not tried", t.name)
				continue
			case err == nil && countActions(sess, browser.ActDeny) == 0:
				c.Info("%s: the server asked for no consent, so there was nothing to deny", t.name)
				continue
			}
			judgeError(c, t.name, r, t.codes, cb, err)
			continue
		}
		a := steps.Try(c, r, false)
		if t.name == "unknown scope" && a.Param("code") != "" {
			// RFC 6749 §3.3: the server MAY ignore scope it does not grant;
			// it must not grant the unknown one.
			c.Note("redeem the code issued despite the unknown scope")
			tok := steps.Exchange(c, r, a.Param("code"))
			if strings.Contains(" "+tok.Scope+" ", " "+r.Scope+" ") {
				c.Fail("RFC 6749 §3.3", "%s: a token was issued with the unknown scope %q", t.name, r.Scope)
			} else {
				c.Info("%s: the unknown scope was ignored and a code issued (RFC 6749 §3.3 allows that; invalid_scope is clearer)", t.name)
			}
			continue
		}
		if a.ErrorPage != nil {
			judgeError(c, t.name, r, t.codes, nil, a.ErrorPage)
		} else {
			judgeError(c, t.name, r, t.codes, a.Callback, nil)
		}
	}
}, check.Control("error-no-state", check.Fail), check.Quirk("consent-no-deny", check.Pass), check.Quirk("consent-remembered", check.Pass))

// judgeError grades the answer to an authorization request that must be
// refused by an error redirect to the client, with the state (RFC 6749
// §4.1.2.1).
func judgeError(c *check.C, name string, r *steps.AuthRequest, codes []string, cb *browser.Callback, err error) {
	var ep *browser.ErrorPage
	switch {
	case errors.As(err, &ep):
		c.Warn("RFC 6749 §4.1.2.1", "%s: the server showed an error page (%d) instead of redirecting the error to the client", name, ep.Status)
		return
	case err != nil:
		c.Fatalf("%s: the browser could not get an answer: %v", name, err)
	}
	e := cb.Param("error")
	switch {
	case cb.Param("code") != "":
		c.Fail("RFC 6749 §4.1.2.1", "%s: the server issued a code", name)
	case e == "":
		c.Fail("RFC 6749 §4.1.2.1", "%s: the redirect carries no error", name)
	case cb.Param("state") != r.State:
		c.Fail("RFC 6749 §4.1.2.1", "%s: the error redirect does not carry the state (got %q)", name, cb.Param("state"))
	case !slices.Contains(codes, e):
		c.Warn("RFC 6749 §4.1.2.1", "%s: error=%s, expected %s", name, e, strings.Join(codes, " or "))
	default:
		c.Pass("%s: redirected with error=%s and the state", name, e)
	}
}

// countActions counts the browser actions of a kind in a session.
func countActions(sess *browser.Session, action browser.Action) int {
	n := 0
	for _, st := range sess.Steps() {
		if st.Kind == evidence.StepAction && st.Action == string(action) {
			n++
		}
	}
	return n
}

// RFC 6749 §3.1: unknown parameters MUST be ignored, parameters MUST NOT
// be included more than once, and parameters without a value MUST be
// treated as omitted.
var _ = check.It("AUTHCODE-PARAM-HYGIENE", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	r.Extra = url.Values{"foo": {"bar"}}
	c.Note("(a) an unknown parameter")
	if a := steps.Try(c, r, false); a.Param("code") == "" {
		c.Fail("RFC 6749 §3.1", "an unknown parameter foo=bar broke the request: %s", a.Describe())
	} else {
		c.Pass("an unknown parameter was ignored")
	}
	for _, p := range []string{"state", "response_type", "redirect_uri"} {
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		switch p {
		case "state":
			r.Extra = url.Values{"state": {r.State, steps.Random(32)}}
		case "response_type":
			r.Extra = url.Values{"response_type": {"code", "code"}}
		case "redirect_uri":
			r.Extra = url.Values{"redirect_uri": {r.RedirectURI, r.RedirectURI}}
		}
		c.Note("(b) %s twice", p)
		a := steps.Try(c, r, false)
		switch {
		case a.ErrorPage != nil:
			c.Pass("%s twice: refused with %s", p, a.Describe())
		case a.Param("code") != "":
			c.Fail("RFC 6749 §3.1", "%s sent twice was not refused: the server picked one and issued a code", p)
		case a.Param("error") == "invalid_request":
			c.Pass("%s twice: invalid_request", p)
		default:
			c.Warn("RFC 6749 §3.1", "%s twice: refused with %s, not invalid_request", p, a.Describe())
		}
	}
	r = steps.NewAuthRequest(c, target.RoleConfidential)
	r.Extra = url.Values{"scope": {""}}
	c.Note("(c) an empty scope")
	a := steps.Try(c, r, false)
	switch {
	case a.Param("code") != "":
		c.Pass("an empty scope was treated as omitted")
	case a.Param("error") == "invalid_scope":
		c.Info("scope= (empty) got invalid_scope: the server requires a scope (RFC 6749 §3.3 allows that)")
	default:
		c.Warn("RFC 6749 §3.1", "scope= (empty) was not treated as an omitted scope: %s", a.Describe())
	}
}, check.Control("repeated-params-allowed", check.Fail), check.Quirk("nonce-openid-only", check.Pass))

// RFC 9700 §4.12: after a POST that carries the user's credentials, the
// server "MUST NOT use status code 307" to redirect; 303 is recommended.
var _ = check.It("AUTHCODE-NO-307", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	// In a fresh session, so that the login and consent forms are posted.
	// A 307 breaks the flow (the form is posted again, to a URL that does
	// not take it), so the redirects are judged however the flow ended.
	c.FreshSession()
	_, flowErr := steps.Authorize(c, r, false)
	posts := 0
	for _, st := range c.Session().Steps() {
		if st.Kind != evidence.StepRedirect || !st.FromPost {
			continue
		}
		posts++
		switch st.Status {
		case 307, 308:
			c.Fail("RFC 9700 §4.12", "a form POST to %s was answered with %d, which makes the browser post the form again to the next URL", st.URL, st.Status)
		case 302:
			c.Warn("RFC 9700 §4.12", "a form POST to %s was answered with 302; 303 is recommended", st.URL)
		default:
			c.Pass("a form POST to %s was answered with %d", st.URL, st.Status)
		}
	}
	switch {
	case posts == 0 && flowErr != nil:
		c.Fatalf("the authorization did not complete, and no form POST was answered with a redirect: %v", flowErr)
	case posts == 0:
		c.Info("no form POST was answered with a redirect (the server may use script redirects)")
	}
}, check.Control("redirect-307", check.Fail))
