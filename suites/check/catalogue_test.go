package check

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/onsi/ginkgo/v2/types"
)

func TestCatalogueIDs(t *testing.T) {
	all := All()
	if len(all) != 92 {
		t.Errorf("the catalogue has %d checks, want 92", len(all))
	}
	idRE := regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)+$`)
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.ID] {
			t.Errorf("duplicate ID %s", c.ID)
		}
		seen[c.ID] = true
		if !idRE.MatchString(c.ID) {
			t.Errorf("ID %q is not upper-case words joined by dashes", c.ID)
		}
		if got, ok := Lookup(c.ID); !ok || got.ID != c.ID {
			t.Errorf("Lookup(%s) = %v, %v", c.ID, got, ok)
		}
	}
	if len(seen) != 92 {
		t.Errorf("the catalogue has %d unique IDs, want 92", len(seen))
	}
	if c, ok := Lookup("NO-SUCH-CHECK"); ok || c != nil {
		t.Errorf("Lookup(NO-SUCH-CHECK) = %v, %v; want nil, false", c, ok)
	}
	// All returns a copy: a caller cannot change the catalogue.
	all[0].ID = "CHANGED"
	if All()[0].ID == "CHANGED" {
		t.Errorf("All() shares the catalogue's backing array")
	}
}

func TestCatalogueEntries(t *testing.T) {
	flowsSeen := map[string]bool{}
	for _, c := range All() {
		if !slices.Contains(Flows, c.Flow) {
			t.Errorf("%s: flow %q is not in Flows %v", c.ID, c.Flow, Flows)
		}
		flowsSeen[c.Flow] = true
		if !slices.Contains([]string{"P1", "P2", "P3"}, c.Priority) {
			t.Errorf("%s: priority %q, want P1, P2 or P3", c.ID, c.Priority)
		}
		if len(c.Refs) == 0 {
			t.Errorf("%s: no Refs", c.ID)
		}
		for _, r := range c.Refs {
			if strings.TrimSpace(r) == "" {
				t.Errorf("%s: an empty ref in %q", c.ID, c.Refs)
			}
		}
		if strings.TrimSpace(c.Requirement) == "" {
			t.Errorf("%s: no Requirement", c.ID)
		}
		if c.Level == "" || c.Group < 1 || c.GroupTitle == "" {
			t.Errorf("%s: level %q, group %d %q; want all set", c.ID, c.Level, c.Group, c.GroupTitle)
		}
	}
	for _, f := range Flows {
		if !flowsSeen[f] {
			t.Errorf("flow %s has no check", f)
		}
	}
}

func TestCatalogueLabelsAreValidGinkgoLabels(t *testing.T) {
	for _, c := range All() {
		labels := c.Labels()
		want := []string{"id:" + c.ID, "flow:" + c.Flow, "level:" + c.KeyLevel(), "priority:" + c.Priority}
		if diff := cmp.Diff(want, labels[:4]); diff != "" {
			t.Errorf("%s: first labels mismatch (-want +got):\n%s", c.ID, diff)
		}
		refs := 0
		for _, l := range labels {
			cleaned, err := types.ValidateAndCleanupLabel(l, types.CodeLocation{})
			if err != nil {
				t.Errorf("%s: label %q is not a valid ginkgo label: %v", c.ID, l, err)
				continue
			}
			if cleaned != l || strings.ContainsAny(l, " \t") {
				t.Errorf("%s: label %q holds white space", c.ID, l)
			}
			if strings.HasPrefix(l, "ref:") {
				refs++
			}
		}
		if refs == 0 {
			t.Errorf("%s: no ref: label from %q", c.ID, c.Refs)
		}
	}
}

func TestRefLabel(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"RFC 6749 §4.1.2", "RFC6749-4.1.2"},
		{"RFC 9700 §4.2.4", "RFC9700-4.2.4"},
		{"RFC 7517", "RFC7517"},
		{"OAuth 2.1 §4.1.3", "OAuth2.1-4.1.3"},
		{"OIDC Disc. §4.3", "OIDCDisc.-4.3"},
		{"RFC 6749/4.1.2 (a, b) & c | !d", "RFC67494.1.2abcd"},
		{"§", ""},
	}
	for _, tt := range tests {
		if got := RefLabel(tt.ref); got != tt.want {
			t.Errorf("RefLabel(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestRefURL(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"RFC 6749 §4.1.2", "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"},
		{"RFC 8414 §3.1.", "https://www.rfc-editor.org/rfc/rfc8414#section-3.1"},
		{"RFC 7517", "https://www.rfc-editor.org/rfc/rfc7517"},
		{"OAuth 2.1 §4.1.3", "https://datatracker.ietf.org/doc/draft-ietf-oauth-v2-1/"},
		{"OIDC Disc. §4", "https://openid.net/specs/openid-connect-discovery-1_0.html"},
		{"BCP 195 / RFC 9325", ""},
		{"OAuth Multiple Response Types Encoding Practices", ""},
	}
	for _, tt := range tests {
		if got := RefURL(tt.ref); got != tt.want {
			t.Errorf("RefURL(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestKeyLevel(t *testing.T) {
	tests := []struct{ level, want string }{
		{"MUST", "MUST"},
		{"MUST NOT", "MUST"},
		{"BCP-MUST NOT", "MUST"},
		{"BCP RECOMMENDED to publish; MUST (if published) for location/format", "MUST"},
		{"SHOULD", "SHOULD"},
		{"SHOULD NOT", "SHOULD"},
		{"RECOMMENDED (usability)", "SHOULD"},
		{"REQ", "REQ"},
		{"DERIVED + BCP", "DERIVED"},
		{"MAY", "MAY"},
		{"", "MAY"},
	}
	for _, tt := range tests {
		c := &Check{Level: tt.level}
		if got := c.KeyLevel(); got != tt.want {
			t.Errorf("KeyLevel(%q) = %q, want %q", tt.level, got, tt.want)
		}
	}
}

func TestParseProfile(t *testing.T) {
	tests := []struct {
		in   string
		want Profile
	}{{"oauth2", OAuth2}, {"bcp", BCP}, {"", BCP}, {"oauth2.1", OAuth21}}
	for _, tt := range tests {
		got, err := ParseProfile(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseProfile(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if tt.in != "" && got.String() != tt.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
	for _, bad := range []string{"OAuth2", "2.1", "fapi", " bcp"} {
		_, err := ParseProfile(bad)
		if err == nil || !strings.Contains(err.Error(), `unknown profile "`+bad+`"`) || !strings.Contains(err.Error(), "oauth2, bcp, oauth2.1") {
			t.Errorf("ParseProfile(%q): err = %v, want one naming the value and the valid profiles", bad, err)
		}
	}
	if !(OAuth2 < BCP && BCP < OAuth21) {
		t.Errorf("profiles are not ordered from loosest to strictest")
	}
}

// TestCatalogueIsGenerated regenerates the catalogue from CHECKS.md and
// fails if catalogue_gen.go differs: the file must not drift from the
// catalogue nor be edited by hand.
func TestCatalogueIsGenerated(t *testing.T) {
	checks := filepath.Join("..", "..", "..", "shared", "CHECKS.md")
	if _, err := os.Stat(checks); err != nil {
		t.Skipf("no CHECKS.md at %s to regenerate the catalogue from: %v", checks, err)
	}
	if testing.Short() {
		t.Skip("-short: skipping go run ./internal/gencatalogue")
	}
	out := filepath.Join(t.TempDir(), "catalogue_gen.go")
	cmd := exec.Command("go", "run", "./internal/gencatalogue", "-in", checks, "-out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run ./internal/gencatalogue: %v\n%s", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("catalogue_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
		t.Errorf("catalogue_gen.go is stale; run go generate ./suites/check (-committed +generated):\n%s", diff)
	}
}
