package evidence

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// SecretParams are the parameters and JSON members whose values never
// reach a report: credentials, codes and tokens.
var SecretParams = []string{
	"client_secret", "password", "code", "code_verifier", "access_token", "refresh_token",
	"id_token", "device_code", "user_code", "token", "assertion", "client_assertion", "csrf",
	"registration_access_token", "subject_token", "actor_token", "logout_token", "device_secret",
}

// jwkPrivate are the members of a JWK that hold private or symmetric key
// material (RFC 7518 §6): masked in any JSON object with a "kty".
var jwkPrivate = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// KeyEnv is the environment variable that carries the run's masking key
// from the oauthcheck process to the flows' processes it starts, so that
// equal values show equal masks across the run.
const KeyEnv = "OAUTHCHECK_REDACT_KEY"

var (
	runKeyOnce sync.Once
	runKey     []byte
)

// RunKey is this run's random masking key: the one the parent process put
// in KeyEnv, else a new one, which is then put there for the processes
// this one starts. It never leaves the run's process tree.
func RunKey() []byte {
	runKeyOnce.Do(func() {
		if k, err := hex.DecodeString(os.Getenv(KeyEnv)); err == nil && len(k) >= 16 {
			runKey = k
			return
		}
		runKey = make([]byte, 32)
		if _, err := rand.Read(runKey); err != nil {
			panic(err)
		}
		os.Setenv(KeyEnv, hex.EncodeToString(runKey))
	})
	return runKey
}

// Redactor hides secrets in evidence. A mask keeps an HMAC fingerprint of
// the value under the run's key: a reader can see that a replay sent the
// same code as the first exchange, but cannot test a guess against it.
// Every secret value it masks in a parameter, a JSON member, a header or
// a URL is remembered, and masked wherever it appears again, in any text.
// It is safe for concurrent use.
type Redactor struct {
	key []byte

	mu      sync.RWMutex
	secrets map[string]string // literal value → kind
	rep     *strings.Replacer // of secrets; nil when it must be rebuilt
}

// NewRedactor returns a redactor that masks with key, or with RunKey when
// key is nil.
func NewRedactor(key []byte) *Redactor {
	if key == nil {
		key = RunKey()
	}
	return &Redactor{key: key, secrets: map[string]string{}}
}

const maskPrefix = "<redacted:"

// Mask returns the placeholder that stands for a secret value of a kind.
func (r *Redactor) Mask(kind, v string) string {
	if v == "" {
		return ""
	}
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(v))
	return maskPrefix + strings.ToLower(kind) + "#" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:8] + ">"
}

func masked(v string) bool { return strings.HasPrefix(v, maskPrefix) }

// minSecret is the shortest value remembered as a literal: shorter ones
// would mask ordinary text.
const minSecret = 4

// Add remembers secret values of a kind (a client secret, a password, a
// token), so that they are masked wherever they appear, also in their
// form-, path- and JSON-escaped forms.
func (r *Redactor) Add(kind string, values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) < minSecret || masked(v) {
			continue
		}
		forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
		if j, err := json.Marshal(v); err == nil {
			forms = append(forms, strings.Trim(string(j), `"`))
		}
		for _, f := range forms {
			if _, ok := r.secrets[f]; !ok {
				r.secrets[f] = strings.ToLower(kind)
				r.rep = nil
			}
		}
	}
}

