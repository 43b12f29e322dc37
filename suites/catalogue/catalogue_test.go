package catalogue

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/catalogue/internal/render"
)

// TestGenerated renders checks.yaml in process and fails if
// catalogue_gen.go or the README's catalogue block differ from it: neither
// may drift from the YAML nor be edited by hand.
func TestGenerated(t *testing.T) {
	data, err := os.ReadFile("checks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := render.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	src, err := render.GoSource(f)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("catalogue_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != string(src) {
		t.Errorf("catalogue_gen.go is stale; run go generate ./suites/catalogue\n%s", firstDiff(string(committed), string(src)))
	}
	if !strings.HasPrefix(string(committed), render.Header+"\n") {
		t.Errorf("catalogue_gen.go does not start with %q", render.Header)
	}
	for i, line := range strings.Split(string(committed), "\n") {
		if len(line) > 1000 {
			t.Errorf("catalogue_gen.go:%d is %d bytes long; every field belongs on its own line", i+1, len(line))
		}
	}

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block, err := render.Block(readme)
	if err != nil {
		t.Fatal(err)
	}
	if want := render.Markdown(f); block != want {
		t.Errorf("README.md's catalogue block is stale; run go generate ./suites/catalogue\n%s", firstDiff(block, want))
	}
	if md := Markdown(); md != render.Markdown(f) {
		t.Errorf("Markdown() and render.Markdown disagree:\n%s", firstDiff(md, render.Markdown(f)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n  committed: " + gl + "\n  generated: " + wl
		}
	}
	return ""
}

// The counts of CHECKS.md §17, per group: checks, P1, P2, P3.
var groupCounts = map[int][4]int{
	1:  {6, 0, 5, 1},
	2:  {12, 4, 6, 2},
	3:  {10, 6, 2, 2},
	4:  {3, 0, 3, 0},
	5:  {7, 0, 6, 1},
	6:  {12, 2, 9, 1},
	7:  {9, 3, 5, 1},
	8:  {8, 0, 6, 2},
	9:  {6, 0, 4, 2},
	10: {3, 0, 2, 1},
	11: {4, 0, 4, 0},
	12: {1, 0, 1, 0},
	13: {2, 0, 2, 0},
	14: {3, 0, 3, 0},
	15: {3, 0, 3, 0},
	16: {3, 0, 3, 0},
}

func TestCounts(t *testing.T) {
	all := All()
	if len(all) != 92 {
		t.Errorf("%d checks, want 92", len(all))
	}
	got := map[int][4]int{}
	prio := map[Priority]int{}
	for _, c := range all {
		n := got[c.Group]
		n[0]++
		switch c.Priority {
		case P1:
			n[1]++
		case P2:
			n[2]++
		case P3:
			n[3]++
		}
		got[c.Group] = n
		prio[c.Priority]++
	}
	for g := 1; g <= 16; g++ {
		if got[g] != groupCounts[g] {
			t.Errorf("group %d: checks, P1, P2, P3 = %v, want %v", g, got[g], groupCounts[g])
		}
	}
	if len(got) != 16 {
		t.Errorf("%d groups, want 16", len(got))
	}
	if prio[P1] != 15 || prio[P2] != 64 || prio[P3] != 13 {
		t.Errorf("P1, P2, P3 = %d, %d, %d; want 15, 64, 13", prio[P1], prio[P2], prio[P3])
	}
}

// TestLegacy holds the catalogue to the one suites/check generated from
// CHECKS.md: the same IDs in the same order, the same priorities, and the
// same references.
func TestLegacy(t *testing.T) {
	all := All()
	if len(all) != len(legacy) {
		t.Fatalf("%d checks, the old catalogue had %d", len(all), len(legacy))
	}
	for i, old := range legacy {
		c := all[i]
		if c.ID != old.id {
			t.Errorf("check %d is %s, the old catalogue has %s there", i+1, c.ID, old.id)
			continue
		}
		if c.Priority != old.priority {
			t.Errorf("%s: priority %s, was %s", c.ID, c.Priority, old.priority)
		}
		if !slices.Equal(c.Refs, old.refs) {
			t.Errorf("%s: refs\n  %q\nwere\n  %q", c.ID, c.Refs, old.refs)
		}
	}
}

func TestLookupAndAll(t *testing.T) {
	for _, c := range All() {
		got, ok := Lookup(c.ID)
		if !ok || got.ID != c.ID {
			t.Errorf("Lookup(%s) = %v, %v", c.ID, got, ok)
		}
	}
	if c, ok := Lookup("NO-SUCH-CHECK"); ok || c != nil {
		t.Errorf("Lookup(NO-SUCH-CHECK) = %v, %v; want nil, false", c, ok)
	}
	// All returns a copy: a caller cannot change the catalogue.
	all := All()
	all[0].ID = "CHANGED"
	all[0].Refs[0] = "CHANGED"
	all[0].Grades[0].When = "CHANGED"
	first := All()[0]
	if first.ID == "CHANGED" || first.Refs[0] == "CHANGED" || first.Grades[0].When == "CHANGED" {
		t.Errorf("All() shares the catalogue's memory")
	}
}

func TestEntries(t *testing.T) {
	idRE := regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)+$`)
	seen := map[string]bool{}
	flows := map[Flow]bool{}
	lastGroup := 0
	for _, c := range All() {
		if seen[c.ID] || !idRE.MatchString(c.ID) {
			t.Errorf("ID %q is a duplicate or not upper-case words joined by dashes", c.ID)
		}
		seen[c.ID] = true
		if c.Group < lastGroup || c.Group < 1 || c.Group > 16 || c.GroupTitle == "" {
			t.Errorf("%s: group %d %q, after group %d", c.ID, c.Group, c.GroupTitle, lastGroup)
		}
		lastGroup = c.Group
		if _, err := ParseFlow(string(c.Flow)); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		if (c.Group >= 11) != (c.Flow == Security) {
			t.Errorf("%s: group %d has flow %s; groups 11 to 16, and only they, are security", c.ID, c.Group, c.Flow)
		}
		flows[c.Flow] = true
		if !slices.Contains(Levels, c.Level) || !slices.Contains(Priorities, c.Priority) || !slices.Contains(Browsers, c.Browser) {
			t.Errorf("%s: level %q, priority %q, browser %q: not all valid", c.ID, c.Level, c.Priority, c.Browser)
		}
		if c.LevelNote == "" || c.Requirement == "" || c.Test == "" || len(c.Refs) == 0 || len(c.Grades) == 0 {
			t.Errorf("%s: level note, requirement, test, refs and grades must all be set", c.ID)
		}
		for _, g := range c.Grades {
			if _, err := ParseVerdict(string(g.Verdict)); err != nil || g.Verdict == Error || g.When == "" {
				t.Errorf("%s: grade %+v", c.ID, g)
			}
		}
		if strings.Trim(c.Wait, "—- ") == "" && c.Wait != "" {
			t.Errorf("%s: wait %q; leave it empty", c.ID, c.Wait)
		}
	}
	for _, f := range Flows {
		if !flows[f] {
			t.Errorf("flow %s has no check", f)
		}
	}
}

// TestEnumsAgree holds the generator's enums to the package's.
func TestEnumsAgree(t *testing.T) {
	strs := func(vs ...string) []string { return vs }
	check := func(name string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: render has %q, catalogue %q", name, got, want)
		}
	}
	var fl, lv, pr, br, gv []string
	for _, f := range Flows {
		fl = append(fl, string(f))
	}
	for _, l := range Levels {
		lv = append(lv, string(l))
	}
	for _, p := range Priorities {
		pr = append(pr, string(p))
	}
	for _, b := range Browsers {
		br = append(br, string(b))
	}
	for _, v := range Verdicts {
		if v != Error {
			gv = append(gv, string(v))
		}
	}
	check("flows", render.Flows, fl)
	check("levels", render.Levels, lv)
	check("priorities", render.Priorities, pr)
	check("browsers", render.Browsers, br)
	sort.Strings(gv)
	g := strs(render.GradeVerdicts...)
	sort.Strings(g)
	check("grade verdicts", g, gv)
}

func TestLabels(t *testing.T) {
	for _, c := range All() {
		labels := c.Labels()
		want := []string{"id:" + c.ID, "flow:" + string(c.Flow), "level:" + string(c.Level), "priority:" + string(c.Priority)}
		if len(labels) < 5 || !slices.Equal(labels[:4], want) {
			t.Errorf("%s: labels %q, want %q first and then ref: labels", c.ID, labels, want)
		}
		for _, l := range labels {
			if strings.TrimSpace(l) == "" || strings.ContainsAny(l, "&|!,()/ \t\n") {
				t.Errorf("%s: label %q is not a valid ginkgo label", c.ID, l)
			}
		}
		for _, l := range labels[4:] {
			if !strings.HasPrefix(l, "ref:") || l == "ref:" {
				t.Errorf("%s: label %q, want a ref: label", c.ID, l)
			}
		}
	}
	for id, level := range map[string]string{
		"PKCE-REQUIRED-CONFIDENTIAL": "level:SHOULD",
		"DEVICE-SLOW-DOWN-INTERVAL":  "level:DERIVED",
		"AUTHCODE-CODE-REUSE":        "level:MUST",
		"DEVICE-ACCESS-DENIED":       "level:REQ",
	} {
		c, ok := Lookup(id)
		if !ok {
			t.Errorf("no check %s", id)
			continue
		}
		if l := c.Labels()[2]; l != level {
			t.Errorf("%s: %s, want %s", id, l, level)
		}
	}
	c := Check{ID: "X-Y", Flow: PKCE, Level: May, Priority: P3, Refs: []string{"RFC 7636 §4.1", "§", "RFC 6749/4.1.2 (a, b)"}}
	want := []string{"id:X-Y", "flow:pkce", "level:MAY", "priority:P3", "ref:RFC7636-4.1", "ref:RFC67494.1.2ab"}
	if got := c.Labels(); !slices.Equal(got, want) {
		t.Errorf("Labels() = %q, want %q (an empty ref label is left out)", got, want)
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

func TestVerdicts(t *testing.T) {
	want := []Verdict{Pass, Fail, Error, Warn, Info, Skip}
	if !slices.Equal(Verdicts, want) {
		t.Errorf("Verdicts = %v, want %v", Verdicts, want)
	}
	bySeverity := slices.Clone(Verdicts)
	slices.SortFunc(bySeverity, func(a, b Verdict) int { return a.Severity() - b.Severity() })
	if order := []Verdict{Pass, Info, Skip, Warn, Error, Fail}; !slices.Equal(bySeverity, order) {
		t.Errorf("verdicts by severity: %v, want %v", bySeverity, order)
	}
	for i, v := range []Verdict{Pass, Info, Skip, Warn, Error, Fail} {
		if v.Severity() != i {
			t.Errorf("%s.Severity() = %d, want %d", v, v.Severity(), i)
		}
	}
	if s := Verdict("MAYBE").Severity(); s != Fail.Severity() {
		t.Errorf("an unknown verdict has severity %d, want FAIL's %d", s, Fail.Severity())
	}
	for _, v := range Verdicts {
		if got, err := ParseVerdict(string(v)); err != nil || got != v {
			t.Errorf("ParseVerdict(%q) = %q, %v", v, got, err)
		}
	}
	for _, bad := range []string{"", "pass", "MAYBE", " FAIL"} {
		_, err := ParseVerdict(bad)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(bad)) || !strings.Contains(err.Error(), "PASS, FAIL, ERROR, WARN, INFO, SKIP") {
			t.Errorf("ParseVerdict(%q): err = %v, want one naming the value and the valid verdicts", bad, err)
		}
	}
}

func TestParseFlow(t *testing.T) {
	for _, f := range Flows {
		if got, err := ParseFlow(string(f)); err != nil || got != f {
			t.Errorf("ParseFlow(%q) = %q, %v", f, got, err)
		}
	}
	valid := "discovery, authcode, pkce, implicit, clientcreds, device, refresh, tokenendpoint, revocation, introspection, security"
	for _, bad := range []string{"", "PKCE", "tls", "security "} {
		_, err := ParseFlow(bad)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(bad)) || !strings.Contains(err.Error(), valid) {
			t.Errorf("ParseFlow(%q): err = %v, want one naming the value and the valid flows", bad, err)
		}
	}
}

func TestVerdictEntry(t *testing.T) {
	e := VerdictEntry{ID: "AUTHCODE-CODE-REUSE", Verdict: Fail, Refs: []string{"RFC 6749 §4.1.2"}, Findings: Findings{
		{Verdict: Fail, Ref: "RFC 6749 §4.1.2", Message: "the code was accepted twice"},
		{Verdict: Info, Message: "tokens are JWTs"},
	}}
	want := "FAIL AUTHCODE-CODE-REUSE\nFAIL (RFC 6749 §4.1.2): the code was accepted twice\nINFO: tokens are JWTs"
	if got := e.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"id":"AUTHCODE-CODE-REUSE","verdict":"FAIL","findings":[{"verdict":"FAIL","ref":"RFC 6749 §4.1.2","message":"the code was accepted twice"},{"verdict":"INFO","message":"tokens are JWTs"}],"refs":["RFC 6749 §4.1.2"]}`
	if string(js) != wantJSON {
		t.Errorf("JSON\n  %s\nwant\n  %s", js, wantJSON)
	}
	names := []string{EntryVerdict, EntryExchanges, EntryBrowser, EntryScreenshot, EntryMeta}
	if want := []string{"oauthcheck.verdict", "oauthcheck.exchanges", "oauthcheck.browser", "oauthcheck.screenshot", "oauthcheck.meta"}; !slices.Equal(names, want) {
		t.Errorf("entry names %q, want %q", names, want)
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown()
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if len(lines) != 2+92 {
		t.Fatalf("Markdown() has %d lines, want a header, a rule and 92 rows", len(lines))
	}
	for i, c := range All() {
		row := lines[2+i]
		if !strings.HasPrefix(row, "| "+c.ID+" | "+string(c.Flow)+" | ") || strings.Count(strings.ReplaceAll(row, `\|`, ""), "|") != 7 {
			t.Errorf("row %d: %q", i+1, row)
		}
	}
	if got := markdownCell("a | b\nc"); got != `a \| b c` {
		t.Errorf("markdownCell = %q", got)
	}
}

// TestStandardLibraryOnly keeps the package a leaf: anything in the module
// may import it, so it imports nothing but the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		n++
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") || path == "C" {
				t.Errorf("%s imports %s; the catalogue package may import the standard library only", name, path)
			}
		}
	}
	if n < 2 {
		t.Errorf("found %d non-test Go files, want catalogue.go and catalogue_gen.go at least", n)
	}
}
