package authcode

import (
	"strings"
	"testing"
)

// The variants of a redirect URI differ from it, and the userinfo trick
// is sent raw: an escaped @ would be a harmless host name.
func TestVariants(t *testing.T) {
	for _, registered := range []string{"https://client.oauthcheck.test/cb", "http://127.0.0.1:8765/cb"} {
		for _, v := range variants(registered) {
			if v.uri == registered {
				t.Errorf("%s: variant %q is the registered URI itself", registered, v.name)
			}
			if v.name == "userinfo" && (!strings.Contains(v.uri, "@evil.oauthcheck.test") || strings.Contains(v.uri, "%40")) {
				t.Errorf("%s: the userinfo variant %q is not raw", registered, v.uri)
			}
			if v.name == "other port" && strings.HasPrefix(registered, "http://127.0.0.1") {
				t.Errorf("%s: a loopback redirect URI takes any port (RFC 8252 §7.3): no port variant", registered)
			}
		}
	}
}
