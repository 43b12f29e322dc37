// Package implicit checks the implicit grant (RFC 6749 §4.2), which RFC
// 9700 deprecates and OAuth 2.1 removes: CHECKS.md group 4.
package implicit

import (
	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// request is an implicit authorization request of response type rt from
// the public client.
func request(c *check.C, rt string) *steps.AuthRequest {
	return requestAs(c, target.RolePublic, rt)
}

func requestAs(c *check.C, role, rt string) *steps.AuthRequest {
	r := steps.NewAuthRequest(c, role)
	r.ResponseType = rt
	r.NoPKCE = true
	if r.Nonce == "" {
		r.Nonce = steps.Random(16)
	}
	return r
}

// implicitWorks runs an implicit authorization and returns the response,
// or skips when the server refuses the token response type, as it was seen
// to (an error redirect or an error page).
func implicitWorks(c *check.C) (*steps.AuthRequest, *browser.Callback) {
	r := request(c, "token")
	a := steps.Try(c, r, false)
	if a.Refused() || a.Param("access_token") == "" {
		c.Skipf("the server does not offer the implicit grant: response_type=token got %s", a.Describe())
	}
	return r, a.Callback
}

// RFC 9700 §2.1.2: clients "SHOULD NOT use the implicit grant"; OAuth 2.1
// removes it. A hardened server refuses every response type that puts an
// access token in the front channel.
var _ = check.It("IMPLICIT-DISABLED", func(c *check.C) {
	var roles []string
	for _, role := range []string{target.RolePublic, target.RoleConfidential} {
		if cl, _ := c.Env.Target.Client(role); cl != nil {
			roles = append(roles, role)
		}
	}
	if len(roles) == 0 {
		c.Skipf("the config names no public or confidential client")
	}
	for _, role := range roles {
		for _, rt := range []string{"token", "id_token token", "code token", "code id_token token"} {
			r := requestAs(c, role, rt)
			c.Note("response_type=%s as %s", rt, r.Client.ID)
			a := steps.Try(c, r, false)
			switch {
			case a.Param("access_token") != "":
				c.Violation(check.OAuth21, "RFC 9700 §2.1.2", "response_type=%s returned an access token to %s in the authorization response", rt, r.Client.ID)
			case a.Refused():
				c.Pass("response_type=%s as %s: refused (%s)", rt, r.Client.ID, a.Describe())
			default:
				c.Pass("response_type=%s as %s: no access token in the response (%s)", rt, r.Client.ID, a.Describe())
			}
		}
	}
}, check.Control("implicit-grant", check.Warn))

// RFC 6749 §4.2.2: "The authorization server MUST NOT issue a refresh
// token."
var _ = check.It("IMPLICIT-NO-REFRESH-TOKEN", func(c *check.C) {
	_, cb := implicitWorks(c)
	if cb.Param("refresh_token") != "" {
		c.Fail("RFC 6749 §4.2.2", "the implicit grant returned a refresh token")
		return
	}
	c.Pass("the implicit grant returned an access token and no refresh token")
}, check.Control("implicit-refresh-token", check.Fail).With(check.RefOptions{Implicit: true}))

// RFC 6749 §4.2.2: the access token is added "to the fragment component
// of the redirection URI"; a token in the query ends up in logs.
var _ = check.It("IMPLICIT-FRAGMENT-ONLY", func(c *check.C) {
	r, cb := implicitWorks(c)
	switch {
	case cb.Query.Get("access_token") != "":
		c.Fail("RFC 6749 §4.2.2", "the access token came in the query")
		return
	case cb.Fragment.Get("state") != r.State:
		c.Fail("RFC 6749 §4.2.2", "the fragment does not carry the state")
		return
	}
	c.Pass("the access token and state came in the fragment")
	c.Note("response_mode=query")
	rq := request(c, "token")
	rq.Extra = map[string][]string{"response_mode": {"query"}}
	q := steps.Try(c, rq, false)
	switch {
	case q.Callback != nil && q.Callback.Query.Get("access_token") != "":
		c.Fail("RFC 6749 §4.2.2", "with response_mode=query the access token came in the query string")
	case q.Refused():
		c.Pass("response_mode=query with response_type=token was refused (%s)", q.Describe())
	default:
		c.Pass("response_mode=query did not put the token in the query")
	}
}, check.Control("implicit-query", check.Fail).With(check.RefOptions{Implicit: true}))
