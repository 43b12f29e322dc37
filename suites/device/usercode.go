package device

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/onsi/ginkgo/v2"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// userCodeSamples is how many user codes DEVICE-USER-CODE-ENTROPY asks for.
const userCodeSamples = 50

// RFC 8628 §5.1: "The user code SHOULD have enough entropy that, when
// combined with rate-limiting and other mitigations, a brute-force attack
// becomes infeasible. For example, [...] 8 characters [...] from a 20
// character alphabet (34.5 bits of entropy)". §6.1: "It is RECOMMENDED to
// avoid character sets that contain two or more characters that are easily
// confused with each other".
var _ = check.It("DEVICE-USER-CODE-ENTROPY", func(c *check.C) {
	cl := steps.DeviceClient(c, target.RoleDevice)
	c.Note("%d device authorizations", userCodeSamples)
	var codes []string
	for i := 0; i < userCodeSamples; i++ {
		r := steps.RequestDevice(c, cl)
		d := steps.ParseDevice(cl, r, time.Now())
		if r.Status == http.StatusTooManyRequests && len(codes) >= 20 {
			c.Info("the server limited device authorizations after %d (%s); the analysis uses those", len(codes), steps.Describe(r))
			break
		}
		steps.MustTell(c, r, fmt.Sprintf("device authorization %d of %d", i+1, userCodeSamples))
		if r.Status != http.StatusOK || d.UserCode == "" {
			c.FailNow("RFC 8628 §3.2", "device authorization %d of %s gave no user_code: %s", i+1, cl.ID, steps.Describe(r))
		}
		c.Env.Samples.Add("device_code", d.DeviceCode)
		codes = append(codes, d.UserCode)
	}
	st := analyseCodes(codes)
	shape := fmt.Sprintf("%d user codes such as %s: %d varying characters from %q (%d characters)",
		st.N, st.Example, st.Length, st.Alphabet, len([]rune(st.Alphabet)))
	switch {
	case st.Bits >= 34:
		c.Pass("%s, about %.1f bits (RFC 8628's example has 34.5)", shape, st.Bits)
	case st.Bits >= 30:
		// Between the RFC's example and the catalogue's WARN line: a few
		// bits short of 34.5 still leave about a billion codes, which the
		// rate limit of DEVICE-USER-CODE-RATE-LIMIT keeps out of reach;
		// an observation, not a broken SHOULD.
		c.Info("%s, about %.1f bits: below the 34.5 bits of RFC 8628's example, above the 30 bits under which guessing gets practical", shape, st.Bits)
	default:
		c.Warn("RFC 8628 §5.1", "%s, about %.1f bits: %.0f guesses cover every code", shape, st.Bits, math.Exp2(st.Bits))
	}
	if st.Unique < st.N {
		c.Warn("RFC 8628 §5.1", "%d of %d user codes were issued more than once; codes of %.1f random bits would almost never repeat", st.N-st.Unique, st.N, st.Bits)
	}
	if st.Sequential > 0 {
		c.Warn("RFC 8628 §5.1", "%d of %d user codes issued one after another differ only in their last two characters: the next code can be guessed", st.Sequential, st.N-1)
	}
	if st.VariableLength {
		c.Info("the user codes differ in length; the analysis counts the first %d characters", st.Positions)
	}
	if st.MixedCase {
		c.Info("the user codes mix upper and lower case; RFC 8628 §6.1 recommends a case-insensitive alphabet")
	}
	if st.Confusable != "" {
		c.Info("the alphabet holds characters that are easily confused (%s), which RFC 8628 §6.1 recommends avoiding", st.Confusable)
	}
}, check.Control("device-weak-user-code", check.Warn))

// codeStats is what a sample of user codes shows.
type codeStats struct {
	N, Unique int
	Example   string
	// Positions is the number of characters compared (the shortest code);
	// Length the number of those that vary.
	Positions, Length int
	// Alphabet holds every letter and digit seen, sorted.
	Alphabet string
	// Bits estimates log2 of the number of possible codes: per varying
	// position, log2 of the alphabet of its kind (letters or digits), or of
	// the characters seen there when they are far fewer than a uniform draw
	// from that alphabet would show.
	Bits float64
	// Sequential counts codes that differ from the one issued before only
	// in their last two letters or digits.
	Sequential     int
	VariableLength bool
	MixedCase      bool
	Confusable     string
}

