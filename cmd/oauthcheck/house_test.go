package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

const module = "github.com/oauthcheck/oauthcheck/"

// TestImportRules keeps the layers of DESIGN.md ("Which folder may use
// which"): the data goes one way, target → drivers → suites → reports, and
// only cmd wires everything. It reads what each package reaches from
// go list -deps.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}|{{range .Imports}} {{.}}{{end}}`, "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps, imports := map[string][]string{}, map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		d, i, _ := strings.Cut(line, "|")
		f := strings.Fields(d)
		deps[f[0]], imports[f[0]] = f[1:], strings.Fields(i)
	}
	if len(deps) < 20 {
		t.Fatalf("go list found %d packages; the module should have more", len(deps))
	}
	under := func(pkg, dir string) bool { return pkg == module+dir || strings.HasPrefix(pkg, module+dir+"/") }
	external := func(p string) bool {
		return strings.Contains(strings.SplitN(p, "/", 2)[0], ".") && !strings.HasPrefix(p, module)
	}
	rules := []struct {
		name   string
		from   func(string) bool
		never  func(string) bool
		direct bool // only what the package imports itself
	}{
		{"reports reach only the catalogue and the evidence, nothing that talks to a target",
			func(p string) bool { return under(p, "reports") },
			func(d string) bool {
				return (strings.HasPrefix(d, module) && !under(d, "reports") && !under(d, "suites/catalogue") && !under(d, "drivers/evidence")) ||
					strings.Contains(d, "go-rod") || strings.Contains(d, "dockertest")
			}, false},
		{"reference never reaches the harness",
			func(p string) bool { return under(p, "reference") },
			func(d string) bool { return strings.HasPrefix(d, module) && !under(d, "reference") }, false},
		{"drivers never reach suites, reports or cmd",
			func(p string) bool { return under(p, "drivers") },
			func(d string) bool { return under(d, "suites") || under(d, "reports") || under(d, "cmd") }, false},
		{"the catalogue and the evidence use the standard library only",
			func(p string) bool {
				return under(p, "suites/catalogue") && !strings.Contains(p, "/internal/") || under(p, "drivers/evidence")
			},
			func(d string) bool {
				return strings.HasPrefix(d, module) && !under(d, "suites/catalogue") || external(d)
			}, false},
		{"suites never drive the browser themselves (go-rod stays in drivers)",
			func(p string) bool { return under(p, "suites") },
			func(d string) bool { return strings.Contains(d, "go-rod") }, true},
		{"nothing but cmd reaches cmd",
			func(p string) bool { return !under(p, "cmd") },
			func(d string) bool { return under(d, "cmd") }, false},
	}
	for _, r := range rules {
		for pkg, ds := range deps {
			if !r.from(pkg) {
				continue
			}
			if r.direct {
				ds = imports[pkg]
			}
			for _, d := range ds {
				if r.never(d) {
					t.Errorf("%s: %s reaches %s", r.name, strings.TrimPrefix(pkg, module), d)
				}
			}
		}
	}
	// A flow's suite never uses another flow's suite.
	flows := flowNames()
	for _, a := range flows {
		for _, d := range deps[module+"suites/"+a] {
			for _, b := range flows {
				if b != a && under(d, "suites/"+b) {
					t.Errorf("suites/%s reaches suites/%s", a, b)
				}
			}
		}
	}
}

// TestControlRegistry: every built check has a negative control; every
// control names a weakness the reference has; every weakness is used by a
// control; and `oauthcheck reference --help` names, for each weakness, the
// checks whose controls use it.
func TestControlRegistry(t *testing.T) {
	if errs := check.RegistrationErrors(); len(errs) > 0 {
		t.Fatalf("registration errors: %q", errs)
	}
	used := map[string]bool{}
	for _, id := range check.Registered() {
		controls := 0
		for _, rc := range check.Cases(id) {
			switch {
			case rc.Weakness != "":
				controls++
				used[rc.Weakness] = true
				if _, err := reference.ParseWeakness(rc.Weakness); err != nil {
					t.Errorf("%s: its control names %v", id, err)
				}
			}
		}
		if controls == 0 {
			t.Errorf("%s has no negative control: a check that cannot be shown to fail is a defect", id)
		}
	}
	for _, w := range reference.AllWeaknesses() {
		if !used[string(w.Name)] {
			t.Errorf("weakness %s is used by no control: no check shows that it breaks something", w.Name)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"reference", "--help"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("reference --help: exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(stdout.String(), "\n")
	for w, ids := range controlledBy() {
		found := false
		for i, l := range lines {
			if !strings.HasPrefix(l, "  "+w+" ") || i+1 == len(lines) {
				continue
			}
			found = true
			for _, id := range ids {
				if !strings.Contains(lines[i+1], id) {
					t.Errorf("reference --help, weakness %s: %q does not name %s", w, lines[i+1], id)
				}
			}
		}
		if !found {
			t.Errorf("reference --help does not list weakness %s", w)
		}
	}
}
