package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/reports"
)

type benchFlags struct {
	runs       int
	out        string
	readme     string
	browserBin string
	soak       bool
	args       []string
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [-- RUN FLAGS]",
		Short: "Measure full runs against the reference: time, CPU, memory, waits",
		Long: `Run every check against the bundled reference server several times, each run in a
process of its own, and report the median and spread of its wall time, its CPU time (the
whole process tree: oauthcheck, its flows and Chromium) and its peak memory (PSS of the
tree, from /proc/PID/smaps_rollup); the wait floor (the longest chain of waits that the
protocol forced on one flow's critical path, from the checks' own account of their waits:
the longest of its checks that run side by side, plus those that run by themselves or last);
and the browser's
work per run: documents loaded, actions of the person and redirects followed.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.args = args
			return bench(cmd.Context(), f, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.runs, "runs", 5, "runs to measure")
	fl.StringVar(&f.out, "out", "out/bench.json", "write the figures to `FILE` as JSON")
	fl.StringVar(&f.readme, "readme", "", "rewrite the bench block of this README with the figures")
	fl.StringVar(&f.browserBin, "browser", "", "Chromium binary (default: found on the system)")
	fl.BoolVar(&f.soak, "soak", false, "exit 1 when any run gave a verdict other than PASS or SKIP (make soak)")
	return cmd
}

// benchRun is one measured run.
type benchRun struct {
	Wall      time.Duration `json:"wall_ns"`
	CPU       time.Duration `json:"cpu_ns"`
	PeakPSS   int64         `json:"peak_pss_bytes"`
	WaitFloor time.Duration `json:"wait_floor_ns"`
	FloorFlow string        `json:"wait_floor_flow"`
	Documents int           `json:"documents"`
	Actions   int           `json:"actions"`
	Redirects int           `json:"redirects"`
	// Direct counts the authorizations that went over plain HTTP, with
	// no page to act on; their redirects are not the browser's.
	Direct    int      `json:"direct_authorizations"`
	Checks    int      `json:"checks"`
	NotPassed []string `json:"not_passed,omitempty"`
}

// benchFigures is what bench writes.
type benchFigures struct {
	Date    string     `json:"date"`
	Machine string     `json:"machine"`
	Browser string     `json:"browser"`
	Runs    []benchRun `json:"runs"`
	Median  benchRun   `json:"median"`
	Ratio   float64    `json:"wall_over_wait_floor"`
}

func bench(ctx context.Context, f benchFlags, stdout io.Writer) error {
	if f.runs < 1 {
		return usagef("bench: --runs %d: give at least 1", f.runs)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	bin, err := browser.Find(f.browserBin)
	if err != nil {
		return usageError{err}
	}
	dir, err := os.MkdirTemp("", "oauthcheck-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := adoptOrphans(); err != nil {
		fmt.Fprintf(stdout, "the CPU times leave out the browser processes that outlive their parents (adopt them: %v)\n", err)
	}
	fig := benchFigures{Date: time.Now().UTC().Format("2006-01-02"), Machine: machine(), Browser: filepath.Base(bin)}
	for i := 0; i < f.runs; i++ {
		report := filepath.Join(dir, fmt.Sprintf("run-%d.json", i))
		args := append([]string{"run", "--target", "reference", "--quiet", "--browser", bin, "--json", report}, f.args...)
		r, err := measure(ctx, exe, args)
		if err != nil {
			return err
		}
		if err := r.readReport(report); err != nil {
			return err
		}
		fig.Runs = append(fig.Runs, r)
		fmt.Fprintf(stdout, "run %d: %s wall, %s CPU, %d MB peak PSS, wait floor %s (%s), %d documents, %d actions, %d redirects, %d authorizations over HTTP\n",
			i+1, r.Wall.Round(100*time.Millisecond), r.CPU.Round(100*time.Millisecond), r.PeakPSS>>20,
			r.WaitFloor.Round(100*time.Millisecond), r.FloorFlow, r.Documents, r.Actions, r.Redirects, r.Direct)
		if len(r.NotPassed) > 0 {
			fmt.Fprintf(stdout, "       not PASS or SKIP: %s\n", strings.Join(r.NotPassed, ", "))
		}
	}
	fig.Median = medianRun(fig.Runs)
	if fig.Median.WaitFloor > 0 {
		fig.Ratio = float64(fig.Median.Wall) / float64(fig.Median.WaitFloor)
	}
	fmt.Fprintln(stdout, fig.summary())
	if f.out != "" {
		if err := os.MkdirAll(filepath.Dir(f.out), 0o755); err != nil {
			return err
		}
		raw, _ := json.MarshalIndent(fig, "", "  ")
		if err := os.WriteFile(f.out, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if f.readme != "" {
		if err := replaceBetween(f.readme, "<!-- bench:begin -->", "<!-- bench:end -->", fig.markdown()); err != nil {
			return err
		}
	}
	if f.soak {
		var bad []string
		for i, r := range fig.Runs {
			for _, v := range r.NotPassed {
				bad = append(bad, fmt.Sprintf("run %d: %s", i+1, v))
			}
		}
		if len(bad) > 0 {
			fmt.Fprintf(stdout, "verdicts other than PASS or SKIP:\n  %s\n", strings.Join(bad, "\n  "))
			return exitCode(exitFailed)
		}
		fmt.Fprintf(stdout, "every verdict of the %d runs is PASS or SKIP\n", len(fig.Runs))
	}
	return nil
}

// measure runs the command and samples its process tree's memory. Its CPU
// time is that of every process of the tree, the browser's included: the
// bench adopts the processes that outlive their parents (adoptOrphans),
// which Chromium's do when the run closes it, and reaps them after the run.
func measure(ctx context.Context, exe string, args []string) (benchRun, error) {
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cpu0 := childrenCPU()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return benchRun{}, err
	}
	exited, sampled := make(chan struct{}), make(chan struct{})
	var peak int64
	go func() {
		defer close(sampled)
		for {
			if pss, _ := treeUsage(cmd.Process.Pid); pss > peak {
				peak = pss
			}
			select {
			case <-exited:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(exited)
	<-sampled
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || (ee.ExitCode() != exitFailed && ee.ExitCode() != exitError) {
			return benchRun{}, fmt.Errorf("bench: %s: %v", strings.Join(args, " "), err)
		}
	}
	reapOrphans(10 * time.Second)
	r := benchRun{Wall: wall, PeakPSS: peak, CPU: childrenCPU() - cpu0}
	if r.CPU <= 0 {
		r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return r, nil
}

// readReport counts the run's checks, forced waits and browser work.
func (r *benchRun) readReport(path string) error {
	reps, err := reports.Load(path)
	if err != nil {
		return err
	}
	// A flow's checks run side by side, but for those that run by
	// themselves or last: its chain of forced waits is the longest of the
	// others' plus the serial ones'.
	longest, serial := map[string]time.Duration{}, map[string]time.Duration{}
	for _, res := range reports.Results(reports.Merge(reps...)) {
		r.Checks++
		if res.Serial {
			serial[res.Flow] += res.Waited
		} else {
			longest[res.Flow] = max(longest[res.Flow], res.Waited)
		}
		if res.Verdict != "PASS" && res.Verdict != "SKIP" {
			r.NotPassed = append(r.NotPassed, res.ID+" "+string(res.Verdict))
		}
		for _, s := range res.Browser {
			if s.Direct {
				if s.Kind == evidence.StepCallback {
					r.Direct++
				}
				continue
			}
			switch s.Kind {
			case evidence.StepDocument:
				r.Documents++
			case evidence.StepAction:
				r.Actions++
			case evidence.StepRedirect:
				r.Redirects++
			}
		}
	}
	for _, flow := range flowNames() {
		if w := longest[flow] + serial[flow]; w > r.WaitFloor {
			r.WaitFloor, r.FloorFlow = w, flow
		}
	}
	return nil
}

func medianRun(runs []benchRun) benchRun {
	med := func(get func(benchRun) int64) int64 {
		v := make([]int64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	m := benchRun{
		Wall:      time.Duration(med(func(r benchRun) int64 { return int64(r.Wall) })),
		CPU:       time.Duration(med(func(r benchRun) int64 { return int64(r.CPU) })),
		PeakPSS:   med(func(r benchRun) int64 { return r.PeakPSS }),
		WaitFloor: time.Duration(med(func(r benchRun) int64 { return int64(r.WaitFloor) })),
		Documents: int(med(func(r benchRun) int64 { return int64(r.Documents) })),
		Actions:   int(med(func(r benchRun) int64 { return int64(r.Actions) })),
		Redirects: int(med(func(r benchRun) int64 { return int64(r.Redirects) })),
		Direct:    int(med(func(r benchRun) int64 { return int64(r.Direct) })),
		Checks:    int(med(func(r benchRun) int64 { return int64(r.Checks) })),
	}
	m.FloorFlow = runs[0].FloorFlow
	return m
}

func (f benchFigures) spread(get func(benchRun) time.Duration) string {
	lo, hi := get(f.Runs[0]), get(f.Runs[0])
	for _, r := range f.Runs {
		lo, hi = min(lo, get(r)), max(hi, get(r))
	}
	return fmt.Sprintf("%s–%s", lo.Round(100*time.Millisecond), hi.Round(100*time.Millisecond))
}

func (f benchFigures) summary() string {
	m := f.Median
	return fmt.Sprintf("median of %d: %s wall (%s), %s CPU (%s), %d MB peak PSS, wait floor %s (%s), wall/floor %.2f",
		len(f.Runs), m.Wall.Round(100*time.Millisecond), f.spread(func(r benchRun) time.Duration { return r.Wall }),
		m.CPU.Round(100*time.Millisecond), f.spread(func(r benchRun) time.Duration { return r.CPU }),
		m.PeakPSS>>20, m.WaitFloor.Round(100*time.Millisecond), m.FloorFlow, f.Ratio)
}

func (f benchFigures) markdown() string {
	m := f.Median
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `make bench` on %s, %s, with %s: %d full default runs against the reference.\n\n", f.Date, f.Machine, f.Browser, len(f.Runs))
	b.WriteString("| measure | median | spread |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| wall time | %s | %s |\n", m.Wall.Round(100*time.Millisecond), f.spread(func(r benchRun) time.Duration { return r.Wall }))
	fmt.Fprintf(&b, "| CPU time, whole process tree | %s | %s |\n", m.CPU.Round(100*time.Millisecond), f.spread(func(r benchRun) time.Duration { return r.CPU }))
	fmt.Fprintf(&b, "| peak memory, PSS of the tree | %d MB | |\n", m.PeakPSS>>20)
	fmt.Fprintf(&b, "| wait floor (longest forced waits of one flow) | %s (%s) | |\n", m.WaitFloor.Round(100*time.Millisecond), m.FloorFlow)
	fmt.Fprintf(&b, "| wall ÷ wait floor | %.2f | |\n", f.Ratio)
	fmt.Fprintf(&b, "| documents, actions, redirects in the browser | %d, %d, %d | |\n", m.Documents, m.Actions, m.Redirects)
	fmt.Fprintf(&b, "| authorizations over plain HTTP (no page to act on) | %d | |\n", m.Direct)
	return b.String()
}

// machine names the machine: its cores and CPU model.
func machine() string {
	model := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s", runtime.NumCPU(), model, runtime.GOOS)
}
