package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reports"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// Each selected flow runs in a child process of the same binary (the hidden
// __suite command): ginkgo's RunSpecs runs once per process, a crash fails
// only its flow, and the protocol's waits of the flows overlap.

// progressLine prefixes the lines a child writes to stderr as each check
// ends: flow, ID and verdict, tab-separated.
const progressLine = "oauthcheck-progress\t"

type suiteFlags struct {
	flow, state, browserURL, profile, filter, jsonOut, failOn, caFile string
	preflight, results                                                string
	ahead, slots                                                      int
	slotDir, othersDone, turnDir                                      string
	slow, insecure                                                    bool
	timeout                                                           time.Duration
}

func newSuiteCmd() *cobra.Command {
	var f suiteFlags
	cmd := &cobra.Command{
		Use:    "__suite",
		Short:  "Run one flow's suite (internal: started by run)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSuite(cmd.Context(), f, cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.flow, "flow", "", "the flow")
	fl.StringVar(&f.state, "state", "", "the resolved target config")
	fl.StringVar(&f.browserURL, "browser-url", "", "DevTools URL of the shared browser")
	fl.StringVar(&f.preflight, "preflight", "", "file that holds the login preflight's diagnosis once it is done (empty: the browser can log in)")
	fl.StringVar(&f.profile, "profile", "bcp", "profile")
	fl.StringVar(&f.filter, "label-filter", "", "label filter")
	fl.StringVar(&f.jsonOut, "json", "", "JSON report")
	fl.StringVar(&f.slotDir, "browser-slots", "", "directory of the run's browser slots and of its shelf of sessions at rest")
	fl.StringVar(&f.turnDir, "turns", "", "directory of the resources that the run's flows take turns at")
	fl.IntVar(&f.slots, "browser-slot-count", 0, "number of browser slots")
	fl.StringVar(&f.othersDone, "others-done", "", "file that the run creates once every other flow has ended")
	fl.IntVar(&f.ahead, "ahead", 4, "checks of the flow run at once, ahead of their specs (0: one by one, in their specs)")
	fl.StringVar(&f.results, "results", "", "file to which each finished spec's report is appended at once, one JSON line each")
	fl.StringVar(&f.failOn, "fail-on", "must", "must or should")
	fl.StringVar(&f.caFile, "ca-file", "", "CA file")
	fl.BoolVar(&f.slow, "slow", false, "slow checks")
	fl.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "no TLS verification")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "time limit")
	return cmd
}

type failT struct{ failed bool }

func (t *failT) Fail() { t.failed = true }

// sessionsKept is how many logged-in browser sessions a flow keeps for its
// next checks. One serves most of them (a flow seldom has two checks in
// the browser at once), and each kept session keeps a page and its
// renderer: two cost about 70 MB more per run for no time saved.
const sessionsKept = 1

