package authcode

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestAuthcode(t *testing.T) { suitetest.Run(t, "authcode") }

// shortCodes lets AUTHCODE-EXPIRY wait seconds, not minutes: the code
// lifetime of reftarget.Quick, long enough for a loaded machine's browser.
var shortCodes suitetest.Config = reftarget.Quick

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("authcode", shortCodes,
	suitetest.Control("code-reuse", "AUTHCODE-CODE-REUSE", check.Fail),
	suitetest.Control("code-replay-keeps-tokens", "AUTHCODE-REUSE-REVOKES-TOKENS", check.Warn),
	suitetest.Control("code-reuse", "AUTHCODE-CONCURRENT-REDEEM", check.Fail),
	suitetest.Control("code-no-expiry", "AUTHCODE-EXPIRY", check.Warn),
	suitetest.Control("code-not-client-bound", "AUTHCODE-CLIENT-BINDING", check.Fail),
	suitetest.Control("redirect-uri-not-checked", "AUTHCODE-REDIRECT-URI-TOKEN-MATCH", check.Fail),
	suitetest.Control("redirect-prefix-match", "AUTHCODE-REDIRECT-EXACT-MATCH", check.Fail),
	suitetest.Control("registration-lax", "AUTHCODE-REDIRECT-REGISTRATION-RULES", check.Fail),
	suitetest.Control("state-truncated", "AUTHCODE-STATE-ECHO", check.Fail),
	suitetest.Control("error-no-state", "AUTHCODE-ERROR-RESPONSE", check.Fail),
	suitetest.Control("repeated-params-allowed", "AUTHCODE-PARAM-HYGIENE", check.Fail),
	suitetest.Control("redirect-307", "AUTHCODE-NO-307", check.Fail),
)
