package steps

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// Answer is how the server answered an authorization request in the
// browser: a response caught at the redirect URI, or an error page.
type Answer struct {
	// Callback is the response caught on its way to the redirect URI (or
	// to a variant under test); nil when the server showed an error page.
	Callback *browser.Callback
	// ErrorPage is the error page the server showed; nil otherwise.
	ErrorPage *browser.ErrorPage
}

// Param is a response parameter of the callback, or "".
func (a *Answer) Param(name string) string {
	if a.Callback == nil {
		return ""
	}
	return a.Callback.Param(name)
}

// Refused reports whether the server was seen refusing: an error redirect
// or an error page.
func (a *Answer) Refused() bool { return a.ErrorPage != nil || a.Param("error") != "" }

// Describe renders the answer for a finding.
func (a *Answer) Describe() string {
	switch {
	case a.ErrorPage != nil:
		return fmt.Sprintf("an error page (%d) %q", a.ErrorPage.Status, a.ErrorPage.Text)
	case a.Param("error") != "":
		s := "an error redirect, error=" + a.Param("error")
		if d := a.Param("error_description"); d != "" {
			s += " (" + d + ")"
		}
		return s
	case a.Param("code") != "":
		return "a code"
	case a.Param("access_token") != "":
		return "an access token"
	}
	return "a redirect with neither a code nor an error"
}

// Try runs the request in the check's browser session and returns how the
// server answered. A refusal is only what was seen, an error redirect or
// an error page; before one is graded, the session must have completed a
// plain authorization, so that a harness that cannot log in, or a config
// the server refuses outright, is never taken for a refusal of the request
// under test; after a server error (a 5xx page, error=server_error), one
// must complete after it. An answer that tells nothing (an [Untelling]
// status, error=temporarily_unavailable) ends the check as ERROR, and so
// does one the harness could not get (a page it could not drive, a login
// it could not pass); a task to deny on a page without a Deny control
// skips it.
func Try(c *check.C, r *AuthRequest, deny bool, also ...string) *Answer {
	cb, err := Authorize(c, r, deny, also...)
	a := &Answer{Callback: cb}
	var ep *browser.ErrorPage
	switch {
	case err == nil:
	case errors.As(err, &ep):
		a.ErrorPage = ep
	case errors.Is(err, browser.ErrNoDeny):
		c.Skipf("the consent page has no Deny control, so the denial this check needs cannot be made: %v", err)
	default:
		c.Fatalf("the browser could not get an answer to the authorization request: %v", err)
	}
	if ep := a.ErrorPage; ep != nil && Untelling(ep.Status) || a.Param("error") == "temporarily_unavailable" {
		c.Fatalf("the server answered the authorization request with %s: rate limited, or a gateway's or an overloaded server's answer, which tells nothing of the request", a.Describe())
	}
	// A server error may be the request's or the server's at the moment:
	// only a plain authorization that completes after it makes it the
	// request's.
	crashed := a.ErrorPage != nil && a.ErrorPage.Status >= http.StatusInternalServerError || a.Param("error") == "server_error"
	if a.Refused() && (crashed || !completedInSession(c)) {
		c.Note("a plain authorization in the same session, so that the refusal is the request's")
		plain := NewAuthRequest(c, roleOf(c, r))
		pcb, err := Authorize(c, plain, false)
		if err != nil || pcb.Param("code") == "" {
			c.Fatalf("the server refused the request under test (%s), but a plain authorization in the same session did not complete either (%v %s): the refusal says nothing of the request",
				a.Describe(), err, paramOf(pcb, "error"))
		}
	}
	return a
}

// completedInSession reports whether the check's session has caught a
// response with a code: the harness can log in and the config is sound.
func completedInSession(c *check.C) bool {
	for _, st := range c.Session().Steps() {
		if st.Kind == evidence.StepCallback && strings.Contains(st.URL, "code=") {
			return true
		}
	}
	return false
}

// roleOf is the config role of r's client, or the confidential role for a
// client of the check's own making.
func roleOf(c *check.C, r *AuthRequest) string {
	for role, cl := range c.Env.Target.Config.Clients {
		if cl != nil && r.Client != nil && cl.ID == r.Client.ID {
			return role
		}
	}
	return PublicOr(c)
}

func paramOf(cb *browser.Callback, name string) string {
	if cb == nil {
		return ""
	}
	return name + "=" + cb.Param(name)
}
