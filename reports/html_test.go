package reports

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHTMLGolden(t *testing.T) {
	results, meta := goldenInput(t)
	got := render(t, func(b *bytes.Buffer) error { return WriteHTML(b, results, meta) })
	checkGolden(t, "report.html", got)
}

// TestHTMLSelfContained checks the page statically: nothing that a browser
// would fetch, a content security policy that allows only the page's own
// style and script (by hash) and inline images, and recorded markup shown
// as text.
func TestHTMLSelfContained(t *testing.T) {
	results, meta := goldenInput(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, results, meta); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, re := range []string{`(?i)<link\b`, `(?i)<script[^>]+src=`, `(?i)<iframe`, `(?i)@import`, `(?i)url\(`,
		`(?i)\bsrc="(?:https?:)?//`, `(?i)<img[^>]+src="[^d]`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the page loads something: %q matches %s", m, re)
		}
	}
	if n := strings.Count(page, `<img src="data:image/png;base64,`); n != 1 {
		t.Errorf("%d inline screenshots, want 1", n)
	}
	css := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	js := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(page)
	if css == nil || js == nil {
		t.Fatal("no inline style or script")
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no content security policy")
	}
	policy := html.UnescapeString(csp[1])
	for _, want := range []string{"default-src 'none'", "img-src data:", "style-src '" + cspHash(css[1]) + "'",
		"script-src '" + cspHash(js[1]) + "'"} {
		if !strings.Contains(policy, want) {
			t.Errorf("policy %q lacks %q (the inline style or script changed when written?)", policy, want)
		}
	}
	// The fixture's response body holds markup; it is text on the page.
	if strings.Contains(page, "<markup>") || !strings.Contains(page, "&lt;markup&gt;") {
		t.Error("recorded markup is not escaped")
	}
	counts := map[string]string{}
	for _, m := range regexp.MustCompile(`id="count-(\w+)"[^>]*>(\d+)<`).FindAllStringSubmatch(page, -1) {
		counts[m[1]] = m[2]
	}
	wantCounts := map[string]string{"PASS": "8", "FAIL": "4", "ERROR": "3", "WARN": "3", "INFO": "1", "SKIP": "3", "total": "22",
		"expected": "2", "stale": "2"}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("counts mismatch (-want +got):\n%s", diff)
	}
	for _, want := range []string{`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<a href="https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2" rel="noreferrer noopener">RFC 6749 §4.1.2</a>`,
		`<details class="evidence">`, `@media print`, `<input type="checkbox" id="show-FAIL" data-verdict="FAIL" checked>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestHTMLEdgeCases(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, nil, Meta{Problems: []string{"Interrupted by User"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="count-total">0<`, `id="problems"`, "Interrupted by User", "Failed: 1 problem outside the checks."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("an empty report lacks %q", want)
		}
	}
	tests := []struct{ in, want string }{
		{"`state` comes back", "<code>state</code> comes back"},
		{"a <b> & `c<d>`", "a &lt;b&gt; &amp; <code>c&lt;d&gt;</code>"},
		{"one ` backtick <x>", "one ` backtick &lt;x&gt;"},
	}
	for _, tt := range tests {
		if got := string(inlineCode(tt.in)); got != tt.want {
			t.Errorf("inlineCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
