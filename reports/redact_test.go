package reports

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/client"
)

func TestSecretParamsMirrorRecorder(t *testing.T) {
	if diff := cmp.Diff(client.SecretParams, secretParams); diff != "" {
		t.Errorf("reports' secret parameters differ from the recorder's (-client +reports):\n%s", diff)
	}
	for _, v := range []string{"x", "96TKShoP9cakFsDFYfPxJ3hiMkbuxD1h-tFvxvha9vw", "a:b+c%d/e f&"} {
		if got, want := mask("code", v), client.Mask("code", v); got != want {
			t.Errorf("mask(%q) = %q, the recorder's is %q", v, got, want)
		}
	}
}

func TestScrubURL(t *testing.T) {
	red := client.NewRedactor()
	tests := []struct {
		name, in string
	}{
		{"query", "https://client.test/cb?code=abc123&state=s&iss=https%3A%2F%2Fidp"},
		{"fragment", "https://client.test/cb#access_token=t0k&token_type=Bearer&state=s"},
		{"encoded", "https://client.test/cb?code=a%2Bb%3D&state=s"},
		{"no secrets", "https://idp.test/authorize?client_id=c&state=s&code_challenge=x"},
		{"no query", "https://idp.test/token"},
		{"repeated", "https://client.test/cb?code=a&code=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := red.URL(tt.in)
			if got := scrubURL(tt.in); got != want {
				t.Errorf("scrubURL = %q, the recorder writes %q", got, want)
			}
			if again := scrubURL(want); again != want {
				t.Errorf("scrubbing a redacted URL changed it: %q -> %q", want, again)
			}
		})
	}
	// A mask's own # is no fragment.
	in := "https://client.test/cb?code=<redacted:code#f7Zs5A>&state=s#access_token=x"
	if got, want := scrubURL(in), "https://client.test/cb?code=<redacted:code#f7Zs5A>&state=s#access_token="+mask("access_token", "x"); got != want {
		t.Errorf("scrubURL(%q) = %q, want %q", in, got, want)
	}
}

// TestScrubBrowserLocation: a browser step's Location header, which the
// recorder of the fixtures left as it was, shows no code in any report.
func TestScrubBrowserLocation(t *testing.T) {
	s := Step{Kind: "redirect", URL: "https://idp.test/consent", Status: 303,
		Header: http.Header{"Location": {"https://client.test/cb?code=96TKShoP9cakFsDFYfPxJ3hiMkbuxD1h-tFvxvha9vw&state=s"},
			"Set-Cookie": {"sid=abc; HttpOnly"}}}
	s.scrub()
	want := http.Header{"Location": {"https://client.test/cb?code=<redacted:code#f7Zs5A>&state=s"},
		"Set-Cookie": {mask("credentials", "sid=abc; HttpOnly")}}
	if diff := cmp.Diff(want, s.Header); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
