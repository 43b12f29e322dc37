package client_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/client"
)

// A JWT as servers issue them: three base64url parts.
const testJWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjEifQ.c2lnbmF0dXJlLWJ5dGVz"

func TestMaskIsStableFingerprint(t *testing.T) {
	a1 := client.Mask("code", "SplxlOBeZQQYbYS6WxSbIA")
	a2 := client.Mask("code", "SplxlOBeZQQYbYS6WxSbIA")
	b := client.Mask("code", "another-code-value-123")
	if a1 != a2 {
		t.Errorf("Mask of one value differs between calls: %q, %q", a1, a2)
	}
	if a1 == b {
		t.Errorf("Mask of two values is the same %q; a reader could not tell a replay from a new code", a1)
	}
	if !strings.HasPrefix(a1, "<redacted:code#") || strings.Contains(a1, "SplxlOBeZQQYbYS6WxSbIA") {
		t.Errorf("Mask = %q, want <redacted:code#…> without the value", a1)
	}
	if got := client.Mask("code", ""); got != "" {
		t.Errorf("Mask of an empty value = %q, want empty (nothing to hide)", got)
	}
}

func TestRedactorString(t *testing.T) {
	const secret = "s3cr3t/with+reserved&chars=!"
	r := client.NewRedactor(secret, "abc") // "abc" is too short to be registered
	r.Add("pw-alice-12345")
	tests := []struct {
		name, in string
		hidden   []string // must not appear in the output
		want     string   // when set, the exact output
		reason   string
	}{
		{name: "literal", in: "secret is " + secret, hidden: []string{secret},
			want: "secret is " + client.Mask("secret", secret), reason: "a registered literal is masked"},
		{name: "query-escaped", in: "client_secret=" + url.QueryEscape(secret), hidden: []string{url.QueryEscape(secret)},
			reason: "the form-encoded form of a secret is a secret too"},
		{name: "path-escaped", in: "/x/" + url.PathEscape(secret), hidden: []string{url.PathEscape(secret)},
			reason: "the path-escaped form of a secret is a secret too"},
		{name: "added later", in: "password pw-alice-12345 twice pw-alice-12345", hidden: []string{"pw-alice-12345"},
			want:   "password " + client.Mask("secret", "pw-alice-12345") + " twice " + client.Mask("secret", "pw-alice-12345"),
			reason: "Add registers more literals, and every occurrence gets the same mask"},
		{name: "short", in: "abc", want: "abc", reason: "values under 4 characters are not registered: they would mask ordinary text"},
		{name: "unrelated", in: "nothing to hide here", want: "nothing to hide here", reason: "other text is unchanged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.String(tt.in)
			for _, h := range tt.hidden {
				if strings.Contains(got, h) {
					t.Errorf("String(%q) = %q, still holds %q (%s)", tt.in, got, h, tt.reason)
				}
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("String(%q) = %q, want %q (%s)", tt.in, got, tt.want, tt.reason)
			}
		})
	}
}

func TestRedactorURL(t *testing.T) {
	r := client.NewRedactor()
	tests := []struct {
		name   string
		in     string
		want   string
		reason string
	}{
		{
			name:   "code in query",
			in:     "https://client.oauthcheck.test/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https%3A%2F%2Fidp",
			want:   "https://client.oauthcheck.test/cb?code=" + client.Mask("code", "SplxlOBeZQQYbYS6WxSbIA") + "&state=xyz&iss=https%3A%2F%2Fidp",
			reason: "the code is masked; state and iss keep their order and encoding",
		},
		{
			name:   "token in fragment",
			in:     "https://client.oauthcheck.test/cb#access_token=2YotnFZFEjr1zCsicMWpAA&token_type=Bearer&state=xyz",
			want:   "https://client.oauthcheck.test/cb#access_token=" + client.Mask("access_token", "2YotnFZFEjr1zCsicMWpAA") + "&token_type=Bearer&state=xyz",
			reason: "an implicit response carries the token in the fragment",
		},
		{
			name:   "code in fragment",
			in:     "https://client.oauthcheck.test/cb?x=1#code=abc%2Bdef&state=s",
			want:   "https://client.oauthcheck.test/cb?x=1#code=" + client.Mask("code", "abc+def") + "&state=s",
			reason: "response_mode=fragment puts the code there; the mask is of the decoded value",
		},
		{
			name:   "upper-case key",
			in:     "/token?Client_Secret=hunter2hunter2",
			want:   "/token?Client_Secret=" + client.Mask("Client_Secret", "hunter2hunter2"),
			reason: "parameter names are matched without regard to case",
		},
		{
			name:   "no secrets",
			in:     "https://idp.example.com/authorize?response_type=code&client_id=oauthcheck-p&scope=openid",
			want:   "https://idp.example.com/authorize?response_type=code&client_id=oauthcheck-p&scope=openid",
			reason: "an authorization request holds nothing secret",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.URL(tt.in); got != tt.want {
				t.Errorf("URL(%q)\n got %q\nwant %q\n(%s)", tt.in, got, tt.want, tt.reason)
			}
		})
	}
}

