package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The CI recipes of the README parse as YAML, and every oauthcheck
// command line in them names only flags that exist.
func TestCIRecipes(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i := strings.Index(readme, "## In CI")
	if i < 0 {
		t.Fatal("the README has no \"In CI\" section")
	}
	section := readme[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 2 {
		t.Fatalf("the In CI section has %d YAML blocks, want 2 (GitHub Actions, GitLab CI)", len(blocks))
	}
	root := newRootCmd(nil, nil)
	for n, b := range blocks {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(b[1]), &doc); err != nil {
			t.Errorf("block %d does not parse: %v", n+1, err)
			continue
		}
		var lines []string
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for _, e := range x {
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case string:
				for _, l := range strings.Split(x, "\n") {
					if strings.HasPrefix(strings.TrimSpace(l), "oauthcheck ") {
						lines = append(lines, strings.TrimSpace(l))
					}
				}
			}
		}
		walk(doc)
		if len(lines) == 0 {
			t.Errorf("block %d runs no oauthcheck command", n+1)
		}
		for _, l := range lines {
			args := strings.Fields(l)[1:]
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == root {
				t.Errorf("block %d: %q names no oauthcheck command", n+1, l)
				continue
			}
			for _, a := range rest {
				if name, ok := strings.CutPrefix(a, "--"); ok {
					name, _, _ = strings.Cut(name, "=")
					if cmd.Flags().Lookup(name) == nil {
						t.Errorf("block %d: oauthcheck %s has no flag --%s", n+1, cmd.Name(), name)
					}
				}
			}
		}
		if !strings.Contains(b[1], "junit") || !strings.Contains(b[1], "report.html") {
			t.Errorf("block %d does not publish the JUnit and keep the HTML report", n+1)
		}
	}
}
