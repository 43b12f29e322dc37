package security

import (
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

const evil = "https://evil.oauthcheck.test/x"

// RFC 6749 §4.1.2.1, §10.15: with an invalid client_id or redirect_uri the
// server "MUST NOT automatically redirect the user-agent to the invalid
// redirection URI".
var _ = check.It("OPENREDIR-INVALID-CLIENT", func(c *check.C) {
	cases := []struct {
		name string
		edit func(r *steps.AuthRequest)
	}{
		{"an unknown client_id", func(r *steps.AuthRequest) {
			r.Client = &target.Client{ID: "oauthcheck-does-not-exist"}
			r.RedirectURI = evil
		}},
		{"an unregistered redirect_uri", func(r *steps.AuthRequest) { r.RedirectURI = evil }},
	}
	for _, tc := range cases {
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		tc.edit(r)
		c.Note("%s, with redirect_uri %s", tc.name, evil)
		resp, err := c.HTTP.Get(c, r.URL(c), nil)
		c.Require(err, "GET the authorization endpoint")
		steps.MustTell(c, resp, tc.name)
		if loc := resp.Header.Get("Location"); resp.Status >= 300 && resp.Status < 400 && strings.HasPrefix(loc, "https://evil.oauthcheck.test") {
			c.Fail("RFC 6749 §4.1.2.1", "%s: the server redirected to %s", tc.name, loc)
			continue
		}
		// A server may check only after login: try it in the browser.
		a := steps.Try(c, r, false, "https://evil.oauthcheck.test/")
		if a.Callback != nil && strings.HasPrefix(a.Callback.URL.String(), "https://evil.oauthcheck.test/") {
			c.Fail("RFC 6749 §4.1.2.1", "%s: the browser was sent to %s", tc.name, a.Callback.URL)
			continue
		}
		c.Pass("%s: no redirect to %s (%s)", tc.name, evil, a.Describe())
	}
}, check.Control("open-redirect", check.Fail))

// RFC 9700 §4.11.2: the AS must not redirect a user who has not logged in
// straight back to the client with an error (phishing through a registered
// redirect URI), except for prompt=none.
var _ = check.It("OPENREDIR-ERROR-BEFORE-AUTH", func(c *check.C) {
	for _, tc := range []struct {
		name string
		edit func(r *steps.AuthRequest)
	}{
		{"scope=invalid", func(r *steps.AuthRequest) { r.Scope = "oauthcheck-nonexistent-scope" }},
		{"response_type=bogus", func(r *steps.AuthRequest) { r.ResponseType = "bogus" }},
	} {
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		tc.edit(r)
		c.Note("%s without a session", tc.name)
		resp, err := c.HTTP.Get(c, r.URL(c), nil) // no cookies: no session
		c.Require(err, "GET the authorization endpoint")
		steps.MustTell(c, resp, tc.name)
		loc := resp.Header.Get("Location")
		if resp.Status >= 300 && resp.Status < 400 && strings.HasPrefix(loc, r.RedirectURI) && strings.Contains(loc, "error=") {
			c.Fail("RFC 9700 §4.11.2", "%s: a user with no session was redirected at once to the client with an error: %s", tc.name, loc)
			continue
		}
		c.Pass("%s: the server answered %d, not an error redirect (a login or error page first)", tc.name, resp.Status)
	}
}, check.Control("error-before-login", check.Fail))
