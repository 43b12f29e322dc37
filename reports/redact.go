package reports

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// The recorder redacts evidence before it reaches a report; reports redact
// again what a recorder may have left (a Location header of a browser
// step, a URL), in the recorder's own format, so that a report never shows
// a code or a token even from an older or buggy recorder.

// secretParams are the parameters whose values never appear in a report:
// the recorder's list (drivers/client.SecretParams; a test keeps the two
// equal).
var secretParams = []string{
	"client_secret", "password", "code", "code_verifier", "access_token", "refresh_token",
	"id_token", "device_code", "token", "assertion", "client_assertion", "csrf", "registration_access_token",
}

func isSecretParam(k string) bool {
	for _, s := range secretParams {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// mask is the recorder's placeholder for a secret value: its kind and a
// short fingerprint, so that a reader still sees that two exchanges sent
// the same code.
func mask(kind, v string) string {
	if v == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(v))
	return "<redacted:" + kind + "#" + base64.RawURLEncoding.EncodeToString(sum[:])[:6] + ">"
}

// scrubURL masks the values of secret query and fragment parameters that
// are not masked yet, keeping everything else as written.
func scrubURL(raw string) string {
	base, frag, hasFrag := raw, "", false
	if i := fragmentIndex(raw); i >= 0 {
		base, frag, hasFrag = raw[:i], raw[i+1:], true
	}
	path, query, hasQuery := strings.Cut(base, "?")
	out := path
	if hasQuery {
		out += "?" + scrubForm(query)
	}
	if hasFrag {
		out += "#" + scrubForm(frag)
	}
	return out
}

// fragmentIndex is where the URL's fragment starts: at the first # that is
// not inside a mask (a mask holds a # of its own), or -1.
func fragmentIndex(raw string) int {
	for i := 0; i < len(raw); i++ {
		if strings.HasPrefix(raw[i:], "<redacted:") {
			j := strings.IndexByte(raw[i:], '>')
			if j < 0 {
				return -1
			}
			i += j
			continue
		}
		if raw[i] == '#' {
			return i
		}
	}
	return -1
}

func scrubForm(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		key, _ := url.QueryUnescape(k)
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		if isSecretParam(key) && !strings.HasPrefix(dv, "<redacted") {
			parts[i] = k + "=" + mask(key, dv)
		}
	}
	return strings.Join(parts, "&")
}

// scrubHeader masks what a header may carry: credentials and cookies
// whole, and the secret parameters of a Location.
func scrubHeader(h http.Header) {
	for k, vals := range h {
		for i, v := range vals {
			switch http.CanonicalHeaderKey(k) {
			case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie":
				if !strings.Contains(v, "<redacted") {
					vals[i] = mask("credentials", v)
				}
			case "Location", "Content-Location", "Refresh":
				vals[i] = scrubURL(v)
			}
		}
	}
}

func (e *Exchange) scrub() {
	e.URL = scrubURL(e.URL)
	scrubHeader(e.RequestHeader)
	scrubHeader(e.ResponseHeader)
}

func (s *Step) scrub() {
	s.URL = scrubURL(s.URL)
	scrubHeader(s.Header)
}
