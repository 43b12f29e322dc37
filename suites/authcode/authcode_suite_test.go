package authcode

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestAuthcode(t *testing.T) { suitetest.Run(t, "authcode") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("authcode", nil)