func TestRedactorFormBodyHidesEverySecretParam(t *testing.T) {
	r := client.NewRedactor()
	v := url.Values{"grant_type": {"authorization_code"}, "client_id": {"oauthcheck-a"}, "redirect_uri": {"https://client.oauthcheck.test/cb"}}
	secrets := map[string]string{}
	for i, p := range client.SecretParams {
		val := "value-of-" + p + "-" + strings.Repeat("x", i)
		v.Set(p, val)
		secrets[p] = val
	}
	got := r.Body("application/x-www-form-urlencoded; charset=utf-8", []byte(v.Encode()))
	for p, val := range secrets {
		if strings.Contains(got, val) || strings.Contains(got, url.QueryEscape(val)) {
			t.Errorf("form body still holds %s=%s:\n%s", p, val, got)
		}
		if !strings.Contains(got, p+"="+client.Mask(p, val)) {
			t.Errorf("form body lacks the mask of %s:\n%s", p, got)
		}
	}
	for _, keep := range []string{"grant_type=authorization_code", "client_id=oauthcheck-a", "redirect_uri=https%3A%2F%2Fclient.oauthcheck.test%2Fcb"} {
		if !strings.Contains(got, keep) {
			t.Errorf("form body lost %s, which is not secret:\n%s", keep, got)
		}
	}
}

func TestRedactorJSONBody(t *testing.T) {
	r := client.NewRedactor()
	body := `{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600,` +
		`"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","scope":"openid",` +
		`"nested":{"client_secret":"cs-123456","list":[{"device_code":"dc-abcdef"}]}}`
	got := r.Body("application/json;charset=UTF-8", []byte(body))
	for _, secret := range []string{"2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "cs-123456", "dc-abcdef"} {
		if strings.Contains(got, secret) {
			t.Errorf("JSON body still holds %q:\n%s", secret, got)
		}
	}
	for _, keep := range []string{`"token_type":"Bearer"`, `"expires_in":3600`, `"scope":"openid"`} {
		if !strings.Contains(got, keep) {
			t.Errorf("JSON body lost %s, which is not secret:\n%s", keep, got)
		}
	}
	// The reader compares fingerprints across exchanges: the mask must read
	// the same in a JSON body as in a form body or a URL.
	if want := client.Mask("refresh_token", "tGzv3JOkF0XG5Qx2TlKWIA"); !strings.Contains(got, want) {
		t.Errorf("JSON body does not show the mask %s as written:\n%s", want, got)
	}
}

func TestRedactorJWTsAnywhere(t *testing.T) {
	r := client.NewRedactor()
	mask := client.Mask("jwt", testJWT)
	tests := []struct {
		name string
		got  string
	}{
		{"plain text body", r.Body("text/plain", []byte("your token: "+testJWT+" (keep it)"))},
		{"HTML body", r.Body("text/html", []byte(`<input type="hidden" name="x" value="`+testJWT+`">`))},
		{"JWT body", r.Body("application/jwt", []byte(testJWT))},
		{"JSON member not named secret", r.Body("application/json", []byte(`{"userinfo":"`+testJWT+`"}`))},
		{"form param not named secret", r.Body("application/x-www-form-urlencoded", []byte("request="+testJWT+"&client_id=a"))},
		{"URL param not named secret", r.URL("https://idp.example.com/authorize?request=" + testJWT + "&client_id=a")},
		{"header", r.Header(http.Header{"X-Token": {testJWT}}).Get("X-Token")},
		{"error text", r.String("decode " + testJWT + ": bad signature")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.got, testJWT) || strings.Contains(tt.got, strings.Split(testJWT, ".")[1]) {
				t.Errorf("the JWT survived: %s", tt.got)
			}
			if !strings.Contains(tt.got, mask) {
				t.Errorf("no %s in %s", mask, tt.got)
			}
		})
	}
}

