package device

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// draw returns n codes of length characters from alphabet, with a dash
// in the middle.
func draw(r *rand.Rand, n int, alphabet string, length int) []string {
	var out []string
	for range n {
		var b strings.Builder
		for i := range length {
			if i == length/2 {
				b.WriteByte('-')
			}
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		out = append(out, b.String())
	}
	return out
}

func TestAnalyseCodes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sequential := make([]string, 50)
	for i := range sequential {
		sequential[i] = fmt.Sprintf("BCDF-GH%02d", i)
	}
	tests := []struct {
		name         string
		codes        []string
		wantLength   int
		wantBits     float64 // ±0.5
		wantUnique   int
		wantSeq      bool
		wantConfused string
		reason       string
	}{
		{"RFC 8628 example", draw(r, 50, "BCDFGHJKLMNPQRSTVWXZ", 8), 8, 34.6, 50, false, "", "§5.1: 8 of 20 letters, 34.5 bits; the dash is no entropy"},
		{"six digits", draw(r, 50, "0123456789", 6), 6, 19.9, 50, false, "", "the device-weak-user-code weakness"},
		{"constant prefix", func() []string {
			var out []string
			for _, c := range draw(r, 50, "BCDFGHJKLMNPQRSTVWXZ", 4) {
				out = append(out, "TV"+c)
			}
			return out
		}(), 4, 17.3, 50, false, "", "a fixed prefix adds nothing"},
		{"sequential", sequential, 2, 0, 50, true, "", "each code differs from the one before in its last two characters"},
		{"confusable", draw(r, 50, "0O1lIABCDEFGHJKMNPQRSTUVWXYZ", 8), 8, 8 * math.Log2(28), 50, false, "0O, 1lI", "§6.1 names 0/O and 1/l/I"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := analyseCodes(tt.codes)
			got := []any{st.Length, st.Unique, st.Sequential > 0, st.Confusable}
			want := []any{tt.wantLength, tt.wantUnique, tt.wantSeq, tt.wantConfused}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("length, unique, sequential, confusable mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
			if !tt.wantSeq && math.Abs(st.Bits-tt.wantBits) > 0.5 {
				t.Errorf("bits: got %.1f; want %.1f (%s)", st.Bits, tt.wantBits, tt.reason)
			}
		})
	}
}

func TestAnalyseCodesRepeats(t *testing.T) {
	codes := []string{"BCDF-GHJK", "LMNP-QRST", "BCDF-GHJK"}
	if st := analyseCodes(codes); st.Unique != 2 || st.N != 3 {
		t.Errorf("unique %d of %d; want 2 of 3", st.Unique, st.N)
	}
}

func TestWrongCode(t *testing.T) {
	for _, real := range []string{"BCDF-GHJK", "123-456", "abcd efgh", "X1-y2"} {
		got := wrongCode(real)
		shape := func(s string) string {
			return strings.Map(func(r rune) rune {
				switch {
				case r >= '0' && r <= '9':
					return '9'
				case r >= 'a' && r <= 'z':
					return 'a'
				case r >= 'A' && r <= 'Z':
					return 'A'
				}
				return r
			}, s)
		}
		if shape(got) != shape(real) || got == real {
			t.Errorf("wrongCode(%q) = %q; want another code of the same shape", real, got)
		}
	}
}

func TestHiddenInputs(t *testing.T) {
	page := `<form><input type="hidden" name="csrf" value="a&amp;b"><INPUT name='state' type='hidden' value='x'>
<input id="user_code" name="user_code" value=""><input type=hidden name=plain value=v></form>`
	want := map[string]string{"csrf": "a&b", "state": "x", "plain": "v"}
	if diff := cmp.Diff(want, hiddenInputs([]byte(page))); diff != "" {
		t.Errorf("hidden inputs mismatch (-want +got):\n%s", diff)
	}
}
