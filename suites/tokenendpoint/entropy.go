package tokenendpoint

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Entropy is an upper-bound estimate of the randomness in a kind of value.
type Entropy struct {
	Bits float64
	How  string
}

// Estimate judges samples of one kind: for a JWT, its jti; otherwise the
// characters that vary between samples, each worth log2 of the alphabet
// the samples use. A shared prefix or suffix counts nothing, so counters
// and fixed parts do not inflate the estimate.
func Estimate(samples []string) Entropy {
	if jtis := jwtIDs(samples); jtis != nil {
		e := Estimate(jtis)
		e.How = "JWTs, judged by their jti: " + e.How
		return e
	}
	prefix, suffix := common(samples, false), common(samples, true)
	for _, s := range samples {
		if prefix+suffix > len(s) {
			suffix = 0
			prefix = min(prefix, len(s))
		}
	}
	alphabet := map[rune]bool{}
	minLen := math.MaxInt
	for _, s := range samples {
		core := s[prefix : len(s)-suffix]
		for _, r := range core {
			alphabet[r] = true
		}
		minLen = min(minLen, len([]rune(core)))
	}
	size := classSize(alphabet)
	bits := float64(minLen) * math.Log2(float64(size))
	if dup := duplicates(samples); dup > 0 {
		return Entropy{Bits: 0, How: fmt.Sprintf("%d repeated values", dup)}
	}
	return Entropy{Bits: bits, How: fmt.Sprintf("%d varying characters from an alphabet of %d", minLen, size)}
}

// classSize widens the observed characters to the character classes they
// belong to: hex, digits, base64url and so on.
func classSize(seen map[rune]bool) int {
	lower, upper, digit, other := false, false, false, 0
	hexOnly := true
	for r := range seen {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
			hexOnly = hexOnly && r <= 'f'
		case r >= 'A' && r <= 'Z':
			upper = true
			hexOnly = false
		case r >= '0' && r <= '9':
			digit = true
		default:
			other++
			hexOnly = false
		}
	}
	switch {
	case hexOnly && lower && digit:
		return 16
	case digit && !lower && !upper && other == 0:
		return 10
	}
	n := other
	if lower {
		n += 26
	}
	if upper {
		n += 26
	}
	if digit {
		n += 10
	}
	return max(n, 2)
}

func common(samples []string, fromEnd bool) int {
	if len(samples) < 2 {
		return 0
	}
	n := 0
	for {
		var c byte
		for i, s := range samples {
			if n >= len(s) {
				return n
			}
			b := s[n]
			if fromEnd {
				b = s[len(s)-1-n]
			}
			if i == 0 {
				c = b
			} else if b != c {
				return n
			}
		}
		n++
	}
}

func duplicates(samples []string) int {
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
