package revocation

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestRevocation(t *testing.T) { suitetest.Run(t, "revocation") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("revocation", nil,
	suitetest.Control("revoke-noop", "REVOKE-REFRESH-TOKEN", check.Fail),
	suitetest.Control("revoke-access-noop", "REVOKE-ACCESS-TOKEN", check.Warn),
	suitetest.Control("revoke-no-cascade", "REVOKE-CASCADE", check.Warn),
	suitetest.Control("revoke-no-client-auth", "REVOKE-CLIENT-AUTH", check.Fail),
	suitetest.Control("revoke-cross-client", "REVOKE-CROSS-CLIENT", check.Fail),
	suitetest.Control("revoke-hint-strict", "REVOKE-INVALID-TOKEN", check.Fail),
)