func TestRedactorHeader(t *testing.T) {
	r := client.NewRedactor("lit-secret-value")
	in := http.Header{
		"Authorization":       {"Basic b2F1dGhjaGVjay1hOnNlY3JldA=="},
		"Proxy-Authorization": {"Bearer mF_9.B5f-4.1JqM"},
		"Cookie":              {"sid=abc123; csrf=tok456"},
		"Set-Cookie":          {"sid=xyz789; Path=/; HttpOnly; SameSite=Lax"},
		"Location":            {"https://client.oauthcheck.test/cb?code=Splx10BeZQ&state=st"},
		"Content-Type":        {"application/json"},
		"X-Debug":             {"echo lit-secret-value"},
	}
	got := r.Header(in)
	want := http.Header{
		"Authorization":       {"Basic " + client.Mask("credentials", "b2F1dGhjaGVjay1hOnNlY3JldA==")},
		"Proxy-Authorization": {"Bearer " + client.Mask("credentials", "mF_9.B5f-4.1JqM")},
		"Cookie":              {"sid=" + client.Mask("cookie", "abc123") + "; csrf=" + client.Mask("cookie", "tok456")},
		"Set-Cookie":          {"sid=" + client.Mask("cookie", "xyz789") + "; Path=/; HttpOnly; SameSite=Lax"},
		"Location":            {"https://client.oauthcheck.test/cb?code=" + client.Mask("code", "Splx10BeZQ") + "&state=st"},
		"Content-Type":        {"application/json"},
		"X-Debug":             {"echo " + client.Mask("secret", "lit-secret-value")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Header mismatch (-want +got):\n%s", diff)
	}
	if in.Get("Authorization") != "Basic b2F1dGhjaGVjay1hOnNlY3JldA==" {
		t.Errorf("Header changed its argument; it must return a copy")
	}
	// A header map from a caller may use any case.
	lower := r.Header(http.Header{"authorization": {"Bearer lower-case-key-token"}})
	if diff := cmp.Diff(http.Header{"Authorization": {"Bearer " + client.Mask("credentials", "lower-case-key-token")}}, lower); diff != "" {
		t.Errorf("Header with a lower-case key mismatch (-want +got):\n%s", diff)
	}
}

func TestRedactorHeaderWithoutScheme(t *testing.T) {
	// A check may send a bare credential, with no scheme; it is still one.
	r := client.NewRedactor()
	tests := []struct {
		name, key, value, secret string
	}{
		{"authorization without scheme", "Authorization", "rawtoken-7f3a9c", "rawtoken-7f3a9c"},
		{"cookie without name", "Cookie", "nameless-cookie-value", "nameless-cookie-value"},
		{"set-cookie without name", "Set-Cookie", "nameless-set-cookie; Path=/", "nameless-set-cookie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Header(http.Header{tt.key: {tt.value}}).Get(tt.key)
			if strings.Contains(got, tt.secret) {
				t.Errorf("%s: %q became %q, which still holds the credential", tt.key, tt.value, got)
			}
		})
	}
}

func TestRedactorBodyOfOtherTypes(t *testing.T) {
	r := client.NewRedactor()
	tests := []struct {
		name, contentType, body, want, reason string
	}{
		{
			name: "HTML of a redirect", contentType: "text/html; charset=utf-8",
			body:   `<a href="https://client.oauthcheck.test/cb?code=Splx%2BlOB&amp;state=st">Found</a>.`,
			want:   `<a href="https://client.oauthcheck.test/cb?code=` + client.Mask("code", "Splx+lOB") + `&amp;state=st">Found</a>.`,
			reason: "Go's http.Redirect, and many servers, repeat the Location in the body; the mask matches the Location's",
		},
		{
			name: "fragment in text", contentType: "text/plain",
			body:   "go to /cb#access_token=at-123456&state=st",
			want:   "go to /cb#access_token=" + client.Mask("access_token", "at-123456") + "&state=st",
			reason: "an implicit response quoted in a page",
		},
		{
			name: "form sent as text", contentType: "",
			body:   "grant_type=password&username=alice&password=pw-123456",
			want:   "grant_type=password&username=alice&password=" + client.Mask("password", "pw-123456"),
			reason: "a check may send a form with a wrong content type or none",
		},
		{
			name: "truncated JSON", contentType: "application/json",
			body:   `{"token_type":"Bearer","access_token":"at-truncated-1","refresh_token":"rt-trunc`,
			want:   `{"token_type":"Bearer","access_token":"` + client.Mask("access_token", "at-truncated-1") + `","refresh_token":"` + client.Mask("refresh_token", "rt-trunc"),
			reason: "a body cut at MaxBody does not parse, and still holds tokens",
		},
		{
			name: "words that end in a secret name", contentType: "text/plain",
			body: "?error_code=E12&postcode=12345", want: "?error_code=E12&postcode=12345",
			reason: "only whole parameter names are secret",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Body(tt.contentType, []byte(tt.body)); got != tt.want {
				t.Errorf("Body(%q)\n got %s\nwant %s\n(%s)", tt.body, got, tt.want, tt.reason)
			}
		})
	}
}
