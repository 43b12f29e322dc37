package security

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 9700 §4.16: the AS "MUST prevent" clickjacking of its pages, with
// CSP frame-ancestors (level 2 or later SHOULD) and X-Frame-Options for
// older browsers. Every document the browser loads from the server is
// judged, not only the first: the login and consent pages, an error page
// and the device verification page.
var _ = check.It("CLICKJACK-FRAMING-HEADERS", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	c.FreshSession()
	steps.Code(c, r) // login and consent in a fresh session
	sess := c.Session()
	md := steps.Metadata(c)

	// An error page: the authorization request of an unknown client, which
	// the server must answer with a page of its own (RFC 6749 §4.1.2.1).
	c.Note("open an authorization request of an unknown client: an error page")
	bad := r.URL(c)
	if u, err := url.Parse(bad); err == nil {
		q := u.Query()
		q.Set("client_id", "oauthcheck-unknown-"+steps.Random(6))
		u.RawQuery = q.Encode()
		bad = u.String()
	}
	c.Require(sess.Open(c, bad), "open the error page")

	// The device verification page, signed in.
	if cl, _ := c.Env.Target.Client(target.RoleDevice); cl != nil && md.DeviceAuthorizationEndpoint != "" {
		d := steps.StartDevice(c, target.RoleDevice)
		c.Note("open the device verification page")
		c.Require(sess.Open(c, d.VerificationURI), "open the device verification page")
	} else {
		c.Info("the server offers no device grant to the config's clients, so no device verification page was examined")
	}

	pages := serverPages(sess.Steps(), md.Issuer)
	if len(pages) == 0 {
		c.Skipf("the browser saw no page of the server (the login may live elsewhere)")
	}
	for _, f := range judgeFraming(pages) {
		switch f.Verdict {
		case check.Fail:
			c.Fail(f.Ref, "%s", f.Message)
		case check.Warn:
			c.Warn(f.Ref, "%s", f.Message)
		case check.Pass:
			c.Pass("%s", f.Message)
		default:
			c.Info("%s", f.Message)
		}
	}
}, check.Control("framing-allowed", check.Fail),
	check.Quirk("consent-no-deny", check.Pass), check.Quirk("js-login", check.Pass))

// serverPage is a document of the server that the browser loaded, and
// what the person did on it (login, user_code, approve, deny).
type serverPage struct {
	URL    string
	Status int
	Header http.Header
	Acts   []string
}

// personal reports whether the person logged in or decided on the page:
// the login or consent page, which must never be framed.
func (p serverPage) personal() bool {
	return slices.ContainsFunc(p.Acts, func(a string) bool { return a != "user_code" })
}

// serverPages are the documents of the issuer's host, answered with a
// page (not a redirect), each with the actions that followed it.
func serverPages(ss []evidence.Step, issuer string) []serverPage {
	var out []serverPage
	current := -1
	for _, st := range ss {
		switch st.Kind {
		case evidence.StepDocument:
			current = -1
			if st.Status/100 == 3 || !sameHost(st.URL, issuer) {
				continue
			}
			out = append(out, serverPage{URL: st.URL, Status: st.Status, Header: st.Header})
			current = len(out) - 1
		case evidence.StepAction:
			if current >= 0 {
				out[current].Acts = append(out[current].Acts, st.Action)
			}
		}
	}
	return out
}

// The framing protection of a page.
const (
	unprotected = iota
	xfoOnly     // X-Frame-Options DENY or SAMEORIGIN, no CSP frame-ancestors
	cspFraming  // CSP frame-ancestors that names no wildcard
)

// framingOf reads a page's framing protection from its headers, and why.
// CSP frame-ancestors, where present, decides for browsers that know it,
// which then ignore X-Frame-Options: a wildcard source (*, a bare scheme)
// lets any origin frame the page. Policies that are only reported protect
// nothing; of several enforced policies, the strictest holds.
func framingOf(h http.Header) (int, string) {
	var sources []string
	found := false
	for _, policy := range h.Values("Content-Security-Policy") {
		for _, dir := range strings.Split(policy, ";") {
			f := strings.Fields(strings.ToLower(dir))
			if len(f) == 0 || f[0] != "frame-ancestors" {
				continue
			}
			src := strings.Join(f[1:], " ")
			if !anyOrigin(f[1:]) {
				return cspFraming, "frame-ancestors " + src
			}
			found, sources = true, append(sources, "frame-ancestors "+src)
		}
	}
	if found {
		return unprotected, strings.Join(sources, ", ") + " (any origin may frame it, and X-Frame-Options is then ignored)"
	}
	switch xfo := strings.ToUpper(strings.TrimSpace(h.Get("X-Frame-Options"))); xfo {
	case "DENY", "SAMEORIGIN":
		return xfoOnly, "X-Frame-Options " + xfo
	case "":
		return unprotected, "neither CSP frame-ancestors nor X-Frame-Options"
	default:
		return unprotected, fmt.Sprintf("X-Frame-Options %q, which browsers do not enforce, and no CSP frame-ancestors", xfo)
	}
}

// anyOrigin reports whether frame-ancestors sources let any origin frame
// the page: *, or a bare scheme such as https:.
func anyOrigin(sources []string) bool {
	for _, s := range sources {
		switch strings.Trim(s, "'") {
		case "*", "https:", "http:", "https://*", "http://*":
			return true
		}
	}
	return false
}

// judgeFraming grades the pages of the server, as the catalogue has it: a
// login or consent page that can be framed is a FAIL; another page that
// can be framed while others are protected, or a page protected by
// X-Frame-Options alone, is a WARN; every page protected by
// frame-ancestors is a PASS.
func judgeFraming(pages []serverPage) check.Findings {
	var out check.Findings
	add := func(v check.Verdict, format string, args ...any) {
		f := check.Finding{Verdict: v, Message: fmt.Sprintf(format, args...)}
		if v == check.Fail || v == check.Warn {
			f.Ref = "RFC 9700 §4.16"
		}
		out = append(out, f)
	}
	var open, protected []string
	for _, p := range pages {
		prot, why := framingOf(p.Header)
		page := fmt.Sprintf("%s (%d)", p.URL, p.Status)
		switch {
		case prot == unprotected && p.personal():
			add(check.Fail, "the page %s, on which the person %s, can be framed: %s", page, strings.Join(p.Acts, " and "), why)
		case prot == unprotected:
			open = append(open, page+": "+why)
		case prot == xfoOnly:
			protected = append(protected, page)
			add(check.Warn, "the page %s is protected only by %s, not CSP frame-ancestors", page, why)
		default:
			protected = append(protected, page)
		}
	}
	switch {
	case len(open) > 0 && len(protected) > 0:
		add(check.Warn, "%d of %d pages forbid framing, but not %s", len(protected), len(pages), strings.Join(open, "; "))
	case len(open) > 0:
		add(check.Warn, "no page of the server forbids framing: %s", strings.Join(open, "; "))
	case len(protected) == len(pages):
		add(check.Pass, "all %d pages of the server that the browser loaded forbid framing", len(pages))
	}
	return out
}

func sameHost(u, issuer string) bool {
	host := func(s string) string {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
		if i := strings.IndexAny(s, "/?#"); i >= 0 {
			s = s[:i]
		}
		return s
	}
	return host(u) == host(issuer)
}
