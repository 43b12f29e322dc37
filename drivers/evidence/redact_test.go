package evidence_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// A JWT as servers issue them: three base64url parts.
const testJWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjEifQ.c2lnbmF0dXJlLWJ5dGVz"

var testKey = bytes.Repeat([]byte{7}, 32)

func newRedactor() *evidence.Redactor { return evidence.NewRedactor(testKey) }

func TestMaskIsAKeyedFingerprint(t *testing.T) {
	r := newRedactor()
	a1, a2 := r.Mask("code", "SplxlOBeZQQYbYS6WxSbIA"), r.Mask("code", "SplxlOBeZQQYbYS6WxSbIA")
	if a1 != a2 {
		t.Errorf("Mask of one value differs between calls: %q, %q", a1, a2)
	}
	if b := r.Mask("code", "another-code-value-123"); a1 == b {
		t.Errorf("Mask of two values is the same %q; a reader could not tell a replay from a new code", a1)
	}
	if !strings.HasPrefix(a1, "<redacted:code#") || strings.Contains(a1, "SplxlOBeZQQYbYS6WxSbIA") {
		t.Errorf("Mask = %q, want <redacted:code#…> without the value", a1)
	}
	// Another run's key gives another mask: a mask cannot be matched
	// against a dictionary of hashes.
	other := evidence.NewRedactor(bytes.Repeat([]byte{8}, 32))
	if other.Mask("password", "hunter2") == r.Mask("password", "hunter2") {
		t.Errorf("two keys give the same mask: the mask does not depend on the run's key")
	}
	if got := r.Mask("code", ""); got != "" {
		t.Errorf("Mask of an empty value = %q, want empty (nothing to hide)", got)
	}
}

func TestRunKeyReachesChildren(t *testing.T) {
	k := evidence.RunKey()
	if len(k) < 16 {
		t.Fatalf("RunKey is %d bytes", len(k))
	}
	if !bytes.Equal(k, evidence.RunKey()) {
		t.Errorf("RunKey changed within a process")
	}
}

func TestRedactorString(t *testing.T) {
	const secret = "s3cr3t/with+reserved&chars=!"
	r := newRedactor()
	r.Add("client_secret", secret, "abc") // "abc" is too short to remember
	r.Add("password", "pw-alice-12345")
	tests := []struct {
		name, in string
		hidden   []string // must not appear in the output
		want     string   // when set, the exact output
		reason   string
	}{
		{name: "literal", in: "secret is " + secret, hidden: []string{secret},
			want: "secret is " + r.Mask("client_secret", secret), reason: "a remembered literal is masked with its kind"},
		{name: "query-escaped", in: "client_secret=" + url.QueryEscape(secret), hidden: []string{url.QueryEscape(secret)},
			reason: "the form-encoded form of a secret is a secret too"},
		{name: "path-escaped", in: "/x/" + url.PathEscape(secret), hidden: []string{url.PathEscape(secret)},
			reason: "the path-escaped form of a secret is a secret too"},
		{name: "twice", in: "password pw-alice-12345 twice pw-alice-12345", hidden: []string{"pw-alice-12345"},
			want:   "password " + r.Mask("password", "pw-alice-12345") + " twice " + r.Mask("password", "pw-alice-12345"),
			reason: "every occurrence gets the same mask"},
		{name: "short", in: "abc", want: "abc", reason: "values under 4 characters are not remembered: they would mask ordinary text"},
		{name: "unrelated", in: "nothing to hide here", want: "nothing to hide here", reason: "other text is unchanged"},
		{name: "control characters", in: "error \x1b[31mred\x1b[0m \u202egnp.exe\r", want: `error \x1b[31mred\x1b[0m \u202egnp.exe\x0d`,
			reason: "a target cannot send terminal escapes or bidi overrides through its text"},
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
	r := newRedactor()
	tests := []struct {
		name, in, want, reason string
	}{
		{
			name:   "code in query",
			in:     "https://client.oauthcheck.test/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https%3A%2F%2Fidp",
			want:   "https://client.oauthcheck.test/cb?code=" + r.Mask("code", "SplxlOBeZQQYbYS6WxSbIA") + "&state=xyz&iss=https%3A%2F%2Fidp",
			reason: "the code is masked; state and iss keep their order and encoding",
		},
		{
			name:   "token in fragment",
			in:     "https://client.oauthcheck.test/cb#access_token=2YotnFZFEjr1zCsicMWpAA&token_type=Bearer&state=xyz",
			want:   "https://client.oauthcheck.test/cb#access_token=" + r.Mask("access_token", "2YotnFZFEjr1zCsicMWpAA") + "&token_type=Bearer&state=xyz",
			reason: "an implicit response carries the token in the fragment",
		},
		{
			name:   "code in fragment",
			in:     "https://client.oauthcheck.test/cb?x=1#code=abc%2Bdef&state=s",
			want:   "https://client.oauthcheck.test/cb?x=1#code=" + r.Mask("code", "abc+def") + "&state=s",
			reason: "response_mode=fragment puts the code there; the mask is of the decoded value",
		},
		{
			name:   "upper-case key",
			in:     "/token?Client_Secret=hunter2hunter2",
			want:   "/token?Client_Secret=" + r.Mask("client_secret", "hunter2hunter2"),
			reason: "parameter names are matched without regard to case",
		},
		{
			name:   "no secrets",
			in:     "https://idp.example.com/authorize?response_type=code&client_id=oauthcheck-p&scope=openid",
			want:   "https://idp.example.com/authorize?response_type=code&client_id=oauthcheck-p&scope=openid",
			reason: "an authorization request holds nothing secret",
		},
		{
			name:   "already masked",
			in:     "https://client.test/cb?code=<redacted:code#f7Zs5A12>&state=s#access_token=<redacted:access_token#abcdefgh>",
			want:   "https://client.test/cb?code=<redacted:code#f7Zs5A12>&state=s#access_token=<redacted:access_token#abcdefgh>",
			reason: "a mask's own # is no fragment, and a mask is not masked again",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.URL(tt.in); got != tt.want {
				t.Errorf("URL(%q)\n got %q\nwant %q\n(%s)", tt.in, got, tt.want, tt.reason)
			}
			if again := r.URL(tt.want); again != tt.want {
				t.Errorf("redacting a redacted URL changed it: %q -> %q", tt.want, again)
			}
		})
	}
}

