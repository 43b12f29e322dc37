// Package all imports every suite, so that their checks register; the
// oauthcheck binary imports it.
package all

import (
	_ "github.com/oauthcheck/oauthcheck/suites/authcode"
	_ "github.com/oauthcheck/oauthcheck/suites/discovery"
	_ "github.com/oauthcheck/oauthcheck/suites/pkce"
)
