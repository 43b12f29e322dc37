package clientcreds

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestClientCreds(t *testing.T) { suitetest.Run(t, "clientcreds") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("clientcreds", nil,
	suitetest.Control("cc-no-client-auth", "CC-CLIENT-AUTH-REQUIRED", check.Fail),
	suitetest.Control("cc-public-client", "CC-PUBLIC-CLIENT-REJECTED", check.Fail),
	suitetest.Control("cc-refresh-token", "CC-NO-REFRESH-TOKEN", check.Warn),
	suitetest.Control("no-basic-auth", "CLIENTAUTH-METHODS-SUPPORTED", check.Fail),
	suitetest.Control("basic-no-form-decoding", "CLIENTAUTH-BASIC-FORM-ENCODING", check.Fail),
	suitetest.Control("secret-in-uri", "CLIENTAUTH-NO-SECRET-IN-URI", check.Fail),
	suitetest.Control("no-client-auth-throttle", "CLIENTAUTH-BRUTEFORCE-THROTTLE", check.Warn),
)