// replacer returns the replacer of the remembered secrets, longest first,
// each to the mask of its original value.
func (r *Redactor) replacer() *strings.Replacer {
	r.mu.RLock()
	rep := r.rep
	r.mu.RUnlock()
	if rep != nil {
		return rep
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rep != nil {
		return r.rep
	}
	lits := make([]string, 0, len(r.secrets))
	for s := range r.secrets {
		lits = append(lits, s)
	}
	sort.Slice(lits, func(i, j int) bool {
		if len(lits[i]) != len(lits[j]) {
			return len(lits[i]) > len(lits[j])
		}
		return lits[i] < lits[j]
	})
	pairs := make([]string, 0, 2*len(lits))
	for _, s := range lits {
		pairs = append(pairs, s, r.Mask(r.secrets[s], s))
	}
	r.rep = strings.NewReplacer(pairs...)
	return r.rep
}

var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// String hides the remembered secrets and any JWT in a text, and escapes
// the control characters a target could use against a terminal or a CI
// log.
func (r *Redactor) String(s string) string {
	rep := r.replacer()
	s = rep.Replace(s)
	s = jwtRE.ReplaceAllStringFunc(s, func(t string) string { return r.Mask("jwt", t) })
	if p := Printable(s); p != s {
		// An escape's digits next to the text could spell a secret.
		s = rep.Replace(p)
	}
	return s
}

// param masks the value of a secret parameter and remembers it.
func (r *Redactor) param(key, v string) string {
	if v == "" || masked(v) {
		return v
	}
	r.Add(key, v)
	return r.Mask(key, v)
}

// IsSecretParam reports whether a parameter or JSON member name is one of
// SecretParams, whatever its case.
func IsSecretParam(k string) bool { return isSecretParam(k) }

func isSecretParam(k string) bool {
	for _, s := range SecretParams {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// URL hides the secret query and fragment parameters of a URL.
func (r *Redactor) URL(raw string) string {
	base, frag, hasFrag := raw, "", false
	if i := fragmentIndex(raw); i >= 0 {
		base, frag, hasFrag = raw[:i], raw[i+1:], true
	}
	path, query, hasQuery := strings.Cut(base, "?")
	out := path
	if hasQuery {
		out += "?" + r.form(query)
	}
	if hasFrag {
		out += "#" + r.form(frag)
	}
	return r.String(out)
}

// fragmentIndex is where a URL's fragment starts: at the first # that is
// not inside a mask (a mask holds a # of its own), or -1.
func fragmentIndex(raw string) int {
	for i := 0; i < len(raw); i++ {
		if strings.HasPrefix(raw[i:], maskPrefix) {
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

// form hides the secret values of an x-www-form-urlencoded string, keeping
// the order and the encoding of everything else.
func (r *Redactor) form(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		key, _ := url.QueryUnescape(k)
		if !ok || !isSecretParam(key) {
			continue
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		parts[i] = k + "=" + r.param(key, dv)
	}
	return strings.Join(parts, "&")
}

var (
	// paramInText finds secret parameters in a text: a link in an HTML
	// page, a form sent as text, a fragment quoted in a message.
	paramInText = regexp.MustCompile(`(?i)(^|[?&#\s"'(]|&amp;)(` + strings.Join(SecretParams, "|") + `)=([^&#\s"'<>]+)`)
	// memberInText finds secret JSON members in JSON that does not parse,
	// such as a body that was cut.
	memberInText = regexp.MustCompile(`(?i)"(` + strings.Join(SecretParams, "|") + `)"(\s*:\s*)"((?:[^"\\]|\\.)*)`)
	// inputTag finds the HTML inputs whose value a page pre-fills, such as
	// a form_post response or a consent form with a code in it.
	inputTag  = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	inputName = regexp.MustCompile(`(?is)\bname\s*=\s*["']?([A-Za-z_]+)`)
	inputVal  = regexp.MustCompile(`(?is)(\bvalue\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)`)
	formBody  = regexp.MustCompile(`^[A-Za-z0-9_.\-\[\]%+*~]+=[^\s]*$`)
)

// Body hides the secrets of a request or response body. It judges by the
// content, not by the declared type: a body that parses as JSON is
// redacted as JSON, one that reads as a form as a form, and any other
// text for the parameters, members and inputs a text can hold.
func (r *Redactor) Body(contentType string, body []byte) string {
	s := string(body)
	t := strings.TrimSpace(s)
	switch {
	case t == "":
	case strings.HasPrefix(t, "{") || strings.HasPrefix(t, "["):
		var v any
		if json.Unmarshal([]byte(t), &v) == nil {
			r.json(v)
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // keep the masks' < and > as written
			if enc.Encode(v) == nil {
				s = strings.TrimSuffix(b.String(), "\n")
				break
			}
		}
		s = r.text(s)
	case formBody.MatchString(t) && !strings.Contains(contentType, "html"):
		s = r.form(t)
	default:
		s = r.text(s)
	}
	return r.String(s)
}

// text hides the secret parameters, JSON members and pre-filled inputs
// of a text.
func (r *Redactor) text(s string) string {
	s = paramInText.ReplaceAllStringFunc(s, func(m string) string {
		g := paramInText.FindStringSubmatch(m)
		dv, err := url.QueryUnescape(g[3])
		if err != nil {
			dv = g[3]
		}
		return g[1] + g[2] + "=" + r.param(g[2], dv)
	})
	s = memberInText.ReplaceAllStringFunc(s, func(m string) string {
		g := memberInText.FindStringSubmatch(m)
		return `"` + g[1] + `"` + g[2] + `"` + r.param(g[1], g[3])
	})
	return inputTag.ReplaceAllStringFunc(s, func(tag string) string {
		n := inputName.FindStringSubmatch(tag)
		if n == nil || !isSecretParam(n[1]) {
			return tag
		}
		return inputVal.ReplaceAllStringFunc(tag, func(m string) string {
			g := inputVal.FindStringSubmatch(m)
			q, v := "", g[2]
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
				q, v = v[:1], v[1:len(v)-1]
			}
			return g[1] + q + r.param(n[1], v) + q
		})
	})
}

// json masks secret members in place, and the private members of any
// object with a "kty" (a JWK).
func (r *Redactor) json(v any) {
	switch t := v.(type) {
	case map[string]any:
		_, jwk := t["kty"]
		for k, val := range t {
			s, isStr := val.(string)
			switch {
			case isStr && isSecretParam(k):
				t[k] = r.param(k, s)
			case jwk && isJWKPrivate(k):
				if isStr {
					t[k] = r.param("jwk-"+k, s)
				} else {
					b, _ := json.Marshal(val)
					t[k] = r.Mask("jwk-"+k, string(b))
				}
			default:
				r.json(val)
			}
		}
	case []any:
		for _, e := range t {
			r.json(e)
		}
	}
}

func isJWKPrivate(k string) bool {
	for _, m := range jwkPrivate {
		if k == m {
			return true
		}
	}
	return false
}

// Header returns a copy of h with credentials, cookies and the secrets of
// URLs hidden.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := http.Header{}
	for k, vals := range h {
		for _, v := range vals {
			switch http.CanonicalHeaderKey(k) {
			case "Authorization", "Proxy-Authorization":
				if strings.Contains(v, maskPrefix) {
					break
				}
				if scheme, cred, ok := strings.Cut(v, " "); ok {
					v = scheme + " " + r.param("credentials", cred)
				} else {
					v = r.param("credentials", v) // a bare credential, no scheme
				}
			case "Cookie":
				v = r.cookies(v, ";")
			case "Set-Cookie":
				pair, attrs, _ := strings.Cut(v, ";")
				v = r.cookies(pair, ";")
				if attrs != "" {
					v += ";" + attrs
				}
			case "Location", "Content-Location":
				v = r.URL(v)
			case "Refresh", "Link":
				v = r.text(v)
			}
			out.Add(k, r.String(v))
		}
	}
	return out
}

func (r *Redactor) cookies(v, sep string) string {
	parts := strings.Split(v, sep)
	for i, p := range parts {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok {
			parts[i] = name + "=" + r.param("cookie", val)
		} else {
			parts[i] = r.param("cookie", name) // a cookie with no name
		}
	}
	return strings.Join(parts, sep+" ")
}

// Exchange redacts a recorded exchange in place, again: a report does
// this to what a recorder may have left, so that it never shows a secret
// even from an older or faulty recorder. Masks stay as they are.
func (r *Redactor) Exchange(e *Exchange) {
	e.Note = r.String(e.Note)
	e.URL = r.URL(e.URL)
	e.RequestHeader = r.Header(e.RequestHeader)
	e.ResponseHeader = r.Header(e.ResponseHeader)
	e.RequestBody = r.Body("", []byte(e.RequestBody))
	e.ResponseBody = r.Body("", []byte(e.ResponseBody))
	e.Error = r.String(e.Error)
}

// Step redacts a browser step in place, as [Redactor.Exchange].
func (r *Redactor) Step(s *Step) {
	s.URL = r.URL(s.URL)
	s.Header = r.Header(s.Header)
	s.Action = r.String(s.Action)
}

// Printable escapes the control characters of a text that a target
// controls (an error_description, a page title, a body), so that it
// cannot move a terminal's cursor, colour a CI log or reorder what a
// reader sees. Newlines and tabs stay.
func Printable(s string) string {
	clean := true
	for _, c := range s {
		if unsafeRune(c) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		c, n := utf8.DecodeRuneInString(s)
		switch {
		case c == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case unsafeRune(c) && c < 0x100:
			fmt.Fprintf(&b, `\x%02x`, c)
		case unsafeRune(c):
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

func unsafeRune(c rune) bool {
	switch {
	case c == '\n' || c == '\t':
		return false
	case c < 0x20, c == 0x7f, c >= 0x80 && c < 0xa0:
		return true
	case c >= 0x202a && c <= 0x202e, c >= 0x2066 && c <= 0x2069, c == 0x200e, c == 0x200f:
		return true // bidirectional overrides
	case c == utf8.RuneError:
		return true
	}
	return false
}
