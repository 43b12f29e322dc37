package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reports"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

func newVendorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vendor",
		Short: "Run the checks against the vendor servers of testdata/vendors",
	}
	var out string
	var parallel int
	var quiet bool
	run := &cobra.Command{
		Use:   "run [DIR...]",
		Short: "Start each vendor server that can run here, run the checks, write its reports",
		Long: `Start each vendor server (default: every folder of testdata/vendors) that can run on this
machine, run every check against it with its config and expected deviations, and write its
JUnit, HTML and JSON reports under --out/NAME. A vendor that cannot start here is reported
and skipped. The expected deviations are held strictly: one that did not happen (and is not
marked intermittent) fails the run, so that a change of verdict shows. Exit code 1 when any
vendor's run failed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := stopContext(cmd.Context())
			defer stop()
			if len(args) == 0 {
				dirs, _ := filepath.Glob(filepath.Join("testdata", "vendors", "*", "vendor.yaml"))
				for _, d := range dirs {
					args = append(args, filepath.Dir(d))
				}
			}
			if len(args) == 0 {
				return usagef("vendor run: no vendor folders (testdata/vendors/*/vendor.yaml); run from the repository root or name them")
			}
			failed := false
			for _, dir := range args {
				err := runVendor(ctx, dir, out, parallel, quiet, cmd.OutOrStdout(), cmd.ErrOrStderr())
				var code exitCode
				switch {
				case errors.As(err, &code):
					failed = true
				case err != nil:
					return err
				}
			}
			if failed {
				return exitCode(exitFailed)
			}
			return nil
		},
	}
	run.Flags().StringVar(&out, "out", filepath.Join("out", "vendors"), "folder for the reports, one subfolder per vendor")
	run.Flags().IntVar(&parallel, "parallel", 0, "flows to run at once (default: all)")
	run.Flags().BoolVar(&quiet, "quiet", false, "print no progress")
	var readme string
	table := &cobra.Command{
		Use:   "table",
		Short: "Print, or write into the README, the table of the vendors' results by flow",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := vendorTable(out)
			if err != nil {
				return err
			}
			if readme == "" {
				_, err := io.WriteString(cmd.OutOrStdout(), t)
				return err
			}
			return replaceBetween(readme, "<!-- vendors:begin -->", "<!-- vendors:end -->", t)
		},
	}
	table.Flags().StringVar(&out, "out", filepath.Join("out", "vendors"), "folder of the vendors' reports")
	table.Flags().StringVar(&readme, "readme", "", "write the table into this file, between <!-- vendors:begin --> and <!-- vendors:end -->")
	cmd.AddCommand(run, table)
	return cmd
}

// runVendor starts one vendor, runs the checks and stops it.
func runVendor(ctx context.Context, dir, out string, parallel int, quiet bool, stdout, stderr io.Writer) error {
	v, err := target.LoadVendor(dir)
	if err != nil {
		return usageError{err}
	}
	if why := v.Missing(); why != "" {
		fmt.Fprintf(stderr, "oauthcheck: vendor %s skipped: %s\n", v.Name, why)
		return nil
	}
	dest := filepath.Join(out, v.Name)
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return fmt.Errorf("vendor %s: %w", v.Name, err)
	}
	logf, err := os.Create(filepath.Join(dest, "server.log"))
	if err != nil {
		return fmt.Errorf("vendor %s: %w", v.Name, err)
	}
	defer logf.Close()
	fmt.Fprintf(stderr, "oauthcheck: starting vendor %s %s (log: %s)\n", v.Name, v.Version, logf.Name())
	stop, err := v.Launch(ctx, logf)
	if err != nil {
		return fmt.Errorf("vendor %s: %w (see %s)", v.Name, err, logf.Name())
	}
	defer stop()
	fmt.Fprintf(stdout, "== %s %s at %s\n", v.Name, v.Version, v.Issuer)
	f := runFlags{
		target: v.Issuer, config: v.Path(v.Config), expect: v.Path(v.Expect), strictExpect: true, failOn: "must",
		jsonOut: filepath.Join(dest, "report.json"), junitOut: filepath.Join(dest, "junit.xml"),
		htmlOut: filepath.Join(dest, "report.html"), timeout: 15 * time.Minute, parallel: parallel, quiet: quiet,
	}
	return runChecks(ctx, f, stdout, stderr)
}

// vendorTable renders the results of every vendor under out as a Markdown
// table: one row per vendor and flow, with the counts by verdict.
func vendorTable(out string) (string, error) {
	paths, _ := filepath.Glob(filepath.Join(out, "*", "report.json"))
	sort.Strings(paths)
	if len(paths) == 0 {
		return "", usagef("vendor table: no reports under %s; run 'oauthcheck vendor run' first", out)
	}
	var b bytes.Buffer
	b.WriteString("| vendor | flow |")
	for _, v := range catalogue.Verdicts {
		b.WriteString(" " + string(v) + " |")
	}
	b.WriteString(" expected | wall | measured |\n|---|---|" + strings.Repeat("---|", len(catalogue.Verdicts)+3) + "\n")
	for _, p := range paths {
		reps, err := reports.Load(p)
		if err != nil {
			return "", err
		}
		name := filepath.Base(filepath.Dir(p))
		if v, err := target.LoadVendor(filepath.Join("testdata", "vendors", name)); err == nil && v.Version != "" {
			name += " " + v.Version
		}
		merged := reports.Merge(reps...)
		meta := reports.MetaOf(merged)
		results := reports.Results(merged)
		wall, measured := meta.Duration.Round(time.Second).String(), meta.Start.UTC().Format("2006-01-02")
		if meta.Version != "" {
			measured += ", oauthcheck " + meta.Version
		}
		if v, err := target.LoadVendor(filepath.Join("testdata", "vendors", filepath.Base(filepath.Dir(p)))); err == nil && v.Expect != "" {
			if ex, err := reports.LoadExpect(v.Path(v.Expect)); err == nil {
				results = reports.Apply(results, ex).Results
			}
		}
		for _, flow := range catalogue.Flows {
			n := map[catalogue.Verdict]int{}
			expected, any := 0, false
			for _, r := range results {
				if r.Flow != string(flow) {
					continue
				}
				any = true
				n[r.Verdict]++
				if r.Expected {
					expected++
				}
			}
			if any {
				fmt.Fprintf(&b, "| %s | %s |", name, flow)
				for _, v := range catalogue.Verdicts {
					fmt.Fprintf(&b, " %d |", n[v])
				}
				fmt.Fprintf(&b, " %d | %s | %s |\n", expected, wall, measured)
				wall, measured = "", "" // once per vendor
			}
		}
	}
	b.WriteString("\nGenerated by `make vendors` (`oauthcheck vendor table`); do not edit by hand. \"expected\" counts the verdicts that the vendor's expect file records as known deviations; \"wall\" is the whole run's time against the vendor, \"measured\" the day and the oauthcheck version.\n")
	return b.String(), nil
}

// replaceBetween rewrites the part of a file between two marker lines.
func replaceBetween(path, begin, end, content string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("vendor table: %w", err)
	}
	s := string(raw)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return usagef("vendor table: %s has no %s ... %s markers", path, begin, end)
	}
	s = s[:i+len(begin)] + "\n" + content + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