// A value masked once is remembered: it is masked wherever it shows up
// later, in a message, a page or a body of any type.
func TestRedactorRemembersWhatItMasked(t *testing.T) {
	r := newRedactor()
	r.URL("https://client.test/cb?code=code-seen-in-a-callback&state=s")
	r.Body("application/json", []byte(`{"access_token":"at-seen-in-json","token_type":"Bearer"}`))
	r.Header(http.Header{"Set-Cookie": {"sid=cookie-value-seen; HttpOnly"}})
	for _, in := range []string{
		"could not redeem code-seen-in-a-callback: invalid_grant",
		"the token at-seen-in-json is still active",
		"<p>your session cookie-value-seen</p>",
	} {
		got := r.String(in)
		for _, secret := range []string{"code-seen-in-a-callback", "at-seen-in-json", "cookie-value-seen"} {
			if strings.Contains(got, secret) {
				t.Errorf("String(%q) = %q: %s was masked before, and must be masked again", in, got, secret)
			}
		}
	}
}

func TestRedactorBodyByContent(t *testing.T) {
	r := newRedactor()
	v := url.Values{"grant_type": {"authorization_code"}, "client_id": {"oauthcheck-a"}, "redirect_uri": {"https://client.oauthcheck.test/cb"}}
	secrets := map[string]string{}
	for i, p := range evidence.SecretParams {
		val := "value-of-" + p + "-" + strings.Repeat("x", i)
		v.Set(p, val)
		secrets[p] = val
	}
	for _, ct := range []string{"application/x-www-form-urlencoded; charset=utf-8", "text/plain", ""} {
		got := r.Body(ct, []byte(v.Encode()))
		for p, val := range secrets {
			if strings.Contains(got, val) || strings.Contains(got, url.QueryEscape(val)) {
				t.Errorf("%q form body still holds %s=%s:\n%s", ct, p, val, got)
			}
			if !strings.Contains(got, p+"="+r.Mask(p, val)) {
				t.Errorf("%q form body lacks the mask of %s:\n%s", ct, p, got)
			}
		}
		for _, keep := range []string{"grant_type=authorization_code", "client_id=oauthcheck-a", "redirect_uri=https%3A%2F%2Fclient.oauthcheck.test%2Fcb"} {
			if !strings.Contains(got, keep) {
				t.Errorf("%q form body lost %s, which is not secret:\n%s", ct, keep, got)
			}
		}
	}
	// A token response declared as text/plain is JSON all the same.
	body := `{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600,` +
		`"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","scope":"openid",` +
		`"nested":{"client_secret":"cs-123456","list":[{"device_code":"dc-abcdef"}]}}`
	for _, ct := range []string{"application/json;charset=UTF-8", "text/plain", "text/html", ""} {
		got := r.Body(ct, []byte(body))
		for _, secret := range []string{"2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "cs-123456", "dc-abcdef"} {
			if strings.Contains(got, secret) {
				t.Errorf("%q JSON body still holds %q:\n%s", ct, secret, got)
			}
		}
		for _, keep := range []string{`"token_type":"Bearer"`, `"expires_in":3600`, `"scope":"openid"`} {
			if !strings.Contains(got, keep) {
				t.Errorf("%q JSON body lost %s, which is not secret:\n%s", ct, keep, got)
			}
		}
		if want := r.Mask("refresh_token", "tGzv3JOkF0XG5Qx2TlKWIA"); !strings.Contains(got, want) {
			t.Errorf("%q JSON body does not show the mask %s as written:\n%s", ct, want, got)
		}
	}
}

