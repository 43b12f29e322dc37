package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/reports"
)

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with the reports of earlier runs",
	}
	var out reportOutputs
	var expect, failOn string
	var strict bool
	merge := &cobra.Command{
		Use:   "merge A.json B.json...",
		Short: "Merge the JSON reports of runs sharded across CI jobs",
		Long: `Merge the JSON reports (oauthcheck run --json) of runs sharded across CI jobs into one,
and write it as JSON, JUnit and HTML, with the console summary. The input files are kept.
Exit code 1 when the merged run failed.`,
		Example: "  oauthcheck report merge authcode.json device.json --junit junit.xml --html report.html",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reps, err := reports.Load(args...)
			if err != nil {
				return usageError{err}
			}
			fo, err := reports.ParseFailOn(failOn)
			if err != nil {
				return usageError{err}
			}
			var ex *reports.Expect
			if expect != "" {
				if ex, err = reports.LoadExpect(expect); err != nil {
					return usagef("report merge: --expect %s: %v", expect, err)
				}
			}
			merged := reports.Merge(reps...)
			meta := reports.MetaOf(merged)
			meta.FailOn, meta.StrictExpect = fo, strict
			if meta.Version == "" {
				meta.Version = versionString()
			}
			if err := writeReports(merged, meta, ex, out, cmd.OutOrStdout()); err != nil {
				return err
			}
			if !out.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "oauthcheck: merged %d reports\n", len(args))
			}
			return nil
		},
	}
	fl := merge.Flags()
	fl.StringVar(&out.json, "json", "", "write the merged JSON report to `FILE`")
	fl.StringVar(&out.junit, "junit", "", "write a JUnit XML report to `FILE`")
	fl.StringVar(&out.html, "html", "", "write a self-contained HTML report to `FILE`")
	fl.BoolVar(&out.quiet, "quiet", false, "print only the counts")
	fl.StringVar(&expect, "expect", "", "YAML `FILE` of expected deviations")
	fl.BoolVar(&strict, "strict-expect", false, "fail when an expected deviation did not happen")
	fl.StringVar(&failOn, "fail-on", "must", "must or should")
	cmd.AddCommand(merge)
	return cmd
}
