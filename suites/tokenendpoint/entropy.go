package tokenendpoint

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// codeBudget is the time TOKEN-ENTROPY spends getting codes through the
// browser, within the check's time.
const codeBudget = 30 * time.Second

// MinSamples is how many values of a kind TOKEN-ENTROPY judges at least:
// fewer show too little of each position's diversity.
const MinSamples = 20

// Entropy is an upper-bound estimate of the randomness in a kind of value.
type Entropy struct {
	Bits float64
	How  string
}

// Estimate judges samples of one kind from the values themselves, repeats
// included:
//   - a value that repeats makes the kind worth nothing: two issuances
//     collided;
//   - UUIDv4s are worth their 122 random bits;
//   - JWTs that all carry a jti are judged by it, their random part (the
//     signature already prevents forgery);
//   - anything else position by position: a character that never changes
//     is worth nothing, a position that varies is worth log2 of the
//     alphabet its diversity shows. With n samples, a position drawn
//     uniformly from the alphabet of the varying positions (hex, digits,
//     base64url, …) shows about k(1-(1-1/k)^n) distinct characters for an
//     alphabet of k; a position that shows clearly fewer is worth log2 of
//     the k that would show that many (a counter's slow digits, the last
//     character of base64). Values of different lengths are aligned both
//     left and right, and the lower estimate kept.
func Estimate(samples []string) Entropy {
	if dup := repeats(samples); dup > 0 {
		return Entropy{Bits: 0, How: fmt.Sprintf("%d of %d values repeat an earlier one", dup, len(samples))}
	}
	if allMatch(samples, uuidV4) {
		return Entropy{Bits: 122, How: "UUIDv4s, 122 random bits each"}
	}
	if jtis := jwtIDs(samples); jtis != nil {
		e := Estimate(jtis)
		e.How = "JWTs, judged by their jti: " + e.How
		return e
	}
	left, right := positions(samples, false), positions(samples, true)
	e := estimatePositions(left, len(samples))
	if r := estimatePositions(right, len(samples)); r.Bits < e.Bits {
		e = r
		e.How += ", aligned right"
	}
	if allJWTs(samples) {
		e.How = "JWTs without a jti, judged whole, signature included: " + e.How
	}
	return e
}

// allJWTs reports whether every sample has the three base64url parts of
// a JWS in compact form.
func allJWTs(samples []string) bool {
	for _, s := range samples {
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			return false
		}
		if _, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
			return false
		}
	}
	return len(samples) > 0
}

// signedJWTs reports whether every sample is a JWS with a signature: a
// header whose alg is not none, and a third part that is not empty.
func signedJWTs(samples []string) bool {
	if !allJWTs(samples) {
		return false
	}
	for _, s := range samples {
		parts := strings.Split(s, ".")
		raw, err := base64.RawURLEncoding.DecodeString(parts[0])
		var h struct {
			Alg string `json:"alg"`
		}
		if err != nil || json.Unmarshal(raw, &h) != nil || h.Alg == "" || strings.EqualFold(h.Alg, "none") || parts[2] == "" {
			return false
		}
	}
	return true
}

var uuidV4 = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

func allMatch(samples []string, re *regexp.Regexp) bool {
	for _, s := range samples {
		if !re.MatchString(s) {
			return false
		}
	}
	return len(samples) > 0
}

// positions returns, for each position up to the shortest sample's
// length, the characters the samples have there, counted from the start
// or from the end.
func positions(samples []string, fromEnd bool) []map[byte]bool {
	minLen := math.MaxInt
	for _, s := range samples {
		minLen = min(minLen, len(s))
	}
	if len(samples) == 0 {
		return nil
	}
	out := make([]map[byte]bool, minLen)
	for i := range out {
		out[i] = map[byte]bool{}
		for _, s := range samples {
			if fromEnd {
				out[i][s[len(s)-1-i]] = true
			} else {
				out[i][s[i]] = true
			}
		}
	}
	return out
}

func estimatePositions(pos []map[byte]bool, n int) Entropy {
	varying := map[byte]bool{}
	widest, nvary := 0, 0
	for _, p := range pos {
		if len(p) < 2 {
			continue
		}
		nvary++
		widest = max(widest, len(p))
		for b := range p {
			varying[b] = true
		}
	}
	if nvary == 0 {
		return Entropy{Bits: 0, How: fmt.Sprintf("none of %d characters varies", len(pos))}
	}
	alphabet := max(classSize(varying), widest)
	full := math.Log2(float64(alphabet))
	// A position drawn from the whole alphabet shows about expect
	// distinct characters; one that shows under 40% of that (out of reach
	// of chance: at most 6 of 64 in 20 draws, where 17 are expected, or 4
	// of 16 where 11.5 are) is judged by its own diversity.
	expect := distinct(float64(alphabet), n)
	bits, narrow := 0.0, 0
	for _, p := range pos {
		d := len(p)
		switch {
		case d < 2:
		case float64(d) >= 0.4*expect:
			bits += full
		default:
			narrow++
			bits += math.Log2(min(alphabetFor(d, n), float64(alphabet)))
		}
	}
	how := fmt.Sprintf("%d of %d characters vary, from an alphabet of %d", nvary, len(pos), alphabet)
	if narrow > 0 {
		how += fmt.Sprintf(", %d of them over fewer values", narrow)
	}
	return Entropy{Bits: bits, How: how}
}

