package reference

import (
	"encoding/base64"
	"net/url"
	"testing"
)

// FuzzBasicAuth fuzzes the Basic header parser of client authentication.
//
// Invariants:
//   - it never panics, whatever the header;
//   - credentials encoded as RFC 6749 §2.3.1 says (each form-encoded, then
//     joined with ":" and base64-encoded, as x/oauth2 does) come back
//     exactly, for any id and secret, colons, "+", "%" and invalid UTF-8
//     included;
//   - whatever a header parses to, encoded again the RFC's way, parses to
//     the same again;
//   - without form decoding, the id never holds a ":".
func FuzzBasicAuth(f *testing.F) {
	f.Add("oauthcheck-a", "s3cret", "Basic b2F1dGhjaGVjay1hOnMzY3JldA==")
	f.Add("a:b", "c+d%e/f g&", "basic YTpi")
	f.Add("", "", "Basic Og==")
	f.Add("ü", "\xff\xfe", "Bearer x")
	f.Add("%zz", "+", "Basic JXp6OiU=")
	f.Add("id", "secret", "Basic  \tYTpi \t")
	f.Add("x", "y", "Basic")
	f.Fuzz(func(t *testing.T, id, secret, raw string) {
		header := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
		gotID, gotSecret, e := parseBasic(header, true)
		if e != nil || gotID != id || gotSecret != secret {
			t.Fatalf("parseBasic(encoding of %q, %q) = %q, %q, %v; want them back", id, secret, gotID, gotSecret, e)
		}
		rid, rsecret, e := parseBasic(raw, true)
		if e == nil {
			again := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(rid)+":"+url.QueryEscape(rsecret)))
			if aid, asecret, e := parseBasic(again, true); e != nil || aid != rid || asecret != rsecret {
				t.Fatalf("%q parsed to %q, %q; encoded again it parses to %q, %q, %v", raw, rid, rsecret, aid, asecret, e)
			}
		} else if e.Code != "invalid_client" || e.status != 401 {
			t.Fatalf("parseBasic(%q): error %v with status %d; want 401 invalid_client", raw, e, e.status)
		}
		if pid, _, e := parseBasic(raw, false); e == nil {
			for _, c := range pid {
				if c == ':' {
					t.Fatalf("parseBasic(%q, no decoding): id %q holds a colon", raw, pid)
				}
			}
		}
	})
}
