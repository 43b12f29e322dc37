package security

import (
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 9700 §4.16: the AS "MUST prevent" clickjacking of its pages, with
// CSP frame-ancestors (level 2 or later SHOULD) and X-Frame-Options for
// older browsers. Every document of the flow is judged, not only the first.
var _ = check.It("CLICKJACK-FRAMING-HEADERS", func(c *check.C) {
	steps.Code(c, steps.NewAuthRequest(c, target.RoleConfidential)) // login and consent in a fresh session
	issuer := steps.Metadata(c).Issuer
	pages, weak := 0, 0
	for _, st := range c.Session().Steps() {
		if st.Kind != evidence.StepDocument || st.Status != 200 || !sameHost(st.URL, issuer) {
			continue
		}
		pages++
		csp := strings.ToLower(strings.Join(st.Header.Values("Content-Security-Policy"), ";"))
		xfo := strings.ToUpper(st.Header.Get("X-Frame-Options"))
		hasCSP := strings.Contains(csp, "frame-ancestors")
		hasXFO := xfo == "DENY" || xfo == "SAMEORIGIN"
		switch {
		case !hasCSP && !hasXFO:
			c.Fail("RFC 9700 §4.16", "the page %s can be framed: neither CSP frame-ancestors nor X-Frame-Options", st.URL)
		case !hasCSP:
			weak++
			c.Warn("RFC 9700 §4.16", "the page %s has only X-Frame-Options, no CSP frame-ancestors", st.URL)
		}
	}
	if pages == 0 {
		c.Skipf("the browser saw no page of the server (the login may live elsewhere)")
	}
	c.Pass("%d pages of the server checked for framing headers", pages)
}, check.Control("framing-allowed", check.Fail))

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
