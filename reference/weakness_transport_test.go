package reference_test

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/reference"
)

// The probes of the transport weaknesses: the token response's media type
// and, served over TLS, the protocol versions and plain http.
func init() {
	weaknessProbes = append(weaknessProbes, weaknessProbe{
		weakness: reference.TokenTextPlain,
		// x/oauth2 reads a body that is not JSON as a form: the flows of
		// the other probes break.
		broad:  true,
		reason: "RFC 6749 §5.1: a token response is application/json",
		probe: func(t *testing.T, e *env) bool {
			r := e.token(t, ccForm(""), e.as(t, e.ccRole))
			return ok(r) && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
		},
	}, weaknessProbe{
		weakness: reference.TLSLegacyVersions,
		reason:   "RFC 8996: TLS 1.0 and 1.1 handshakes are refused",
		probe: func(t *testing.T, e *env) bool {
			origin := serveTLS(t, e)
			return handshake(t, origin, tls.VersionTLS10) != nil && handshake(t, origin, tls.VersionTLS11) != nil
		},
	}, weaknessProbe{
		weakness: reference.TLSUntrustedCert,
		reason:   "RFC 6749 §10.9: the certificate verifies against the CA the server was given",
		probe: func(t *testing.T, e *env) bool {
			return handshake(t, serveTLS(t, e), tls.VersionTLS12) == nil
		},
	}, weaknessProbe{
		weakness: reference.HTTPEndpointsToo,
		reason:   "RFC 6749 §1.6: plain http to the https port gets no metadata",
		probe: func(t *testing.T, e *env) bool {
			return plainGet(t, serveTLS(t, e)).Status != http.StatusOK
		},
	})
}
