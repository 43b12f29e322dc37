package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// Load reads ginkgo JSON reports (the files `oauthcheck run --json` and
// `ginkgo --json-report` write: a JSON array of reports) and returns all
// their reports, in the order of the files. An error names the file.
func Load(paths ...string) ([]types.Report, error) {
	if len(paths) == 0 {
		return nil, errors.New("reports: load: no report files given")
	}
	var out []types.Report
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reports: load: %w", err)
		}
		reps, err := decodeReports(raw)
		if err != nil {
			return nil, fmt.Errorf("reports: load %s: %w", p, err)
		}
		out = append(out, reps...)
	}
	return out, nil
}

// decodeReports reads a ginkgo JSON report: an array of reports, or a
// single report object.
func decodeReports(raw []byte) ([]types.Report, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, errors.New("the file is empty, not a ginkgo JSON report")
	}
	var reps []types.Report
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(trimmed, &reps); err != nil {
			return nil, fmt.Errorf("not a ginkgo JSON report: %w", err)
		}
	case '{':
		var r types.Report
		if err := json.Unmarshal(trimmed, &r); err != nil {
			return nil, fmt.Errorf("not a ginkgo JSON report: %w", err)
		}
		reps = []types.Report{r}
	default:
		return nil, errors.New("not a ginkgo JSON report: it does not start with [ or {")
	}
	for i, r := range reps {
		if r.SuiteDescription == "" && r.StartTime.IsZero() && len(r.SpecReports) == 0 {
			return nil, fmt.Errorf("report %d has no suite description, start time or specs: not a ginkgo JSON report", i)
		}
	}
	return reps, nil
}

// Merge joins reports into one, for `report merge` of sharded runs and
// for the per-flow reports of one run: the spec reports of every input, in
// order; SuiteSucceeded only if all succeeded; the earliest start and the
// latest end; the special failure reasons of all, once each.
//
// Each flow's process lists every spec of the binary, most of them left
// out by its label filter; Merge drops those (specs that never ran and
// that their own report's filter does not select), so that a check appears
// once per process that ran it, and a check that a failed input selected
// but never started still shows in [Results]. The merged label filter
// selects what any input selected. Merge does not touch any file (unlike
// ginkgo's reporters.MergeAndCleanup*, which deletes its inputs) and does
// not change its arguments.
func Merge(reports ...types.Report) types.Report {
	if len(reports) == 0 {
		return types.Report{SuiteSucceeded: true}
	}
	out := reports[0]
	out.SpecReports = selected(reports[0])
	out.SpecialSuiteFailureReasons = append([]string(nil), reports[0].SpecialSuiteFailureReasons...)
	descs := []string{reports[0].SuiteDescription}
	filters := []string{reports[0].SuiteConfig.LabelFilter}
	for _, r := range reports[1:] {
		if out.StartTime.IsZero() {
			out.StartTime = r.StartTime
		}
		if r.StartTime.IsZero() {
			r.StartTime = out.StartTime
		}
		r.SpecReports = selected(r)
		out = out.Add(r)
		out.PreRunStats.TotalSpecs += r.PreRunStats.TotalSpecs
		out.PreRunStats.SpecsThatWillRun += r.PreRunStats.SpecsThatWillRun
		out.SuiteHasProgrammaticFocus = out.SuiteHasProgrammaticFocus || r.SuiteHasProgrammaticFocus
		descs = append(descs, r.SuiteDescription)
		filters = append(filters, r.SuiteConfig.LabelFilter)
	}
	out.SuiteDescription = strings.Join(unique(nonEmpty(descs)), " + ")
	out.SuiteConfig.LabelFilter = anyOf(filters)
	if len(out.SpecialSuiteFailureReasons) == 0 {
		out.SpecialSuiteFailureReasons = nil
	}
	return out
}

// anyOf is a label filter that matches what any of the filters matches;
// an empty filter matches everything.
func anyOf(filters []string) string {
	filters = unique(filters)
	for _, f := range filters {
		if strings.TrimSpace(f) == "" {
			return ""
		}
	}
	if len(filters) == 1 {
		return filters[0]
	}
	parts := make([]string, len(filters))
	for i, f := range filters {
		parts[i] = "(" + f + ")"
	}
	return strings.Join(parts, " || ")
}

func unique(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// selected returns a copy of the report's spec reports without those its
// label filter left out.
func selected(r types.Report) types.SpecReports {
	filter, err := types.ParseLabelFilter(r.SuiteConfig.LabelFilter)
	out := make(types.SpecReports, 0, len(r.SpecReports))
	for _, s := range r.SpecReports {
		if err == nil && neverRan(s) && !filter(s.Labels()) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// neverRan tells a spec that was skipped before it started: left out by a
// filter, or never reached because its suite ended early.
func neverRan(s types.SpecReport) bool {
	return s.State.Is(types.SpecStateSkipped) && s.NumAttempts == 0 && s.Failure.IsZero() && len(s.ReportEntries) == 0
}