func TestRedactorJWKPrivateMembers(t *testing.T) {
	r := newRedactor()
	body := `{"keys":[{"kty":"RSA","kid":"k1","n":"public-modulus","e":"AQAB","d":"private-exponent-d","p":"prime-p-value","q":"prime-q-value",` +
		`"dp":"dp-value-1","dq":"dq-value-1","qi":"qi-value-1","oth":[{"r":"x"}]},{"kty":"oct","k":"symmetric-key-k"}],"d":"not-a-jwk-member"}`
	got := r.Body("application/json", []byte(body))
	for _, secret := range []string{"private-exponent-d", "prime-p-value", "prime-q-value", "dp-value-1", "dq-value-1", "qi-value-1", `"r":"x"`, "symmetric-key-k"} {
		if strings.Contains(got, secret) {
			t.Errorf("the JWK Set still holds %s:\n%s", secret, got)
		}
	}
	for _, keep := range []string{`"n":"public-modulus"`, `"e":"AQAB"`, `"kid":"k1"`, `"d":"not-a-jwk-member"`} {
		if !strings.Contains(got, keep) {
			t.Errorf("the JWK Set lost %s, which is public:\n%s", keep, got)
		}
	}
}

func TestRedactorJWTsAnywhere(t *testing.T) {
	r := newRedactor()
	mask := r.Mask("jwt", testJWT)
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
	r := newRedactor()
	r.Add("secret", "lit-secret-value")
	in := http.Header{
		"Authorization":       {"Basic b2F1dGhjaGVjay1hOnNlY3JldA=="},
		"Proxy-Authorization": {"Bearer mF_9.B5f-4.1JqM"},
		"Cookie":              {"sid=abc123; csrf=tok456"},
		"Set-Cookie":          {"sid=xyz789; Path=/; HttpOnly; SameSite=Lax"},
		"Location":            {"https://client.oauthcheck.test/cb?code=Splx10BeZQ&state=st"},
		"Refresh":             {"0; url=https://client.oauthcheck.test/cb?code=RefreshC0de&state=st"},
		"Link":                {"<https://client.oauthcheck.test/cb?code=L1nkCode1>; rel=next"},
		"Content-Type":        {"application/json"},
		"X-Debug":             {"echo lit-secret-value"},
	}
	got := r.Header(in)
	want := http.Header{
		"Authorization":       {"Basic " + r.Mask("credentials", "b2F1dGhjaGVjay1hOnNlY3JldA==")},
		"Proxy-Authorization": {"Bearer " + r.Mask("credentials", "mF_9.B5f-4.1JqM")},
		"Cookie":              {"sid=" + r.Mask("cookie", "abc123") + "; csrf=" + r.Mask("cookie", "tok456")},
		"Set-Cookie":          {"sid=" + r.Mask("cookie", "xyz789") + "; Path=/; HttpOnly; SameSite=Lax"},
		"Location":            {"https://client.oauthcheck.test/cb?code=" + r.Mask("code", "Splx10BeZQ") + "&state=st"},
		"Refresh":             {"0; url=https://client.oauthcheck.test/cb?code=" + r.Mask("code", "RefreshC0de") + "&state=st"},
		"Link":                {"<https://client.oauthcheck.test/cb?code=" + r.Mask("code", "L1nkCode1") + ">; rel=next"},
		"Content-Type":        {"application/json"},
		"X-Debug":             {"echo " + r.Mask("secret", "lit-secret-value")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Header mismatch (-want +got):\n%s", diff)
	}
	if in.Get("Authorization") != "Basic b2F1dGhjaGVjay1hOnNlY3JldA==" {
		t.Errorf("Header changed its argument; it must return a copy")
	}
	lower := r.Header(http.Header{"authorization": {"Bearer lower-case-key-token"}})
	if diff := cmp.Diff(http.Header{"Authorization": {"Bearer " + r.Mask("credentials", "lower-case-key-token")}}, lower); diff != "" {
		t.Errorf("Header with a lower-case key mismatch (-want +got):\n%s", diff)
	}
	for key, v := range map[string]string{"Authorization": "rawtoken-7f3a9c", "Cookie": "nameless-cookie-value", "Set-Cookie": "nameless-set-cookie; Path=/"} {
		got := r.Header(http.Header{key: {v}}).Get(key)
		if strings.Contains(got, strings.Split(v, ";")[0]) {
			t.Errorf("%s: %q became %q, which still holds the credential", key, v, got)
		}
	}
}

func TestRedactorBodyOfOtherTypes(t *testing.T) {
	r := newRedactor()
	tests := []struct {
		name, contentType, body, want, reason string
	}{
		{
			name: "HTML of a redirect", contentType: "text/html; charset=utf-8",
			body:   `<a href="https://client.oauthcheck.test/cb?code=Splx%2BlOB&amp;state=st">Found</a>.`,
			want:   `<a href="https://client.oauthcheck.test/cb?code=` + r.Mask("code", "Splx+lOB") + `&amp;state=st">Found</a>.`,
			reason: "many servers repeat the Location in the body; the mask matches the Location's",
		},
		{
			name: "form_post page", contentType: "text/html",
			body:   `<form method="post"><input type="hidden" name="code" value="fp-code-123"><input type=hidden name=state value=st></form>`,
			want:   `<form method="post"><input type="hidden" name="code" value="` + r.Mask("code", "fp-code-123") + `"><input type=hidden name=state value=st></form>`,
			reason: "an input that a page pre-fills with a code is a secret",
		},
		{
			name: "fragment in text", contentType: "text/plain",
			body:   "go to /cb#access_token=at-123456&state=st",
			want:   "go to /cb#access_token=" + r.Mask("access_token", "at-123456") + "&state=st",
			reason: "an implicit response quoted in a page",
		},
		{
			name: "truncated JSON", contentType: "application/json",
			body:   `{"token_type":"Bearer","access_token":"at-truncated-1","refresh_token":"rt-trunc`,
			want:   `{"token_type":"Bearer","access_token":"` + r.Mask("access_token", "at-truncated-1") + `","refresh_token":"` + r.Mask("refresh_token", "rt-trunc"),
			reason: "a body that was cut does not parse, and still holds tokens",
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

// A report redacts again what it reads: an exchange that an older or
// faulty recorder left holds no secret after it, and masks stay as they
// were.
func TestRedactorExchangeAgain(t *testing.T) {
	r := newRedactor()
	masked := r.Mask("code", "already")
	e := &evidence.Exchange{
		Method: "POST", URL: "https://idp.test/token?client_secret=in-the-uri",
		RequestHeader:  http.Header{"Authorization": {"Basic Y2xpZW50OnNlY3JldA=="}},
		RequestBody:    "grant_type=authorization_code&code=" + masked,
		ResponseHeader: http.Header{"Location": {"https://client.test/cb?code=raw-code-left"}},
		ResponseBody:   `{"access_token":"raw-token-left"}`,
		Error:          "read raw-token-left: EOF",
	}
	r.Exchange(e)
	all := e.Transcript()
	for _, secret := range []string{"in-the-uri", "Y2xpZW50OnNlY3JldA==", "raw-code-left", "raw-token-left"} {
		if strings.Contains(all, secret) {
			t.Errorf("the exchange still holds %s:\n%s", secret, all)
		}
	}
	if !strings.Contains(e.RequestBody, masked) {
		t.Errorf("the mask %s was changed: %s", masked, e.RequestBody)
	}
}

// FuzzRedactor: whatever the text around it, a secret the redactor was
// given never survives String or Body, and Body never panics.
func FuzzRedactor(f *testing.F) {
	for _, seed := range [][2]string{
		{"a-secret-value", "prefix a-secret-value suffix"},
		{"tok+en/with=chars", `{"x":"tok+en/with=chars"}`},
		{"pw-12345", "password=pw-12345&x=1"},
		{"code-1234", "<input name=code value='code-1234'>"},
		{"zzzz", "\x1b[31mzzzz\x1b[0m"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, secret, text string) {
		if len(secret) < 4 || strings.ContainsAny(secret, "<>") {
			return
		}
		r := newRedactor()
		r.Add("secret", secret)
		for _, got := range []string{r.String(text), r.Body("", []byte(text)), r.Body("application/json", []byte(text))} {
			if strings.Contains(text, secret) && strings.Contains(got, secret) && !strings.Contains(r.Mask("secret", secret), secret) {
				t.Fatalf("secret %q survived in %q (from %q)", secret, got, text)
			}
		}
	})
}
