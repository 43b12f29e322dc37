package discovery

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestDiscovery(t *testing.T) { suitetest.Run(t, "discovery") }

// Every check of the suite runs against the strict reference and passes.

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("discovery", nil)
