package reference_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/oauthcheck/oauthcheck/reference"
)

// The probes of the open redirectors of the server's other endpoints
// (OPENREDIR-AS-AUX-ENDPOINTS): logout and the login's return_to.
func init() {
	weaknessProbes = append(weaknessProbes, weaknessProbe{
		weakness: reference.LogoutOpenRedirect,
		reason:   "RFC 9700 §4.11.2: logout does not redirect to an unregistered post_logout_redirect_uri",
		probe: func(t *testing.T, e *env) bool {
			q := url.Values{"client_id": {e.client(t, reference.RolePublic).ID},
				"post_logout_redirect_uri": {"https://attacker.example/x"}, "state": {"s"}}
			r := e.browser(t).get(t, "/logout?"+q.Encode())
			return r.Status == http.StatusOK && r.Header.Get("Location") == ""
		},
	}, weaknessProbe{
		weakness: reference.LoginOpenRedirect,
		reason:   "RFC 9700 §4.11.2: after login, return_to leads only to a path on the server",
		probe: func(t *testing.T, e *env) bool {
			b := e.browser(t)
			page := b.get(t, "/login?return_to="+url.QueryEscape("https://attacker.example/x"))
			next, err := url.Parse(b.login(t, page, e.user.Password).next(t))
			return err == nil && next.Scheme+"://"+next.Host == e.url
		},
	})
}
