package introspection

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestIntrospection(t *testing.T) { suitetest.Run(t, "introspection") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("introspection", nil)
