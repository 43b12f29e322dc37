// Package reports turns ginkgo's report of an oauthcheck run into what CI
// pipelines and reviewers read: one [Result] per check, with its verdict,
// findings and evidence ([Results]); expected vendor deviations
// ([LoadExpect], [Apply], [Failed]); JUnit XML ([WriteJUnit]); one
// self-contained HTML page ([WriteHTML]); and the console summary
// ([WriteSummary]).
//
// It reads ginkgo's report types ([github.com/onsi/ginkgo/v2/types.Report],
// from [Load] or in-process) and the check catalogue, and nothing that talks
// to a target. The reports of several processes or CI shards become one
// with [Merge].
//
// The JSON report is ginkgo's own: each check's spec carries the entries
// that package check attaches (oauthcheck.verdict, oauthcheck.exchanges,
// oauthcheck.browser, oauthcheck.screenshot), already redacted.
package reports
