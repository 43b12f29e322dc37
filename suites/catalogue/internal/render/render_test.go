package render

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// minimal returns a valid catalogue of 16 groups with one check each, with
// edit applied to the YAML of the first check.
func minimal(edit func(first string) string) string {
	var b strings.Builder
	b.WriteString("groups:\n")
	for g := 1; g <= NumGroups; g++ {
		flow := "security"
		if g <= 10 {
			flow = Flows[g-1]
		}
		check := fmt.Sprintf(`      - id: CHECK-%d
        priority: P2
        level: MUST
        level_note: "a note"
        refs: ["RFC 6749 §4.1.2"]
        requirement: "a requirement"
        test: "a test"
        grades:
          - {verdict: PASS, when: "it holds"}
        browser: no
`, g)
		if g == 1 {
			check = edit(check)
		}
		fmt.Fprintf(&b, "  - number: %d\n    title: Group %d\n    flow: %s\n    checks:\n%s", g, g, flow, check)
	}
	return b.String()
}

func TestParseValid(t *testing.T) {
	f, err := Parse([]byte(minimal(func(s string) string { return s })))
	if err != nil {
		t.Fatal(err)
	}
	if f.Count() != NumGroups || f.Groups[0].Checks[0].Browser != "no" {
		t.Errorf("parsed %d checks, browser %q", f.Count(), f.Groups[0].Checks[0].Browser)
	}
	if _, err := GoSource(f); err != nil {
		t.Error(err)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"unknown field", func(s string) string { return s + "        oauch: yes\n" }, "field oauch not found"},
		{"bad ID", func(s string) string { return strings.Replace(s, "CHECK-1", "check-1", 1) }, `ID "check-1"`},
		{"single-word ID", func(s string) string { return strings.Replace(s, "CHECK-1", "CHECK", 1) }, `ID "CHECK"`},
		{"duplicate ID", func(s string) string { return strings.Replace(s, "CHECK-1", "CHECK-2", 1) }, "duplicate ID"},
		{"bad priority", func(s string) string { return strings.Replace(s, "P2", "P4", 1) }, `priority "P4"`},
		{"bad level", func(s string) string { return strings.Replace(s, "level: MUST", "level: BCP-MUST", 1) }, `level "BCP-MUST"`},
		{"bad browser", func(s string) string { return strings.Replace(s, "browser: no", "browser: sometimes", 1) }, `browser "sometimes"`},
		{"empty requirement", func(s string) string { return strings.Replace(s, `"a requirement"`, `""`, 1) }, "requirement is empty"},
		{"empty test", func(s string) string { return strings.Replace(s, `test: "a test"`, `test: " "`, 1) }, "test is empty"},
		{"no refs", func(s string) string { return strings.Replace(s, `["RFC 6749 §4.1.2"]`, `[]`, 1) }, "no refs"},
		{"no grades", func(s string) string {
			return strings.Replace(s, "        grades:\n          - {verdict: PASS, when: \"it holds\"}\n", "", 1)
		}, "no grades"},
		{"bad verdict", func(s string) string { return strings.Replace(s, "verdict: PASS", "verdict: ERROR", 1) }, `verdict "ERROR"`},
		{"empty when", func(s string) string { return strings.Replace(s, `"it holds"`, `""`, 1) }, "when is empty"},
		{"dash wait", func(s string) string { return s + "        wait: \"—\"\n" }, "omit wait"},
		{"line break", func(s string) string { return strings.Replace(s, `"a requirement"`, `"a\nrequirement"`, 1) }, "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(minimal(tt.edit)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseGroups(t *testing.T) {
	ok := minimal(func(s string) string { return s })
	for name, yaml := range map[string]string{
		"renumbered":    strings.Replace(ok, "number: 2\n", "number: 3\n", 1),
		"bad flow":      strings.Replace(ok, "flow: discovery", "flow: tls", 1),
		"a group short": ok[:strings.Index(ok, "  - number: 16")],
	} {
		if _, err := Parse([]byte(yaml)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBlock(t *testing.T) {
	readme := []byte("# x\n\n" + BeginMarker + "\nold\n" + EndMarker + "\n\n## y\n")
	out, err := ReplaceBlock(readme, "| a |\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# x\n\n" + BeginMarker + "\n| a |\n" + EndMarker + "\n\n## y\n"; string(out) != want {
		t.Errorf("ReplaceBlock = %q, want %q", out, want)
	}
	if b, err := Block(out); err != nil || b != "| a |\n" {
		t.Errorf("Block = %q, %v", b, err)
	}
	for name, bad := range map[string]string{
		"no markers":   "# x\n",
		"no end":       BeginMarker + "\n",
		"reversed":     EndMarker + "\n" + BeginMarker + "\n",
		"two begins":   BeginMarker + "\n" + BeginMarker + "\n" + EndMarker + "\n",
		"one line":     BeginMarker + EndMarker + "\n",
		"end mid-line": BeginMarker + "\nx" + EndMarker + "\n",
	} {
		if _, err := ReplaceBlock([]byte(bad), "x\n"); err == nil || !strings.Contains(err.Error(), "README.md") {
			t.Errorf("%s: err = %v, want one about README.md", name, err)
		}
	}
}

func TestCatalogueParses(t *testing.T) {
	data, err := os.ReadFile("../../checks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Count() != 92 {
		t.Errorf("%d checks, want 92", f.Count())
	}
}
