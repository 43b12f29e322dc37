package security

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

const evilOrigin = "https://evil.oauthcheck.test/"

// returnParams are the usual names of a "return to" parameter; the names
// the server's own pages use are added to them.
var returnParams = []string{"redirect", "returnTo", "return_to", "next", "continue", "goto", "target"}

// RFC 9700 §4.11.2 and RFC 6749 §10.15: an AS must not be an open
// redirector, on its logout endpoint, the return-to parameters of its
// login, or its error pages.
var _ = check.It("OPENREDIR-AS-AUX-ENDPOINTS", func(c *check.C) {
	tried := 0
	if ep := steps.Metadata(c).EndSessionEndpoint; ep != "" {
		tried++
		endSession(c, ep)
	}
	if n := loginReturn(c); n > 0 {
		tried += n
	}
	if tried == 0 {
		c.Skipf("the server has no end_session_endpoint, and its login page takes no return-to parameter the harness could find")
	}
}, check.Control("logout-open-redirect", check.Fail), check.Control("login-open-redirect", check.Fail))

// endSession calls the end-session endpoint (OpenID RP-Initiated Logout)
// with an unregistered post_logout_redirect_uri and no id_token_hint.
func endSession(c *check.C, ep string) {
	cl := steps.Client(c, steps.PublicOr(c))
	q := url.Values{"client_id": {cl.ID}, "post_logout_redirect_uri": {evilOrigin + "logged-out"}, "state": {steps.Random(8)}}
	u := ep + sep(ep) + q.Encode()
	c.Note("end the session with an unregistered post_logout_redirect_uri")
	resp, err := c.HTTP.Get(c, u, nil)
	c.Require(err, "GET the end-session endpoint")
	steps.MustTell(c, resp, "the end-session request")
	if to := sendsTo(resp); to != "" {
		c.Fail("RFC 9700 §4.11.2", "the end-session endpoint sent the browser to the unregistered post_logout_redirect_uri %s (%d)", to, resp.Status)
		return
	}
	c.Pass("the end-session endpoint did not redirect to an unregistered post_logout_redirect_uri (%d)", resp.Status)
}

// sendsTo is the evil URL a response sends the browser to: by a redirect,
// a meta refresh or a script navigation; "" when none.
func sendsTo(r *client.Response) string {
	if loc := r.Header.Get("Location"); r.Status/100 == 3 && strings.HasPrefix(loc, evilOrigin) {
		return loc
	}
	if ref := r.Header.Get("Refresh"); strings.Contains(ref, evilOrigin) {
		return ref
	}
	if m := navRE.FindString(string(r.Body)); m != "" {
		return m
	}
	return ""
}

// navRE finds a meta refresh or a script navigation to the evil origin.
var navRE = regexp.MustCompile(`(?i)(?:http-equiv=["']?refresh["']?[^>]*content=["'][^"']*|location(?:\.href)?\s*=\s*["']|location\.(?:assign|replace)\(\s*["'])` + regexp.QuoteMeta(evilOrigin) + `[^"']*`)

// loginReturn finds the login page (where the authorization endpoint sends
// a person with no session), the return-to parameters of its form, and
// tries each with the evil origin: log in, and see where the browser goes.
// It returns how many it tried.
func loginReturn(c *check.C) int {
	if c.Env.Browser == nil {
		c.Info("no browser in this run: the login page's return-to parameters are not tried")
		return 0
	}
	r := steps.NewAuthRequest(c, steps.PublicOr(c))
	sess := c.NewSession()
	c.Note("find the login page")
	if err := sess.Open(c, r.URL(c)); err != nil {
		c.Info("the login page could not be opened: %v", err)
		return 0
	}
	var form struct {
		Page   string   `json:"page"`
		Action string   `json:"action"`
		Names  []string `json:"names"`
	}
	if err := sess.Page(c).Eval(loginFormJS, &form); err != nil || form.Action == "" {
		c.Info("no login form with a password field at %s: the login page's return-to parameters are not tried", form.Page)
		return 0
	}
	// The page's own names when it has any, else the usual ones: each
	// costs a login.
	names := form.Names
	if len(names) == 0 {
		names = returnParams
	}
	names = names[:min(len(names), 3)]
	tried := 0
	for _, name := range names {
		u := form.Action + sep(form.Action) + url.Values{name: {evilOrigin + "after-login"}}.Encode()
		c.Note("open the login page with %s=%s and log in", name, evilOrigin)
		s := c.NewSession()
		cb, err := s.Authorize(c, u, []string{evilOrigin}, c.Env.Actor, steps.Task(c))
		loggedIn := false
		for _, st := range s.Steps() {
			loggedIn = loggedIn || st.Action == string(browser.ActLogin)
		}
		switch {
		case err == nil && cb != nil:
			c.Fail("RFC 9700 §4.11.2", "after login, the login page's %s parameter sent the browser to %s", name, cb.URL)
			return tried + 1
		case loggedIn:
			tried++
		}
	}
	if tried > 0 {
		c.Pass("after login, the login page's return-to parameters (%s) did not send the browser to another origin", strings.Join(names, ", "))
	}
	return tried
}

// loginFormJS reads the page's login form: its action, and the names of
// its hidden inputs and of the query parameters of its action that look
// like a return-to.
const loginFormJS = `() => {
  const pw = document.querySelector('input[type=password]');
  const f = pw && pw.form;
  const like = n => /return|redirect|next|continue|goto|target|dest|back/i.test(n);
  const names = [];
  if (f) {
    for (const el of f.elements) if (el.name && el.type === 'hidden' && like(el.name) && !names.includes(el.name)) names.push(el.name);
    try { for (const k of new URL(f.action).searchParams.keys()) if (like(k) && !names.includes(k)) names.push(k); } catch (e) {}
  }
  let action = '';
  if (f) { try { const u = new URL(f.action); u.search = ''; action = u.href; } catch (e) {} }
  return {page: location.href, action: action, names: names};
}`

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func urlQuery(s string) string { return url.QueryEscape(s) }
