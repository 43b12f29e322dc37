package reports

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeReports: the report merge reads files from other jobs. Whatever
// they hold, decoding never panics, and what decodes can be merged and
// read into results without a panic either.
func FuzzDecodeReports(f *testing.F) {
	for _, name := range []string{"suite.json", "shard.json", "weakened.json"} {
		if raw, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte(`[{"SuiteDescription":"x","SpecReports":[{"LeafNodeType":"It","State":"failed","ReportEntries":[{"Name":"oauthcheck.verdict","Value":{"AsJSON":"{\"id\":\"X\",\"verdict\":\"FAIL\"}"}}]}]}]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		reps, err := decodeReports(raw)
		if err != nil {
			return
		}
		m := Merge(reps...)
		_ = Results(m)
		_ = MetaOf(m)
	})
}

// FuzzParseExpect: an expectations file never panics the parser, and a
// file that parses names only known checks and expectable verdicts.
func FuzzParseExpect(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "expect.yaml")); err == nil {
		f.Add(raw)
	}
	f.Add([]byte("- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: r}\n"))
	f.Add([]byte("- id: X\n  verdict: PASS\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseExpect(raw, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, x := range e.Entries {
			if x.ID == "" || x.Reason == "" {
				t.Fatalf("an expectation without an ID or a reason was accepted: %+v", x)
			}
		}
	})
}