// runSuite is the child: it runs the specs of one flow and writes their
// JSON report.
func runSuite(ctx context.Context, f suiteFlags, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	cfg, err := target.LoadConfig(f.state)
	if err != nil {
		return err
	}
	var b *browser.Browser
	if f.browserURL != "" {
		if b, err = browser.Connect(ctx, f.browserURL); err != nil {
			return err
		}
	}
	env, err := check.Open(ctx, cfg.Issuer, cfg, b, client.Options{CAFile: f.caFile, InsecureSkipVerify: f.insecure})
	if err != nil {
		return err
	}
	if env.Profile, err = check.ParseProfile(f.profile); err != nil {
		return err
	}
	env.Slow = f.slow
	if f.preflight != "" {
		env.Preflight = preflightResult(f.preflight)
	}
	if b != nil {
		// A login serves the flow's checks, one after another.
		env.Sessions = browser.NewPool(sessionsKept)
		defer env.Sessions.Close()
	}
	if f.slotDir != "" {
		env.BrowserSlots = browser.NewSlots(f.slotDir, f.slots)
		if b != nil {
			// The flows share their logins: what one cannot keep, or
			// leaves when it ends, another takes.
			env.Sessions.Share(browser.NewShelf(f.slotDir, shelfSize()), b)
		}
	}
	if f.turnDir != "" {
		env.Turns = check.NewTurns(f.turnDir)
	}
	if f.othersDone != "" {
		env.OthersDone = func(ctx context.Context) error { return awaitFile(ctx, f.othersDone) }
	}
	check.SetEnv(env)
	check.FailOnShould(f.failOn == "should")
	var results *os.File
	if f.results != "" {
		if results, err = os.OpenFile(f.results, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
			return fmt.Errorf("suite: %w", err)
		}
		defer results.Close()
	}
	var mu sync.Mutex
	ginkgo.ReportAfterEach(func(s ginkgo.SpecReport) {
		if s.LeafNodeType != types.NodeTypeIt || notSelected(s) {
			return
		}
		v, id := progressOf(s)
		mu.Lock()
		defer mu.Unlock()
		// Written at once: a flow that is stopped or killed later loses
		// nothing it finished.
		if results != nil {
			if line, err := json.Marshal(s); err == nil {
				_, _ = results.Write(append(line, '\n'))
			}
		}
		fmt.Fprintf(stderr, "%s%s\t%s\t%s\n", progressLine, f.flow, id, v)
	})
	// What report merge needs to describe the run, in the report itself.
	meta := reports.Meta{Issuer: env.Target.Issuer, Profile: env.Profile.String(), Version: versionString()}
	ginkgo.BeforeSuite(func() {
		ginkgo.AddReportEntry(reports.EntryMeta, meta, ginkgo.ReportEntryVisibilityNever)
	})
	// The flow's checks run side by side, ahead of their specs, within
	// what each declares (check.Alone, check.Last, check.Uses): the flow
	// takes the time of its longest chain of waits, not their sum.
	if lf, err := types.ParseLabelFilter(f.filter); err == nil && f.ahead > 0 {
		var ids []string
		for _, id := range check.Registered() {
			if c, ok := catalogue.Lookup(id); ok && string(c.Flow) == f.flow && lf(check.Labels(id)) {
				ids = append(ids, id)
			}
		}
		check.RunAhead(ctx, env, ids, f.ahead)
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	suiteCfg, repCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.LabelFilter = f.filter
	suiteCfg.Timeout = f.timeout
	suiteCfg.RandomizeAllSpecs = false
	repCfg.Succinct = true
	repCfg.NoColor = true
	repCfg.JSONReport = f.jsonOut
	ginkgo.RunSpecs(&failT{}, f.flow, suiteCfg, repCfg)
	return nil
}

// flowRun is what the parent needs to start the children.
type flowRun struct {
	flows      []string
	parallel   int
	config     *target.Config
	controlURL string
	// preflight, when set, waits for the login preflight and returns why
	// the browser checks cannot run ("" when they can), and its sessions
	// that logged in, for the shelf.
	preflight func() (string, []*browser.Session)
	profile   string
	filter    string
	flags     runFlags
	progress  func(flow, id string, v check.Verdict, event string)
}

// runFlows runs each flow's suite in a child process, parallel at a time,
// and returns their reports. A child that crashes yields a report with one
// failed spec that carries its output as evidence.
func runFlows(ctx context.Context, fr flowRun) ([]types.Report, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("run: find the oauthcheck binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "oauthcheck-run-")
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	defer os.RemoveAll(dir)
	state := filepath.Join(dir, "target.yaml")
	raw, err := fr.config.Marshal()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(state, raw, 0o600); err != nil {
		return nil, fmt.Errorf("run: write the target state: %w", err)
	}
	if fr.preflight != nil {
		// The flows start before the login preflight ends; their checks
		// read its diagnosis from this file before they use the browser.
		go func() {
			why, logins := fr.preflight()
			// Its sessions, logged in, go on the shelf first, so that
			// the checks waiting for its verdict find them there.
			shelf := browser.NewShelf(dir, shelfSize())
			for _, s := range logins {
				if why != "" || !shelf.Put(s) {
					s.Close()
				}
			}
			tmp := filepath.Join(dir, "preflight.tmp")
			if os.WriteFile(tmp, []byte(why), 0o600) == nil {
				_ = os.Rename(tmp, filepath.Join(dir, "preflight"))
			}
		}()
	}
	reps := make([]types.Report, len(fr.flows))
	others := newOthersDone(dir, fr.flows, fr.parallel, flowsApart(fr.config))
	sem := make(chan struct{}, fr.parallel)
	var wg sync.WaitGroup
	for i, flow := range fr.flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			reps[i] = runChild(ctx, exe, dir, state, flow, others.path(flow), fr)
			others.ended(flow)
		}()
	}
	wg.Wait()
	return reps, nil
}

// The margins of a flow's process: it gets the run's time left less
// childMargin, so that it stops by itself first and writes its report; a
// process asked to stop (SIGINT) is killed childGrace later.
const (
	childMargin = 10 * time.Second
	childGrace  = 10 * time.Second
)

