package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/catalogue/internal/render"
)

// TestRun generates into a temporary folder, then checks that -check
// passes on the result and fails once a file is stale.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "catalogue_gen.go")
	readme := filepath.Join(dir, "README.md")
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(readme, "# r\n\n"+render.BeginMarker+"\n"+render.EndMarker+"\n\n## after\n")
	in := filepath.Join("..", "..", "checks.yaml")

	if err := run(in, out, readme, true); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Errorf("-check before generating: err = %v, want stale", err)
	}
	if err := run(in, out, readme, false); err != nil {
		t.Fatal(err)
	}
	if err := run(in, out, readme, true); err != nil {
		t.Errorf("-check after generating: %v", err)
	}
	md, _ := os.ReadFile(readme)
	if !strings.Contains(string(md), "| AUTHCODE-CODE-REUSE | authcode | P1 | MUST |") || !strings.HasSuffix(string(md), render.EndMarker+"\n\n## after\n") {
		t.Errorf("README after generating:\n%s", md)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("catalogue_gen.go: %v, %v; want mode 0644", fi, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the folder holds %d files, want 2 (no temporary files left)", len(entries))
	}

	write(out, "package catalogue\n")
	if err := run(in, out, readme, true); err == nil || !strings.Contains(err.Error(), out) {
		t.Errorf("-check with a stale Go file: err = %v", err)
	}

	write(readme, "# no markers\n")
	if err := run(in, out, readme, false); err == nil || !strings.Contains(err.Error(), render.BeginMarker) {
		t.Errorf("README without markers: err = %v, want one naming the markers", err)
	}
}
