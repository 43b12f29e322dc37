package device

import (
	"crypto/rand"
	"fmt"
	"html"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// codeForm replays the verification page's user code form over HTTP with
// the browser session's cookies, so that each attempt is one recorded
// exchange and costs no page load.
type codeForm struct {
	login.CodeForm

	jar      http.CookieJar
	baseline map[string]bool // the throttling words of the page before any attempt
}

// openCodeForm opens uri in the check's (signed-in) browser session and
// reads its user code form; it skips the check when the page has none
// that plain HTTP can submit.
func openCodeForm(c *check.C, uri string) *codeForm {
	sess := c.Session()
	c.Note("open the verification page in the signed-in session")
	if err := sess.Open(c, uri); err != nil {
		c.Fatalf("%v", err)
	}
	form, err := login.ReadCodeForm(sess.Page(c))
	c.Require(err, "read the verification page")
	if form == nil {
		c.Skipf("the verification page %s has no HTML form with a user code field that the harness can replay", uri)
	}
	f := &codeForm{CodeForm: *form}
	action, err := url.Parse(f.Action)
	if err != nil || (f.Method != "get" && f.Method != "post") {
		c.Skipf("the verification form (action %q, method %q) cannot be replayed over HTTP", f.Action, f.Method)
	}
	cookies, err := sess.Cookies(c, f.Action)
	c.Require(err, "read the browser's cookies")
	jar, _ := cookiejar.New(nil)
	for _, ck := range cookies {
		ck.Domain, ck.Path = "", ""
	}
	jar.SetCookies(action, cookies)
	f.jar = jar

	c.Note("load the verification page over HTTP with the browser's cookies")
	base := f.send(c, http.MethodGet, f.Page, "")
	if !strings.Contains(string(base.Body), f.Code) {
		c.Skipf("the verification page fetched over HTTP with the browser's cookies shows no user code form (%s), so the form cannot be replayed", steps.Describe(base))
	}
	f.baseline = throttleWords(base.Body)
	return f
}

// send makes one request with the session's cookies and a browser's
// headers, and keeps the cookies it sets.
func (f *codeForm) send(c *check.C, method, target, body string) *client.Response {
	u, err := url.Parse(target)
	c.Require(err, "parse "+target)
	h := http.Header{"User-Agent": {f.UA}, "Accept": {"text/html,application/xhtml+xml"}, "Referer": {f.Page}}
	var cookies []string
	for _, ck := range f.jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	if len(cookies) > 0 {
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	var r *client.Response
	if method == http.MethodPost {
		h.Set("Origin", steps.Origin(f.Page))
		r, err = c.HTTP.PostForm(c, target, body, h)
	} else {
		r, err = c.HTTP.Get(c, target, h)
	}
	c.Require(err, method+" "+target)
	f.jar.SetCookies(u, (&http.Response{Header: r.Header}).Cookies())
	return r
}

// submit sends the form with code in the user code field, follows one
// redirect, and takes the hidden fields of the answer for the next
// attempt (a CSRF token may change).
func (f *codeForm) submit(c *check.C, code string) *client.Response {
	v := url.Values{}
	for _, kv := range f.Fields {
		v.Add(kv[0], kv[1])
	}
	v.Set(f.Code, code)
	var r *client.Response
	if f.Method == "get" {
		u, _ := url.Parse(f.Action)
		u.RawQuery = v.Encode()
		r = f.send(c, http.MethodGet, u.String(), "")
	} else {
		r = f.send(c, http.MethodPost, f.Action, v.Encode())
	}
	if loc := r.Header.Get("Location"); r.Status/100 == 3 && loc != "" {
		if next, err := url.Parse(f.Action); err == nil {
			if to, err := next.Parse(loc); err == nil {
				r = f.send(c, http.MethodGet, to.String(), "")
			}
		}
	}
	for name, value := range hiddenInputs(r.Body) {
		for i := range f.Fields {
			if f.Fields[i][0] == name {
				f.Fields[i][1] = value
			}
		}
	}
	return r
}

// The outcomes of a wrong user code.
const (
	outcomeRejected  = "rejected"  // an ordinary "unknown code" answer
	outcomeThrottled = "throttled" // 429, or words of a limit the page did not show before
	outcomeOther     = "other"
)

// outcome classifies the answer to a wrong user code, the attempt after
// rejected ordinary refusals: 429, a 503 with Retry-After, or words of a
// limit that the page did not show before (but on a server error's page),
// are throttling; so is a 403 once earlier wrong codes were refused in the
// ordinary way (a lockout, as a WAF answers it: the same form, from the
// same session, was taken before).
func (f *codeForm) outcome(r *client.Response, rejected int) string {
	if r.Status == http.StatusTooManyRequests || (r.Status == http.StatusForbidden && rejected > 0) {
		return outcomeThrottled
	}
	if r.Status >= http.StatusInternalServerError {
		// A server error's page may read "temporarily unavailable" of
		// anything; only a 503 that says when to come back is a limit.
		if r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "" {
			return outcomeThrottled
		}
		return outcomeOther
	}
	for w := range throttleWords(r.Body) {
		if !f.baseline[w] {
			return outcomeThrottled
		}
	}
	switch r.Status {
	case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
		return outcomeRejected
	}
	return outcomeOther
}

// describe renders an answer of the verification page for a finding.
func (f *codeForm) describe(r *client.Response) string {
	s := fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))
	if ra := r.Header.Get("Retry-After"); ra != "" {
		s += ", Retry-After " + ra
	}
	if ws := throttleWords(r.Body); len(ws) > 0 {
		var list []string
		for w := range ws {
			list = append(list, fmt.Sprintf("%q", w))
		}
		s += " saying " + strings.Join(list, ", ")
	}
	return s
}

var throttleRE = regexp.MustCompile(`(?i)too many|rate.?limit|try again (?:later|in)|\b(?:b|)locked\b|captcha|slow down|temporarily (?:blocked|unavailable)|wait a (?:minute|moment|while)`)

// throttleWords are the words of a rate limit in a page.
func throttleWords(body []byte) map[string]bool {
	out := map[string]bool{}
	for _, m := range throttleRE.FindAllString(string(body), -1) {
		out[strings.ToLower(m)] = true
	}
	return out
}

var (
	inputRE = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRE  = regexp.MustCompile(`(?is)\b(name|value|type)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
)

// hiddenInputs reads the hidden inputs of an HTML page.
func hiddenInputs(body []byte) map[string]string {
	out := map[string]string{}
	for _, tag := range inputRE.FindAllString(string(body), -1) {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[strings.ToLower(m[1])] = html.UnescapeString(m[2] + m[3] + m[4])
		}
		if strings.EqualFold(attrs["type"], "hidden") && attrs["name"] != "" {
			out[attrs["name"]] = attrs["value"]
		}
	}
	return out
}

// wrongCode is a random code shaped like real: a letter for a letter (of
// its case, no vowels), a digit for a digit, punctuation kept.
func wrongCode(real string) string {
	const letters, digits = "BCDFGHJKLMNPQRSTVWXZ", "0123456789"
	pick := func(set string) rune {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		return rune(set[n.Int64()])
	}
	for {
		var b strings.Builder
		for _, r := range real {
			switch {
			case unicode.IsDigit(r):
				b.WriteRune(pick(digits))
			case unicode.IsLower(r):
				b.WriteRune(unicode.ToLower(pick(letters)))
			case unicode.IsLetter(r):
				b.WriteRune(pick(letters))
			default:
				b.WriteRune(r)
			}
		}
		if s := b.String(); steps.NormalisedCode(s) != steps.NormalisedCode(real) {
			return s
		}
	}
}
