// Package all imports every suite, so that their checks register; the
// oauthcheck binary imports it.
package all

import (
	_ "github.com/oauthcheck/oauthcheck/suites/authcode"
	_ "github.com/oauthcheck/oauthcheck/suites/clientcreds"
	_ "github.com/oauthcheck/oauthcheck/suites/device"
	_ "github.com/oauthcheck/oauthcheck/suites/discovery"
	_ "github.com/oauthcheck/oauthcheck/suites/implicit"
	_ "github.com/oauthcheck/oauthcheck/suites/introspection"
	_ "github.com/oauthcheck/oauthcheck/suites/pkce"
	_ "github.com/oauthcheck/oauthcheck/suites/refresh"
	_ "github.com/oauthcheck/oauthcheck/suites/revocation"
	_ "github.com/oauthcheck/oauthcheck/suites/security"
	_ "github.com/oauthcheck/oauthcheck/suites/tokenendpoint"
)
