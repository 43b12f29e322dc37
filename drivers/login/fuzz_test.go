package login_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oauthcheck/oauthcheck/drivers/login"
)

// FuzzParseScript: a login script never panics the parser, and a script
// that parses has steps, each with a condition.
func FuzzParseScript(f *testing.F) {
	for _, p := range []string{filepath.Join("builtin", "reference.yaml"), filepath.Join("testdata", "twostep.yaml")} {
		if raw, err := os.ReadFile(p); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("steps:\n  - name: x\n    when: {url: \"(\"}\n"))
	f.Add([]byte("steps:\n  - when: {selector: a}\n    click: {approve: b}\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := login.ParseScript(raw)
		if err != nil {
			return
		}
		if len(s.Steps) == 0 {
			t.Fatal("a script without steps was accepted")
		}
		for i, st := range s.Steps {
			if st.When.URL == "" && st.When.Selector == "" {
				t.Fatalf("step %d without a condition was accepted", i+1)
			}
		}
	})
}
