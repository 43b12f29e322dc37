// Package reports writes oauthcheck's reports from ginkgo's report types:
// JSON, JUnit, a self-contained HTML page and the console summary. It is
// built in a later step; today `oauthcheck run --json` writes ginkgo's
// JSON report directly.
package reports