// distinct is the expected number of distinct values in n draws from k
// equally likely ones.
func distinct(k float64, n int) float64 {
	if k <= 1 {
		return 1
	}
	return k * (1 - math.Pow(1-1/k, float64(n)))
}

// alphabetFor is the alphabet size k whose n draws show d distinct
// values on average: +Inf when every draw differed.
func alphabetFor(d, n int) float64 {
	if d >= n {
		return math.Inf(1)
	}
	lo, hi := float64(d), 1e9
	for i := 0; i < 200; i++ {
		mid := (lo + hi) / 2
		if distinct(mid, n) < float64(d) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// classSize widens the characters seen at varying positions to the
// alphabet they come from: digits, hex, base36, letters, alphanumerics,
// base64 or base64url, or what was seen.
func classSize(seen map[byte]bool) int {
	has := func(pred func(byte) bool) bool {
		for b := range seen {
			if pred(b) {
				return true
			}
		}
		return false
	}
	all := func(pred func(byte) bool) bool {
		for b := range seen {
			if !pred(b) {
				return false
			}
		}
		return true
	}
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	lower := func(b byte) bool { return b >= 'a' && b <= 'z' }
	upper := func(b byte) bool { return b >= 'A' && b <= 'Z' }
	lowerHex := func(b byte) bool { return digit(b) || b >= 'a' && b <= 'f' }
	upperHex := func(b byte) bool { return digit(b) || b >= 'A' && b <= 'F' }
	alnum := func(b byte) bool { return digit(b) || lower(b) || upper(b) }
	switch {
	case all(digit):
		return 10
	case all(lowerHex), all(upperHex):
		return 16
	case all(func(b byte) bool { return digit(b) || lower(b) }), all(func(b byte) bool { return digit(b) || upper(b) }):
		return 36
	case all(func(b byte) bool { return lower(b) || upper(b) }):
		return 52
	case all(alnum):
		return 62
	case all(func(b byte) bool { return alnum(b) || b == '-' || b == '_' }),
		all(func(b byte) bool { return alnum(b) || b == '+' || b == '/' }):
		return 64
	}
	n := 0
	for _, c := range []struct {
		in   func(byte) bool
		size int
	}{{digit, 10}, {lower, 26}, {upper, 26}} {
		if has(c.in) {
			n += c.size
		}
	}
	for b := range seen {
		if !alnum(b) {
			n++
		}
	}
	return n
}

func repeats(samples []string) int {
	seen := map[string]bool{}
	dup := 0
	for _, s := range samples {
		if seen[s] {
			dup++
		}
		seen[s] = true
	}
	return dup
}

// jwtIDs returns the jti of every sample if all are JWTs with one.
func jwtIDs(samples []string) []string {
	var out []string
	for _, s := range samples {
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			return nil
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			return nil
		}
		var claims struct {
			JTI string `json:"jti"`
		}
		if json.Unmarshal(raw, &claims) != nil || claims.JTI == "" {
			return nil
		}
		out = append(out, claims.JTI)
	}
	return out
}

// grade is the verdict of an estimate under RFC 6749 §10.10: under 128
// bits FAIL, under 160 WARN. It compares whole bits: an estimate from
// samples may fall a fraction of a bit short of a value's true 128.
func grade(bits float64) check.Verdict {
	switch b := math.Round(bits); {
	case b < 128:
		return check.Fail
	case b < 160:
		return check.Warn
	}
	return check.Pass
}

// RFC 6749 §10.10: "The probability of an attacker guessing generated
// tokens (and other credentials not intended for handling by end-users)
// MUST be less than or equal to 2^(-128) and SHOULD be less than or equal
// to 2^(-160)." RFC 8628 §5.2 holds device codes to it too.
//
// The check gathers its own samples, MinSamples of each kind, each from a
// separate issuance, and keeps every value as it came, so that a repeat
// shows: access tokens from client_credentials (a token handed back again
// to the same client is a cached one, not a collision, and is not counted)
// and from the code flow and its refreshes, codes, refresh tokens (from
// rotation, and from the code flows), and device codes.
var _ = check.It("TOKEN-ENTROPY", func(c *check.C) {
	type kind struct {
		name string
		vals []string
		why  string
	}
	ccTokens := kind{name: "client_credentials access_token"}
	codes, codeTokens, refreshTokens := kind{name: "code"}, kind{name: "authorization_code access_token"}, kind{name: "refresh_token"}
	devices := kind{name: "device_code"}

	if cc := steps.FindCC(c); cc.Client == nil {
		ccTokens.why = cc.Why
	} else {
		ccTokens.vals = append(ccTokens.vals, cc.Token.AccessToken)
		for len(ccTokens.vals) < MinSamples {
			t := steps.ParseToken(c, steps.Token(c, cc.Client, steps.CCForm(), steps.AuthDefault))
			if !t.Issued() {
				ccTokens.why = "a client_credentials request failed: " + steps.Describe(t.Response)
				break
			}
			if slices.Contains(ccTokens.vals, t.AccessToken) {
				c.Info("the server handed %s the access token it had issued before, for a new client_credentials request (a cached token): the client_credentials tokens are not judged", cc.Client.ID)
				ccTokens.why = "the server hands back a cached token"
				ccTokens.vals = nil
				break
			}
			ccTokens.vals = append(ccTokens.vals, t.AccessToken)
		}
	}

	if ok, why := steps.CanBrowse(c); !ok {
		codes.why, codeTokens.why, refreshTokens.why = why, why, why
	} else if cl, why := c.Env.Target.Client(target.RoleConfidential); cl == nil {
		codes.why, codeTokens.why, refreshTokens.why = why, why, why
	} else {
		flow := func() *steps.TokenResponse {
			r := steps.NewAuthRequest(c, target.RoleConfidential)
			code := steps.Code(c, r)
			codes.vals = append(codes.vals, code)
			c.Note("redeem the code")
			t := steps.Exchange(c, r, code)
			steps.MustRedeem(c, r, t, "redeeming a fresh code as "+r.Client.ID)
			codeTokens.vals = append(codeTokens.vals, t.AccessToken)
			if t.RefreshToken != "" {
				refreshTokens.vals = append(refreshTokens.vals, t.RefreshToken)
			}
			return t
		}
		// Refresh tokens come cheaply from rotation: each refresh that
		// rotates issues a new one, and a new access token.
		last := flow().RefreshToken
		for last != "" && len(refreshTokens.vals) < MinSamples {
			c.Note("refresh, for a new refresh token")
			t := steps.Refresh(c, cl, last, "")
			if !t.Issued() {
				refreshTokens.why = "a refresh failed: " + steps.Describe(t.Response)
				break
			}
			codeTokens.vals = append(codeTokens.vals, t.AccessToken)
			if t.RefreshToken == "" || t.RefreshToken == last {
				refreshTokens.why = "refresh tokens are not rotated, and only new ones count"
				break
			}
			last = t.RefreshToken
			refreshTokens.vals = append(refreshTokens.vals, last)
		}
		// Each code needs the browser: as many as the time allows.
		until := time.Now().Add(codeBudget)
		for len(codes.vals) < MinSamples && time.Now().Before(until) {
			flow()
		}
		if len(codes.vals) < MinSamples {
			codes.why = fmt.Sprintf("the browser gave %d codes in %s", len(codes.vals), codeBudget)
		}
		if len(refreshTokens.vals) == 0 {
			refreshTokens.why = "the code grant issued no refresh token"
		}
	}

	md := steps.Metadata(c)
	if cl, why := c.Env.Target.Client(target.RoleDevice); cl == nil {
		devices.why = why
	} else if md.DeviceAuthorizationEndpoint == "" {
		devices.why = "the metadata has no device_authorization_endpoint"
	} else {
		for len(devices.vals) < MinSamples {
			r := steps.RequestDevice(c, cl)
			d := r.Field("device_code")
			if r.Status != http.StatusOK || d == "" {
				devices.why = "a device authorization request failed: " + steps.Describe(r)
				break
			}
			devices.vals = append(devices.vals, d)
		}
	}

	judged := 0
	for _, k := range []kind{codes, ccTokens, codeTokens, refreshTokens, devices} {
		if len(k.vals) < MinSamples {
			if k.why == "" {
				k.why = "too few could be had"
			}
			c.Info("%s not judged: %d of the %d samples it needs (%s)", k.name, len(k.vals), MinSamples, k.why)
			continue
		}
		judged++
		est := Estimate(k.vals)
		if grade(est.Bits) != check.Pass && est.Bits > 0 && signedJWTs(k.vals) {
			// Guessing a signed JWT means forging its signature; its jti
			// only has to be unique (RFC 7519 §4.1.7).
			c.Pass("%s: signed JWTs, which cannot be guessed without the signing key; their jti carries about %.0f bits over %d samples (%s), and none repeats", k.name, est.Bits, len(k.vals), est.How)
			continue
		}
		switch grade(est.Bits) {
		case check.Fail:
			c.Fail("RFC 6749 §10.10", "%s: about %.0f bits of entropy over %d samples (%s), under 128", k.name, est.Bits, len(k.vals), est.How)
		case check.Warn:
			c.Warn("RFC 6749 §10.10", "%s: about %.0f bits over %d samples (%s), under the recommended 160", k.name, est.Bits, len(k.vals), est.How)
		default:
			c.Pass("%s: about %.0f bits over %d samples (%s)", k.name, est.Bits, len(k.vals), est.How)
		}
	}
	if judged == 0 {
		c.Skipf("no kind of code or token could be had %d times", MinSamples)
	}
}, check.Control("weak-tokens", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass), check.Quirk("jwt-not-9068", check.Pass),
	check.Quirk("jwt-jti-uuid", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass),
	// It redeems and refreshes the confidential client's tokens again and
	// again: a family torn down meanwhile would refuse a fresh code.
	steps.RefreshTurns)
