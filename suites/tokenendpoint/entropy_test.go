package tokenendpoint

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func uuidV4String() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func jwtWith(jti string) string {
	claims, _ := json.Marshal(map[string]any{"iss": "https://as.example", "sub": "alice", "jti": jti, "exp": 1900000000})
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"at+jwt"}`)) + "." + enc(claims) + "." + enc(randomBytes(256))
}

func jwtNoJTI() string {
	claims, _ := json.Marshal(map[string]any{"iss": "https://as.example", "sub": "alice", "exp": 1900000000})
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(claims) + "." + enc(randomBytes(256))
}

// distinctDigits draws 6-digit codes with no repeat within a sample of
// MinSamples: 20 draws of a million values repeat once in about 5,000
// samples, and a repeat rightly estimates 0 bits (TestEstimateRepeats).
func distinctDigits() func(i int) string {
	var seen map[string]bool
	return func(i int) string {
		if i == 0 {
			seen = map[string]bool{}
		}
		for {
			v := fmt.Sprintf("%06d", mrand.IntN(1000000))
			if !seen[v] {
				seen[v] = true
				return v
			}
		}
	}
}

func sample(n int, gen func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = gen(i)
	}
	return out
}

// The estimator reads the values themselves: what they are built from
// decides, never the character class of every position alone.
func TestEstimate(t *testing.T) {
	b64 := func(n int) func(int) string {
		return func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }
	}
	tests := []struct {
		name     string
		gen      func(i int) string
		min, max float64
		reason   string
	}{
		{"UUIDv4", func(int) string { return uuidV4String() }, 122, 122, "a UUIDv4 carries 122 random bits"},
		{"base64url of 32 bytes", b64(32), 250, 258.5, "256 bits; the last character carries 4, and may show as many values as a full one"},
		{"base64url of 24 bytes", b64(24), 185, 192.5, "192 bits"},
		{"base64url of 16 bytes", b64(16), 127.5, 128.5, "128 bits: 21 characters of 6 bits and one of 2"},
		{"hex of 16 bytes", func(int) string { return hex.EncodeToString(randomBytes(16)) }, 128, 128, "32 hex digits"},
		{"hex after a fixed prefix", func(int) string { return "at_" + hex.EncodeToString(randomBytes(20)) }, 160, 160, "the prefix counts nothing"},
		{"6-digit codes", distinctDigits(), 18, 20, "six digits, about 19.9 bits"},
		{"counter with a fixed prefix", func(i int) string { return fmt.Sprintf("tok_%08d", 73120+i) }, 0, 8, "only the last digits move"},
		{"counter of growing length", func(i int) string { return fmt.Sprintf("rt-%d", 95+i) }, 0, 8, "aligned right, the fixed prefix and slow digits count nothing"},
		{"short base64url (the weak-tokens refresh token)", b64(6), 40, 48.5, "6 random bytes"},
		{"JWTs with a jti of 24 random bytes", func(int) string { return jwtWith(base64.RawURLEncoding.EncodeToString(randomBytes(24))) }, 185, 192.5, "judged by the jti"},
		{"JWTs with a UUIDv4 jti", func(int) string { return jwtWith(uuidV4String()) }, 122, 122, "judged by the jti"},
		{"JWTs with a counter jti", func(i int) string { return jwtWith(fmt.Sprint(100 + i)) }, 0, 8, "a signature does not make a counter jti random"},
		{"JWTs without a jti", func(int) string { return jwtNoJTI() }, 160, math.Inf(1), "judged whole: the signature varies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Many trials: the estimate must hold for any draw, not a lucky one.
			lo, hi := math.Inf(1), math.Inf(-1)
			for trial := 0; trial < 1000; trial++ {
				e := Estimate(sample(MinSamples, tt.gen))
				lo, hi = min(lo, e.Bits), max(hi, e.Bits)
				if e.Bits < tt.min || e.Bits > tt.max {
					t.Fatalf("Estimate = %.1f bits (%s), want %.1f to %.1f: %s", e.Bits, e.How, tt.min, tt.max, tt.reason)
				}
			}
			t.Logf("%.1f to %.1f bits over 1000 trials", lo, hi)
		})
	}
}

func TestEstimateRepeats(t *testing.T) {
	vals := sample(MinSamples, func(int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) })
	vals[7] = vals[3]
	e := Estimate(vals)
	if e.Bits != 0 || !strings.Contains(e.How, "repeat") {
		t.Errorf("Estimate with a repeated value = %.1f bits (%s), want 0: a repeat is a collision", e.Bits, e.How)
	}
	jtis := sample(MinSamples, func(i int) string { return jwtWith(fmt.Sprint("jti-", i%10)) })
	if e := Estimate(jtis); e.Bits != 0 {
		t.Errorf("JWTs whose jti repeats: %.1f bits (%s), want 0", e.Bits, e.How)
	}
}

func TestGrade(t *testing.T) {
	tests := []struct {
		bits float64
		want string
	}{
		{0, "FAIL"}, {122, "FAIL"}, {127.4, "FAIL"}, {127.6, "WARN"}, {128, "WARN"}, {159.4, "WARN"}, {159.6, "PASS"}, {256, "PASS"},
	}
	for _, tt := range tests {
		if got := string(grade(tt.bits)); got != tt.want {
			t.Errorf("grade(%.1f) = %s, want %s", tt.bits, got, tt.want)
		}
	}
}

// A JWS with a signature, and an alg other than none, is a signed JWT;
// an unsecured JWT or an opaque value is not.
func TestSignedJWTs(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	body := enc([]byte(`{"jti":"1"}`))
	tests := []struct {
		name string
		v    string
		want bool
	}{
		{"RS256", jwtWith(uuidV4String()), true},
		{"alg none", enc([]byte(`{"alg":"none"}`)) + "." + body + ".", false},
		{"no signature", enc([]byte(`{"alg":"RS256"}`)) + "." + body + ".", false},
		{"opaque", base64.RawURLEncoding.EncodeToString(randomBytes(32)), false},
	}
	for _, tt := range tests {
		if got := signedJWTs(sample(3, func(int) string { return tt.v })); got != tt.want {
			t.Errorf("%s: signedJWTs = %v, want %v", tt.name, got, tt.want)
		}
	}
}
