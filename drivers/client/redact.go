package client

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// SecretParams are the parameters whose values never reach a report:
// credentials, codes and tokens.
var SecretParams = []string{
	"client_secret", "password", "code", "code_verifier", "access_token", "refresh_token",
	"id_token", "device_code", "token", "assertion", "client_assertion", "csrf", "registration_access_token",
}

// Redactor hides secrets in recorded exchanges. A redacted value keeps a
// short fingerprint, so a reader can still see that a replay sent the same
// code as the first exchange.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // literal values, longest first
}

// NewRedactor returns a redactor that also hides the given literal values,
// such as client secrets and the test user's password.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more literal secret values.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets = append(r.secrets, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Mask returns the placeholder that stands for a secret value.
func Mask(kind, v string) string {
	if v == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(v))
	return "<redacted:" + kind + "#" + base64.RawURLEncoding.EncodeToString(sum[:])[:6] + ">"
}

func isSecretParam(k string) bool {
	for _, s := range SecretParams {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// String hides the literal secrets and any JWT in any text.
func (r *Redactor) String(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mask("secret", sec))
		}
	}
	return jwtRE.ReplaceAllStringFunc(s, func(t string) string { return Mask("jwt", t) })
}

// URL hides secret query and fragment parameters of a URL.
func (r *Redactor) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return r.String(raw)
	}
	if u.RawQuery != "" {
		u.RawQuery = r.form(u.RawQuery)
	}
	if u.Fragment != "" {
		frag := r.form(u.EscapedFragment())
		u.Fragment, u.RawFragment = "", ""
		return r.String(u.String() + "#" + frag)
	}
	return r.String(u.String())
}

// form hides the secret values of an x-www-form-urlencoded string, keeping
// the order and the encoding of everything else.
func (r *Redactor) form(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		key, _ := url.QueryUnescape(k)
		if ok && isSecretParam(key) {
			dv, _ := url.QueryUnescape(v)
			parts[i] = k + "=" + Mask(key, dv)
		}
	}
	return strings.Join(parts, "&")
}

var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// paramInText finds secret parameters in a body that is neither a form nor
// JSON, such as the link in the HTML body of a redirect or a form sent with
// another content type; memberInText finds
// secret members of JSON that does not parse, such as a truncated body.
var (
	paramInText  = regexp.MustCompile(`(?i)(^|[?&#]|&amp;)(` + strings.Join(SecretParams, "|") + `)=([^&#\s"'<>]+)`)
	memberInText = regexp.MustCompile(`(?i)"(` + strings.Join(SecretParams, "|") + `)"(\s*:\s*)"((?:[^"\\]|\\.)*)`)
)

// Body hides secrets in a request or response body of the given type.
func (r *Redactor) Body(contentType string, body []byte) string {
	s := string(body)
	switch {
	case strings.Contains(contentType, "x-www-form-urlencoded"):
		s = r.form(s)
	case strings.Contains(contentType, "json"):
		var v any
		if json.Unmarshal(body, &v) == nil {
			redactJSON(v)
			// Keep the masks' < and > as written, not \u003c.
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if enc.Encode(v) == nil {
				s = strings.TrimSuffix(b.String(), "\n")
			}
		} else {
			s = memberInText.ReplaceAllStringFunc(s, func(m string) string {
				g := memberInText.FindStringSubmatch(m)
				return `"` + g[1] + `"` + g[2] + `"` + Mask(g[1], g[3])
			})
		}
	default:
		s = paramInText.ReplaceAllStringFunc(s, func(m string) string {
			g := paramInText.FindStringSubmatch(m)
			dv, _ := url.QueryUnescape(g[3])
			return g[1] + g[2] + "=" + Mask(g[2], dv)
		})
	}
	return r.String(s)
}

func redactJSON(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if s, ok := val.(string); ok && isSecretParam(k) {
				t[k] = Mask(k, s)
			} else {
				redactJSON(val)
			}
		}
	case []any:
		for _, e := range t {
			redactJSON(e)
		}
	}
}

// Header returns a copy of h with credentials hidden.
func (r *Redactor) Header(h http.Header) http.Header {
	out := http.Header{}
	for k, vals := range h {
		for _, v := range vals {
			switch http.CanonicalHeaderKey(k) {
			case "Authorization", "Proxy-Authorization":
				if scheme, cred, ok := strings.Cut(v, " "); ok {
					v = scheme + " " + Mask("credentials", cred)
				} else {
					v = Mask("credentials", v) // a bare credential, no scheme
				}
			case "Cookie":
				v = redactCookies(v, ";")
			case "Set-Cookie":
				pair, attrs, _ := strings.Cut(v, ";")
				if name, val, ok := strings.Cut(pair, "="); ok {
					v = name + "=" + Mask("cookie", val)
				} else {
					v = Mask("cookie", pair) // a cookie with no name
				}
				if attrs != "" {
					v += ";" + attrs
				}
			case "Location":
				v = r.URL(v)
			default:
				v = r.String(v)
			}
			out.Add(k, v)
		}
	}
	return out
}

func redactCookies(v, sep string) string {
	parts := strings.Split(v, sep)
	for i, p := range parts {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok {
			parts[i] = name + "=" + Mask("cookie", val)
		} else {
			parts[i] = Mask("cookie", name) // a cookie with no name
		}
	}
	return strings.Join(parts, sep+" ")
}
