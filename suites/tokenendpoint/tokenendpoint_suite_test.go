package tokenendpoint

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestTokenEndpoint(t *testing.T) { suitetest.Run(t, "tokenendpoint") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("tokenendpoint", nil,
	suitetest.Control("no-cache-headers", "TOKEN-CACHE-NO-STORE", check.Fail),
	suitetest.Control("token-response-incomplete", "TOKEN-RESPONSE-FORMAT", check.Fail),
	suitetest.Control("token-error-html", "TOKEN-ERROR-CODES", check.Fail),
	suitetest.Control("invalid-client-400", "TOKEN-INVALID-CLIENT-401", check.Fail),
	suitetest.Control("token-get-allowed", "TOKEN-POST-ONLY", check.Fail),
	suitetest.Control("token-repeated-params", "TOKEN-PARAM-HYGIENE", check.Fail),
	suitetest.Control("weak-tokens", "TOKEN-ENTROPY", check.Fail),
	suitetest.Control("long-access-tokens", "TOKEN-AT-LIFETIME", check.Warn),
)
