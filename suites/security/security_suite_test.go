package security

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestSecurity(t *testing.T) { suitetest.Run(t, "security") }

// The checks of groups 11 to 16 that are built pass against the strict
// reference; under each weakness, the check it targets must FAIL or WARN.
var _ = suitetest.Suite("security", nil)
