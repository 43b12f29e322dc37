package reports_test

import (
	"fmt"
	"log"
	"os"

	"github.com/oauthcheck/oauthcheck/reports"
)

// A run's JSON report, read back: the results, the console summary and the
// exit decision.
func Example() {
	reps, err := reports.Load("testdata/shard.json")
	if err != nil {
		log.Fatal(err)
	}
	report := reports.Merge(reps...)
	results := reports.Results(report)
	meta := reports.MetaOf(report)
	if err := reports.WriteSummary(os.Stdout, results, meta, reports.ConsoleOptions{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("fails under --fail-on must:", reports.Failed(results, reports.FailOnMust, false))
	fmt.Println("fails under --fail-on should:", reports.Failed(results, reports.FailOnShould, false))
	// Output:
	// VERDICT  ID                   FINDING
	// WARN     REVOKE-ACCESS-TOKEN  RFC 7009 §2: revoking the access token answered 200, but it is still active
	//
	// 6 checks: 5 PASS, 0 FAIL, 0 ERROR, 1 WARN, 0 INFO, 0 SKIP (23.361s)
	// fails under --fail-on must: false
	// fails under --fail-on should: true
}

// Expected deviations keep a vendor's known failures from failing the run,
// and report the ones that stopped happening.
func ExampleApply() {
	reps, err := reports.Load("testdata/weakened.json")
	if err != nil {
		log.Fatal(err)
	}
	ex, err := reports.ParseExpect([]byte(`
- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: "vendor X reuses codes within 5 s, see its docs"}
- {id: AUTHCODE-CONCURRENT-REDEEM, verdict: FAIL, reason: "same cause as AUTHCODE-CODE-REUSE"}
- {id: REFRESH-ROTATION, verdict: FAIL, reason: "rotation is off for this tenant"}
- {id: AUTHCODE-STATE-ECHO, verdict: FAIL, reason: "truncated state, fixed in 2.3"}
`), "expect.yaml")
	if err != nil {
		log.Fatal(err)
	}
	out := reports.Apply(reports.Results(reports.Merge(reps...)), ex)
	for _, s := range out.Stale {
		fmt.Println("stale:", s)
	}
	fmt.Println("fails:", reports.Failed(out.Results, reports.FailOnMust, false))
	fmt.Println("fails with --strict-expect:", reports.Failed(out.Results, reports.FailOnMust, true))
	// Output:
	// stale: AUTHCODE-STATE-ECHO: expected FAIL, got PASS (truncated state, fixed in 2.3)
	// fails: false
	// fails with --strict-expect: true
}

// The reports `oauthcheck run --junit J --html H` and `oauthcheck report
// merge A.json B.json --junit J --html H` write.
func ExampleWriteJUnit() {
	reps, err := reports.Load("testdata/weakened.json", "testdata/shard.json")
	if err != nil {
		log.Fatal(err)
	}
	report := reports.Merge(reps...)
	meta := reports.MetaOf(report)
	meta.FailOn = reports.FailOnMust
	results := reports.Results(report)
	dir, err := os.MkdirTemp("", "oauthcheck-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, write := range map[string]func(*os.File) error{
		"junit.xml":   func(f *os.File) error { return reports.WriteJUnit(f, results, meta) },
		"report.html": func(f *os.File) error { return reports.WriteHTML(f, results, meta) },
	} {
		f, err := os.Create(dir + "/" + name)
		if err != nil {
			log.Fatal(err)
		}
		if err := write(f); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(reports.Count(results))
	// Output:
	// 14 checks: 7 PASS, 3 FAIL, 0 ERROR, 2 WARN, 0 INFO, 2 SKIP
}
