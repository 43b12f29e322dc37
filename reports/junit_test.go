package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/onsi/ginkgo/v2/reporters"
)

func TestJUnitGolden(t *testing.T) {
	results, meta := goldenInput(t)
	got := render(t, func(b *bytes.Buffer) error { return WriteJUnit(b, results, meta) })
	checkGolden(t, "junit.xml", got)
}

// TestJUnitValidates checks the output against the Jenkins/Ant JUnit
// schema of testdata/junit.xsd with xmllint.
func TestJUnitValidates(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils)")
	}
	results, meta := goldenInput(t)
	strict := meta
	strict.FailOn, strict.StrictExpect = FailOnShould, true
	problems := meta
	problems.Problems = []string{"Suite Timeout Elapsed", "Interrupted by User"}
	noStart := Meta{}
	tests := []struct {
		name    string
		results []Result
		meta    Meta
	}{
		{"golden", results, meta},
		{"should and strict", results, strict},
		{"problems", results, problems},
		{"nothing", nil, noStart},
		{"ended early", Results(runFixture(t, "timeout")), MetaOf(runFixture(t, "timeout"))},
		{"beforesuite", Results(runFixture(t, "beforesuite")), MetaOf(runFixture(t, "beforesuite"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, tt.results, tt.meta); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "junit.xml")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), path).CombinedOutput()
			if err != nil {
				t.Errorf("xmllint: %v\n%s", err, out)
			}
		})
	}
}

