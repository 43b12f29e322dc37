package discovery

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestDiscovery(t *testing.T) { suitetest.Run(t, "discovery") }

// Every check of the suite runs against the strict reference and passes.

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("discovery", nil,
	suitetest.Control("issuer-mismatch", "META-ISSUER-IDENTICAL", check.Fail),
	suitetest.Control("metadata-incomplete", "META-REQUIRED-FIELDS", check.Fail),
	suitetest.Control("pkce-not-advertised", "META-PKCE-ADVERTISED", check.Warn),
	suitetest.Control("jwks-private-key", "META-JWKS-PUBLIC-ONLY", check.Fail),
	suitetest.Control("password-grant", "META-MATCHES-BEHAVIOUR", check.Warn),
	suitetest.Control("metadata-not-json", "META-WELLKNOWN", check.Fail),
)
