package refresh

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestRefresh(t *testing.T) { suitetest.Run(t, "refresh") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("refresh", nil,
	suitetest.Control("refresh-no-rotation", "REFRESH-ROTATION", check.Fail),
	suitetest.Control("refresh-old-valid", "REFRESH-OLD-RT-INVALIDATED", check.Fail),
	suitetest.Control("refresh-no-reuse-detection", "REFRESH-REUSE-DETECTION", check.Fail),
	suitetest.Control("refresh-reuse-keeps-access", "REFRESH-REUSE-REVOKES-ACCESS", check.Warn),
	suitetest.Control("refresh-old-valid", "REFRESH-CONCURRENT", check.Fail),
	suitetest.Control("refresh-not-client-bound", "REFRESH-CLIENT-BINDING", check.Fail),
	suitetest.Control("refresh-no-client-auth", "REFRESH-CLIENT-AUTH-REQUIRED", check.Fail),
	suitetest.Control("refresh-scope-escalation", "REFRESH-SCOPE-NO-ESCALATION", check.Fail),
	suitetest.Control("refresh-no-expiry", "REFRESH-LIFECYCLE", check.Warn),
)