// analyseCodes infers the alphabet, length and entropy of user codes from
// a sample, in the order they were issued.
func analyseCodes(codes []string) codeStats {
	st := codeStats{N: len(codes)}
	if len(codes) == 0 {
		return st
	}
	st.Example = codes[0]
	runes := make([][]rune, len(codes))
	unique := map[string]bool{}
	alphabet := map[rune]bool{}
	st.Positions = math.MaxInt
	for i, code := range codes {
		unique[code] = true
		runes[i] = []rune(code)
		st.Positions = min(st.Positions, len(runes[i]))
		if len(runes[i]) != len(runes[0]) {
			st.VariableLength = true
		}
		for _, r := range code {
			if isAlnum(r) {
				alphabet[r] = true
			}
		}
	}
	st.Unique = len(unique)
	var upper, lower bool
	for r := range alphabet {
		upper = upper || unicode.IsUpper(r)
		lower = lower || unicode.IsLower(r)
	}
	st.MixedCase = upper && lower
	st.Alphabet = sortedRunes(alphabet)
	st.Confusable = confusable(alphabet)

	// Kinds: the letters and the digits seen anywhere.
	kindOf := func(r rune) string {
		if unicode.IsDigit(r) {
			return "digit"
		}
		return "letter"
	}
	kinds := map[string]map[rune]bool{"digit": {}, "letter": {}}
	for r := range alphabet {
		kinds[kindOf(r)][r] = true
	}
	for pos := 0; pos < st.Positions; pos++ {
		seen := map[rune]bool{}
		kindSet := map[string]bool{}
		alnum := true
		for _, rs := range runes {
			seen[rs[pos]] = true
			if isAlnum(rs[pos]) {
				kindSet[kindOf(rs[pos])] = true
			} else {
				alnum = false
			}
		}
		if len(seen) < 2 {
			continue // a separator, or a constant
		}
		st.Length++
		a := 0
		for k := range kindSet {
			a += len(kinds[k])
		}
		if !alnum {
			a = len(seen)
		}
		// A uniform draw of N from a shows about a·(1-(1-1/a)^N) of them.
		expected := float64(a) * (1 - math.Pow(1-1/float64(a), float64(st.N)))
		eff := float64(a)
		if float64(len(seen)) < expected/2 {
			eff = float64(len(seen))
		}
		st.Bits += math.Log2(eff)
	}
	for i := 1; i < len(codes); i++ {
		a, b := alnumOnly(codes[i-1]), alnumOnly(codes[i])
		if len(a) == len(b) && len(a) > 2 && a != b && a[:len(a)-2] == b[:len(b)-2] {
			st.Sequential++
		}
	}
	if st.Sequential < max(3, (len(codes)-1)/4) {
		st.Sequential = 0
	}
	return st
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func alnumOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if isAlnum(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sortedRunes(set map[rune]bool) string {
	var rs []rune
	for r := range set {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return string(rs)
}

// confusable names the groups of easily confused characters (RFC 8628
// §6.1: "like "0" and "O" or "1", "l" and "I"") of which the alphabet holds
// two or more.
func confusable(set map[rune]bool) string {
	var out []string
	for _, group := range []string{"0O", "1lI"} {
		var in []rune
		for _, r := range group {
			if set[r] {
				in = append(in, r)
			}
		}
		if len(in) >= 2 {
			out = append(out, string(in))
		}
	}
	return strings.Join(out, ", ")
}

// RFC 8628 §5.1: "It is therefore recommended that the server rate-limit
// user code attempts." Run last (SpecPriority, Serial): a server that
// limits per user, as it should, refuses that user's codes for a while.
var _ = check.It("DEVICE-USER-CODE-RATE-LIMIT", func(c *check.C) {
	// Signing in by approving a real device authorization (that nothing
	// polls) leaves the session on the verification page with no wrong
	// code counted; a denial would need a Deny control.
	d := steps.SignInForDevice(c, target.RoleDevice)
	form := openCodeForm(c, d.VerificationURI)
	c.Note("%d wrong user codes, one after another", wrongCodeAttempts)
	start, rejected := time.Now(), 0
	for i := 1; i <= wrongCodeAttempts; i++ {
		r := form.submit(c, wrongCode(d.UserCode))
		switch form.outcome(r, rejected) {
		case outcomeRejected:
			rejected++
		case outcomeThrottled:
			msg := fmt.Sprintf("wrong user code %d, %s after the first, was answered %s", i, time.Since(start).Round(time.Millisecond), form.describe(r))
			if i <= throttleWithin {
				c.Pass("%s", msg)
			} else {
				c.Warn("RFC 8628 §5.1", "%s: the first %d wrong codes went through unthrottled", msg, i-1)
			}
			return
		case outcomeOther:
			if i == 1 {
				c.Skipf("the verification form could not be replayed over HTTP with the browser's cookies: the first wrong code got %s", form.describe(r))
			}
			c.Info("wrong user code %d got %s", i, form.describe(r))
		}
	}
	c.Warn("RFC 8628 §5.1", "%d wrong user codes in %s were each answered as an ordinary mistake: user code attempts are not rate-limited",
		wrongCodeAttempts, time.Since(start).Round(time.Millisecond))
}, ginkgo.SpecPriority(-1), ginkgo.Serial, check.Control("device-no-rate-limit", check.Warn),
	check.Quirk("consent-no-deny", check.Pass),
	check.Quirk("lockout-403", check.Pass), check.Alone, check.Last)

const (
	// wrongCodeAttempts is how many wrong codes DEVICE-USER-CODE-RATE-LIMIT
	// enters; throttleWithin how soon the limit must show to PASS.
	wrongCodeAttempts = 20
	throttleWithin    = 10
)

// RFC 8628 §6.1: "the server should strip dashes and other punctuation
// that it added for readability (making the inclusion of such punctuation
// by the user optional). For codes using only characters in the A-Z range
// [...], the input should be uppercased before a comparison to also make
// the case of the input optional." The "should" is lower case: advice for
// usability, not a requirement of BCP 14, so a refusal is an observation
// (INFO), as the catalogue grades it.
var _ = check.It("DEVICE-USER-CODE-NORMALISATION", func(c *check.C) {
	d := steps.StartDevice(c, target.RoleDevice)
	typed := strings.ToLower(alnumOnly(d.UserCode))
	if typed == d.UserCode {
		c.Info("the user code %s has no upper-case letters and no punctuation, so there is nothing to normalise", d.UserCode)
		return
	}
	p := steps.NewPoller(c, d)
	c.Note("enter the user code %s as %q", d.UserCode, typed)
	n := len(c.Session().Steps())
	err := steps.VerifyDevice(c, d.VerificationURI, typed, false)
	refused := steps.CodeRefused(err, c.Session().Steps()[n:])
	switch {
	case err == nil:
		approvedTokens(c, p, fmt.Sprintf("the device_code whose user code was typed as %q and approved", typed))
		c.Pass("the user code %s typed as %q was accepted, and the device got its tokens", d.UserCode, typed)
	case refused:
		// The device has the last word: a page the harness took for a
		// refusal may still have taken the code.
		c.Note("poll once: did the typed code reach an approval after all?")
		if t := p.Next(c); t != nil && t.Issued() {
			c.Pass("the user code %s typed as %q was accepted: the device got its tokens (the browser step ended with: %v)", d.UserCode, typed, err)
			return
		}
		c.Screenshot(c.Session(), "the normalised user code was refused")
		c.Info("the user code %s typed as %q (lower case, no punctuation) was refused; RFC 8628 §6.1 advises taking it", d.UserCode, typed)
	default:
		c.Fatalf("entering the user code in the browser failed: %v", err)
	}
}, check.Control("device-no-normalisation", check.Info), check.Quirk("throttle-per-client", check.Pass))

// DEVICE-USER-CODE-NORMALISATION has no negative control: its only grade
// for a server that does not normalise is INFO, and a control must FAIL or
// WARN. The weakness device-no-normalisation shows INFO (the device
// suite's test asserts it); it is behaviour RFC 8628 allows.
