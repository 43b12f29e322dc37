package security

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestSecurity(t *testing.T) { suitetest.Run(t, "security") }

// The checks of groups 11 to 16 that are built pass against the strict
// reference; under each weakness, the check it targets must FAIL or WARN.
var _ = suitetest.Suite("security", nil,
	suitetest.Control("no-iss", "ISS-IN-SUCCESS-RESPONSE", check.Fail),
	suitetest.Control("no-iss", "ISS-IN-ERROR-RESPONSE", check.Fail),
	suitetest.Control("iss-mismatch", "ISS-VALUE-MATCHES-ISSUER", check.Fail),
	suitetest.Control("no-iss", "ISS-METADATA-FLAG", check.Fail),
	suitetest.Control("password-grant", "ROPC-DISABLED", check.Fail),
	suitetest.Control("framing-allowed", "CLICKJACK-FRAMING-HEADERS", check.Fail),
	suitetest.Control("open-redirect", "OPENREDIR-INVALID-CLIENT", check.Fail),
	suitetest.Control("error-before-login", "OPENREDIR-ERROR-BEFORE-AUTH", check.Fail),
	suitetest.Control("jwt-typ-jwt", "JWTAT-TYP", check.Fail),
	suitetest.Control("jwt-unknown-kid", "JWTAT-SIGNATURE", check.Fail),
	suitetest.Control("jwt-no-jti", "JWTAT-REQUIRED-CLAIMS", check.Fail),
)
