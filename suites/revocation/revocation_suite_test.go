package revocation

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestRevocation(t *testing.T) { suitetest.Run(t, "revocation") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("revocation", nil)