// TestJUnitContent reads the XML back with ginkgo's JUnit types and checks
// what CI shows for each kind of result.
func TestJUnitContent(t *testing.T) {
	results, meta := goldenInput(t)
	var b bytes.Buffer
	if err := WriteJUnit(&b, results, meta); err != nil {
		t.Fatal(err)
	}
	var doc reporters.JUnitTestSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var suites []string
	cases := map[string]reporters.JUnitTestCase{}
	for _, s := range doc.TestSuites {
		suites = append(suites, s.Name)
		for _, c := range s.TestCases {
			if c.Classname != s.Name {
				t.Errorf("testcase %q has classname %q in suite %q", c.Name, c.Classname, s.Name)
			}
			id, _, _ := strings.Cut(c.Name, ":")
			cases[id] = c
		}
	}
	wantSuites := []string{"authcode", "implicit", "clientcreds", "refresh", "tokenendpoint", "revocation", "introspection"}
	if diff := cmp.Diff(wantSuites, suites); diff != "" {
		t.Errorf("testsuites mismatch (-want +got):\n%s", diff)
	}
	var failures []string
	for id, c := range cases {
		if c.Failure != nil {
			failures = append(failures, id)
		}
	}
	// AUTHCODE-CODE-REUSE fails, but it is expected.
	// A panic, a missing environment and a crashed flow are the harness's
	// troubles: <error>, not <failure>.
	wantFailures := []string{"AUTHCODE-CONCURRENT-REDEEM", "IMPLICIT-DISABLED", "REFRESH-ROTATION"}
	var errs []string
	for id, c := range cases {
		if c.Error != nil {
			errs = append(errs, id)
		}
	}
	if diff := cmp.Diff([]string{"CC-CLIENT-AUTH-REQUIRED", "CC-PUBLIC-CLIENT-REJECTED", "flow introspection crashed"}, sortedCopy(errs)); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFailures, sortedCopy(failures)); diff != "" {
		t.Errorf("failures mismatch (-want +got):\n%s", diff)
	}
	if doc.Failures != len(wantFailures) || doc.Tests != len(results) {
		t.Errorf("testsuites counts: %d tests, %d failures", doc.Tests, doc.Failures)
	}

	reuse := cases["AUTHCODE-CODE-REUSE"]
	if reuse.Failure != nil || reuse.Properties.WithName("expected") == "" || reuse.Properties.WithName("verdict") != "FAIL" {
		t.Errorf("an expected FAIL is no failure and carries the expectation: %+v", reuse)
	}
	rot := cases["REFRESH-ROTATION"]
	for _, want := range []string{"REFRESH-ROTATION", "[MUST, RFC 9700 §4.14.2]", "Every refresh hands out a fresh refresh token",
		"Observed: the public client oauthcheck-p got no new refresh token"} {
		if !strings.Contains(rot.Failure.Message, want) {
			t.Errorf("failure message %q lacks %q", rot.Failure.Message, want)
		}
	}
	if !strings.Contains(rot.Failure.Description, "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2") ||
		!strings.HasPrefix(rot.Failure.Description, "FAIL (RFC 9700 §4.14.2): ") {
		t.Errorf("failure body: %q", rot.Failure.Description)
	}
	if rot.Properties.WithName("stale-expectation") != "expected WARN, got FAIL" {
		t.Errorf("stale expectation property of REFRESH-ROTATION: %+v", rot.Properties)
	}
	if !strings.Contains(rot.SystemOut, "> POST http://127.0.0.1:43841/token") || !strings.Contains(rot.SystemOut, "Browser steps (8):") {
		t.Errorf("system-out lacks the transcript: %.300s", rot.SystemOut)
	}
	skip := cases["REFRESH-REUSE-DETECTION"]
	if skip.Skipped == nil || skip.Skipped.Message != "the server does not rotate refresh tokens (see REFRESH-ROTATION)" || skip.Failure != nil {
		t.Errorf("SKIP: %+v", skip.Skipped)
	}
	warn := cases["CC-NO-REFRESH-TOKEN"]
	if warn.Failure != nil || warn.Properties.WithName("warning") != "RFC 6749 §4.4.3: the client-credentials response has a refresh_token" ||
		warn.Properties.WithName("info") != "expires_in is 3600" {
		t.Errorf("WARN and INFO become properties, not failures: %+v", warn)
	}
	if cases["TOKEN-POST-ONLY"].Status != "PASS" || cases["TOKEN-POST-ONLY"].Failure != nil {
		t.Errorf("PASS: %+v", cases["TOKEN-POST-ONLY"])
	}
	if !strings.Contains(cases["CC-CLIENT-AUTH-REQUIRED"].SystemOut, "Output:\nat ") {
		t.Errorf("a panic's stack belongs in system-out: %q", cases["CC-CLIENT-AUTH-REQUIRED"].SystemOut)
	}
	if !strings.Contains(b.String(), "\n> POST ") {
		t.Error("transcripts should read as text in the file, not as &#xA; and &gt;")
	}

	// --fail-on should makes an unexpected WARN a failure; --strict-expect
	// a stale expectation.
	meta.FailOn, meta.StrictExpect = FailOnShould, true
	b.Reset()
	if err := WriteJUnit(&b, results, meta); err != nil {
		t.Fatal(err)
	}
	doc = reporters.JUnitTestSuites{}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range doc.TestSuites {
		for _, c := range s.TestCases {
			if c.Failure != nil {
				id, _, _ := strings.Cut(c.Name, ":")
				got[id] = c.Failure.Type
			}
		}
	}
	for id, typ := range map[string]string{"CC-NO-REFRESH-TOKEN": "WARN", "REVOKE-ACCESS-TOKEN": "WARN",
		"AUTHCODE-STATE-ECHO": "stale-expectation", "REFRESH-ROTATION": "FAIL", "AUTHCODE-REUSE-REVOKES-TOKENS": "WARN"} {
		if got[id] != typ {
			t.Errorf("with --fail-on should --strict-expect, %s: failure type %q, want %q", id, got[id], typ)
		}
	}
	if _, ok := got["AUTHCODE-CODE-REUSE"]; ok {
		t.Error("an expected FAIL must not fail under --strict-expect")
	}
}

func TestReadableText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<a b="x&#xA;&#34;">1&#xA;&#34;2&#34; &lt;3&gt; ]]&gt;</a>`, "<a b=\"x&#xA;&#34;\">1\n\"2\" &lt;3> ]]&gt;</a>"},
		{"<a>&#x9;&#39;&amp;&#xD;</a>", "<a>\t'&amp;&#xD;</a>"},
	}
	for _, tt := range tests {
		if got := string(readableText([]byte(tt.in))); got != tt.want {
			t.Errorf("readableText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func sortedCopy(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}
