package reports

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// TestFixturesHoldNoSecrets guards the committed reports: every credential,
// code and token in them is a redaction mask, as the recorder writes it.
// (When they were captured, the reference server's client secrets and
// password were also searched for literally, in plain, URL and Basic
// encodings: none was there.)
func TestFixturesHoldNoSecrets(t *testing.T) {
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}`)
	masked := func(v string) bool {
		v, _ = url.QueryUnescape(v)
		return v == "" || strings.HasPrefix(v, "<redacted:")
	}
	for _, name := range []string{"weakened.json", "shard.json", "suite.json"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if m := jwt.FindString(string(raw)); m != "" {
				t.Errorf("a JWT: %.40s…", m)
			}
			checkParams := func(where, form string) {
				vals, err := url.ParseQuery(form)
				if err != nil {
					return
				}
				for _, k := range evidence.SecretParams {
					for _, v := range vals[k] {
						if !masked(v) {
							t.Errorf("%s: %s=%.12s… is not redacted", where, k, v)
						}
					}
				}
			}
			checkURL := func(where, raw string) {
				if u, err := url.Parse(raw); err == nil {
					checkParams(where+" query", u.RawQuery)
					checkParams(where+" fragment", u.EscapedFragment())
				}
			}
			checkHeader := func(where string, h http.Header) {
				for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"} {
					for _, v := range h.Values(k) {
						if !strings.Contains(v, "<redacted:") {
							t.Errorf("%s: %s header %.16s… is not redacted", where, k, v)
						}
					}
				}
				if loc := h.Get("Location"); loc != "" {
					checkURL(where+" Location", loc)
				}
			}
			checkJSON := func(where, body string) {
				var v any
				if json.Unmarshal([]byte(body), &v) != nil {
					return
				}
				var walk func(any)
				walk = func(v any) {
					switch t2 := v.(type) {
					case map[string]any:
						for k, val := range t2 {
							if s, ok := val.(string); ok {
								for _, p := range evidence.SecretParams {
									if strings.EqualFold(k, p) && !masked(s) {
										t.Errorf("%s: JSON member %s is not redacted", where, k)
									}
								}
							}
							walk(val)
						}
					case []any:
						for _, e := range t2 {
							walk(e)
						}
					}
				}
				walk(v)
			}
			reps, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range Results(Merge(reps...)) {
				for _, x := range r.Exchanges {
					where := r.ID + " exchange " + x.Method + " " + x.URL
					n++
					checkURL(where, x.URL)
					checkHeader(where+" request", x.RequestHeader)
					checkHeader(where+" response", x.ResponseHeader)
					if strings.Contains(x.RequestHeader.Get("Content-Type"), "x-www-form-urlencoded") {
						checkParams(where+" body", x.RequestBody)
					}
					checkJSON(where+" request body", x.RequestBody)
					checkJSON(where+" response body", x.ResponseBody)
				}
				for _, s := range r.Browser {
					n++
					checkURL(r.ID+" browser "+string(s.Kind), s.URL)
					checkHeader(r.ID+" browser "+string(s.Kind), s.Header)
				}
			}
			if n == 0 {
				t.Error("no evidence was checked")
			}
		})
	}
}