func runChild(ctx context.Context, exe, dir, state, flow, othersDone string, fr flowRun) types.Report {
	start := time.Now()
	jsonPath := filepath.Join(dir, flow+".json")
	resultsPath := filepath.Join(dir, flow+".results")
	filter := "flow: containsAny " + flow
	if fr.filter != "" {
		filter += " && (" + fr.filter + ")"
	}
	f := fr.flags
	timeout := f.timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl)-childMargin, time.Until(dl)/2)
	}
	args := []string{"__suite", "--flow", flow, "--state", state, "--profile", fr.profile, "--label-filter", filter,
		"--json", jsonPath, "--results", resultsPath, "--fail-on", f.failOn, "--timeout", timeout.String(),
		"--others-done", othersDone, "--turns", dir}
	if fr.controlURL != "" {
		args = append(args, "--browser-url", fr.controlURL)
	}
	if fr.preflight != nil {
		args = append(args, "--preflight", filepath.Join(dir, "preflight"))
	}
	if fr.controlURL != "" {
		args = append(args, "--browser-slots", dir, "--browser-slot-count", fmt.Sprint(browserSlots()))
	}
	if f.caFile != "" {
		args = append(args, "--ca-file", f.caFile)
	}
	if f.slow {
		args = append(args, "--slow")
	}
	if f.insecure {
		args = append(args, "--insecure-skip-tls-verify")
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	// Stopped (the run's time is up, or Ctrl-C), a flow is asked first,
	// so that it writes what it finished, and killed only after a grace.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = childGrace
	var out limitedBuffer
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return crashed(flow, start, err.Error(), "")
	}
	fr.progress(flow, "", "", "started")
	if err := cmd.Start(); err != nil {
		return crashed(flow, start, "start: "+err.Error(), "")
	}
	var stderr limitedBuffer
	drainLines(errPipe, func(line string) {
		if rest, ok := strings.CutPrefix(line, progressLine); ok {
			if parts := strings.Split(rest, "\t"); len(parts) == 3 {
				fr.progress(parts[0], parts[1], check.Verdict(parts[2]), "")
				return
			}
		}
		stderr.WriteString(line + "\n")
	})
	waitErr := cmd.Wait()
	fr.progress(flow, "", "", "finished")
	raw, err := os.ReadFile(jsonPath)
	var reps []types.Report
	if err == nil {
		err = json.Unmarshal(raw, &reps)
	}
	if err == nil && len(reps) > 0 {
		return reps[0]
	}
	why := "the flow's process ended without a report"
	if waitErr != nil {
		why += ": " + waitErr.Error()
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		why += " (the run's --timeout passed)"
	case ctx.Err() != nil:
		why += " (the run was stopped)"
	}
	rep := crashed(flow, start, why, stderr.String()+out.String())
	// What the flow finished before it was stopped, and the checks it
	// never reached.
	finished := readResults(resultsPath)
	rep.SpecReports = append(finished, rep.SpecReports...)
	rep.SpecReports = append(rep.SpecReports, notRun(flow, filter, finished, why, time.Now())...)
	return rep
}

// drainLines reads r to its end and hands each line to f, cut to 64 KiB:
// a child that writes one endless line is never blocked by the parent.
func drainLines(r io.Reader, f func(string)) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		part, isPrefix, err := br.ReadLine()
		if len(line) < 64<<10 {
			line = append(line, part[:min(len(part), 64<<10-len(line))]...)
		}
		if err != nil {
			if len(line) > 0 {
				f(string(line))
			}
			return
		}
		if !isPrefix {
			f(string(line))
			line = line[:0]
		}
	}
}

// readResults reads the spec reports a flow's process appended as it
// finished them; a line cut short by a kill is left out.
func readResults(path string) types.SpecReports {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out types.SpecReports
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var s types.SpecReport
		if len(line) > 0 && json.Unmarshal(line, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

// notRun are the stand-ins of the checks of a flow that its label filter
// selected but that never finished: ERROR, "not run", with why the flow
// stopped.
func notRun(flow, filter string, finished types.SpecReports, why string, at time.Time) types.SpecReports {
	lf, err := types.ParseLabelFilter(filter)
	if err != nil {
		return nil
	}
	done := map[string]bool{}
	for _, s := range finished {
		done[strings.SplitN(s.LeafNodeText, ":", 2)[0]] = true
	}
	var out types.SpecReports
	for _, id := range check.Registered() {
		c, ok := catalogue.Lookup(id)
		if !ok || string(c.Flow) != flow || done[id] || !lf(c.Labels()) {
			continue
		}
		msg := fmt.Sprintf("not run: the flow was stopped at %s: %s", at.Format("15:04:05"), why)
		entry := catalogue.VerdictEntry{ID: id, Verdict: catalogue.Error, Findings: catalogue.Findings{{Verdict: catalogue.Error, Message: msg}}, Refs: c.Refs}
		value := types.WrapEntryValue(entry)
		out = append(out, types.SpecReport{
			LeafNodeType: types.NodeTypeIt, LeafNodeText: id + ": " + c.Requirement, LeafNodeLabels: c.Labels(),
			State: types.SpecStateFailed, StartTime: at, EndTime: at,
			Failure:       types.Failure{Message: msg, Location: types.CodeLocation{FileName: "oauthcheck"}},
			ReportEntries: types.ReportEntries{{Name: catalogue.EntryVerdict, Value: value, Time: at}},
		})
	}
	return out
}

// crashed is the report of a flow whose process died: one failed spec,
// with the process's output as its evidence.
func crashed(flow string, start time.Time, why, output string) types.Report {
	now := time.Now()
	return types.Report{
		SuiteDescription: flow,
		SuiteSucceeded:   false,
		StartTime:        start, EndTime: now, RunTime: now.Sub(start),
		SpecReports: types.SpecReports{{
			LeafNodeType:   types.NodeTypeIt,
			LeafNodeText:   "flow " + flow + " crashed",
			LeafNodeLabels: []string{"flow:" + flow},
			State:          types.SpecStateFailed,
			StartTime:      start, EndTime: now, RunTime: now.Sub(start),
			Failure: types.Failure{Message: "oauthcheck: " + why + "; the other flows went on",
				Location: types.CodeLocation{FileName: "oauthcheck"}},
			CapturedStdOutErr: output,
		}},
	}
}

// limitedBuffer keeps the first MiB written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 1<<20 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) WriteString(s string) { b.Write([]byte(s)) }

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func writeJSONReport(path string, r types.Report) error {
	raw, err := json.MarshalIndent([]types.Report{r}, "", "  ")
	if err != nil {
		return fmt.Errorf("run: encode the JSON report: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return fmt.Errorf("run: write --json: %w", err)
	}
	return nil
}

// progressWriter prints a line as each flow starts and ends and as each
// check ends, unless quiet.
func progressWriter(w io.Writer, quiet bool) func(flow, id string, v check.Verdict, event string) {
	var mu sync.Mutex
	done := 0
	running := map[string]bool{}
	return func(flow, id string, v check.Verdict, event string) {
		mu.Lock()
		defer mu.Unlock()
		switch event {
		case "started":
			running[flow] = true
		case "finished":
			delete(running, flow)
		default:
			done++
		}
		if quiet {
			return
		}
		switch event {
		case "started", "finished":
			fmt.Fprintf(w, "oauthcheck: %s %s (running: %s)\n", event, flow, runningList(running))
		default:
			fmt.Fprintf(w, "%4d  %-5s %-14s %s\n", done, v, flow, id)
		}
	}
}

func runningList(m map[string]bool) string {
	if len(m) == 0 {
		return "none"
	}
	var out []string
	for _, f := range flowNames() {
		if m[f] {
			out = append(out, f)
		}
	}
	return strings.Join(out, ", ")
}

// flowNames are the flows of the catalogue, in its order.
func flowNames() []string {
	out := make([]string, len(catalogue.Flows))
	for i, f := range catalogue.Flows {
		out[i] = string(f)
	}
	return out
}

// selectedFlows are the flows of --flows, or every flow with checks.
func (f runFlags) selectedFlows() []string {
	if f.flows != "" {
		return splitList(f.flows)
	}
	built := map[string]bool{}
	for _, id := range check.Registered() {
		if c, ok := catalogue.Lookup(id); ok {
			built[string(c.Flow)] = true
		}
	}
	var out []string
	for _, fl := range flowNames() {
		if built[fl] {
			out = append(out, fl)
		}
	}
	return out
}

// notSelected tells a spec that the label filter left out (skipped before
// it ran: no failure, no entries) from a check that ran and skipped.
func notSelected(s types.SpecReport) bool {
	return s.State == types.SpecStateSkipped && s.Failure.IsZero() && len(s.ReportEntries) == 0
}

// progressOf is the ID and verdict of a spec as it ends, for the progress
// line: from its verdict entry (in this process, the value itself), else
// from its state.
func progressOf(s types.SpecReport) (check.Verdict, string) {
	for _, e := range s.ReportEntries {
		if v, ok := e.Value.GetRawValue().(catalogue.VerdictEntry); ok && e.Name == catalogue.EntryVerdict {
			return v.Verdict, v.ID
		}
	}
	id, _, _ := strings.Cut(s.LeafNodeText, ":")
	switch s.State {
	case types.SpecStatePassed:
		return check.Pass, id
	case types.SpecStateSkipped, types.SpecStatePending:
		return check.Skip, id
	}
	return check.Fail, id
}

// shelfSize is how many sessions at rest the run keeps for its flows
// besides their own (browser.Shelf): one per core, each a renderer process
// of the browser.
func shelfSize() int { return runtime.NumCPU() }

// browserSlots is how many checks of a run may use the browser at once:
// one per core. The browser's work is bound by the CPU, and the checks give
// the browser back before their long waits: with three per core, a run
// against the reference took as long, and Chromium spent about 1.8
// CPU-seconds more (make bench, 2026-12-05).
func browserSlots() int { return runtime.NumCPU() }
