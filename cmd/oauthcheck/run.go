package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reports"
	_ "github.com/oauthcheck/oauthcheck/suites/all"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

type runFlags struct {
	target       string
	config       string
	flows        string
	labelFilter  string
	profile      string
	browserBin   string
	noBrowser    bool
	failOn       string
	jsonOut      string
	caFile       string
	insecure     bool
	timeout      time.Duration
	weaken       string
	quirk        string
	slow         bool
	intrusive    bool
	parallel     int
	quiet        bool
	junitOut     string
	htmlOut      string
	expect       string
	strictExpect bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the checks against an authorization server",
		Long: `Run the checks against an authorization server: discover it, drive every flow it
offers (with headless Chromium for login and consent), and report each check's verdict
with its RFC section and the exchange behind it.

--target reference runs them against the bundled reference server, started in-process.

Exit codes: 0 nothing at or above --fail-on failed; 1 checks failed; 2 usage or
configuration error; 3 target unreachable or discovery failed; 4 no check failed,
but some could not reach a verdict (ERROR: the harness could not log in, a step or
the network failed, a deadline passed).`,
		Example: `  oauthcheck run --target reference
  oauthcheck run --target https://idp.example.com/realms/test --config oauthcheck.yaml
  oauthcheck run --target reference --flows authcode,pkce --label-filter 'priority: containsAny P1'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := stopContext(cmd.Context())
			defer stop()
			if f.slow && !cmd.Flags().Changed("timeout") {
				// --slow lets checks wait out lifetimes of minutes (an
				// authorization code's 10 and more): the run's time too.
				f.timeout = slowTimeout
			}
			return runChecks(ctx, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "issuer URL of the server under test, or \"reference\" for the bundled one")
	fl.StringVar(&f.config, "config", "", "config `FILE` with clients, user and login (DESIGN.md, \"The config file\")")
	fl.StringVar(&f.flows, "flows", "", "comma-separated flows to run (default all): "+strings.Join(flowNames(), ", "))
	fl.StringVar(&f.labelFilter, "label-filter", "", "ginkgo label filter, e.g. 'level: containsAny MUST'")
	fl.StringVar(&f.profile, "profile", "", "requirement profile: oauth2, bcp or oauth2.1 (default: the config's, else bcp)")
	fl.StringVar(&f.browserBin, "browser", "", "Chromium binary (default: found on the system; never downloaded)")
	fl.BoolVar(&f.noBrowser, "no-browser", false, "run without a browser; checks that need one are skipped")
	fl.StringVar(&f.failOn, "fail-on", "must", "lowest verdict that fails the run: must (FAIL) or should (FAIL or WARN)")
	fl.StringVar(&f.jsonOut, "json", "", "write ginkgo's JSON report to `FILE`")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM `FILE` of extra root certificates, for lab servers")
	fl.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "do not verify TLS certificates (lab servers only)")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "time limit of the whole run (45m with --slow)")
	fl.BoolVar(&f.slow, "slow", false, "let checks wait as long as the protocol needs (code expiry, device expires_in); minutes against most servers")
	fl.BoolVar(&f.intrusive, "intrusive", false, "also run checks that may lock a client out (CLIENTAUTH-BRUTEFORCE-THROTTLE)")
	fl.StringVar(&f.junitOut, "junit", "", "write a JUnit XML report to `FILE`")
	fl.StringVar(&f.htmlOut, "html", "", "write a self-contained HTML report to `FILE`")
	fl.StringVar(&f.expect, "expect", "", "YAML `FILE` of expected deviations: check ID, verdict and reason")
	fl.BoolVar(&f.strictExpect, "strict-expect", false, "fail the run when an expected deviation did not happen")
	fl.IntVar(&f.parallel, "parallel", 0, "flows to run at once, each in its own process (default: all)")
	fl.BoolVar(&f.quiet, "quiet", false, "print no progress, only the summary")
	fl.StringVar(&f.weaken, "weaken", "", "with --target reference: weaknesses to switch on (see 'oauthcheck reference --help')")
	_ = fl.MarkHidden("weaken")
	fl.StringVar(&f.quirk, "quirk", "", "with --target reference: quirks to switch on (see 'oauthcheck reference --help')")
	_ = fl.MarkHidden("quirk")
	return cmd
}

// labelFilter combines --flows and --label-filter.
func (f runFlags) labelFilterExpr() (string, error) {
	var parts []string
	if !f.intrusive {
		parts = append(parts, "!intrusive")
	}
	if f.flows != "" {
		var flows []string
		for _, fl := range strings.Split(f.flows, ",") {
			fl = strings.TrimSpace(fl)
			if _, err := catalogue.ParseFlow(fl); err != nil {
				return "", usagef("run: unknown flow %q in --flows; valid: %s", fl, strings.Join(flowNames(), ", "))
			}
			if !slices.Contains(runFlags{}.selectedFlows(), fl) {
				return "", usagef("run: flow %q has no checks built yet; built: %s", fl, strings.Join(runFlags{}.selectedFlows(), ", "))
			}
			flows = append(flows, fl)
		}
		parts = append(parts, "flow: containsAny {"+strings.Join(flows, ", ")+"}")
	}
	if f.labelFilter != "" {
		if _, err := types.ParseLabelFilter(f.labelFilter); err != nil {
			// ginkgo's error is several coloured lines; keep its reason.
			var ge types.GinkgoError
			if errors.As(err, &ge) {
				lines := strings.Split(ge.Message, "\n")
				err = errors.New(lines[len(lines)-1])
			}
			return "", usagef("run: --label-filter %q: %v (syntax: https://onsi.github.io/ginkgo/#spec-labels)", f.labelFilter, err)
		}
		parts = append(parts, "("+f.labelFilter+")")
	}
	return strings.Join(parts, " && "), nil
}

// slowTimeout is the run's time limit with --slow, unless --timeout says.
const slowTimeout = 45 * time.Minute

// runChecks is the run command: validate what was asked, open the target
// and the browser, run the flows, and write the reports.
func runChecks(ctx context.Context, f runFlags, stdout, stderr io.Writer) error {
	plan, err := f.validate()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	env, stop, err := openTarget(ctx, f, plan.config, stderr)
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	// Beside the first checks: can the browser log in at all? The checks
	// wait for the answer before they use the browser; if it is no, those
	// that need it are ERROR with one shared diagnosis, and the rest run.
	var (
		pf     *reports.Preflight
		logins []*browser.Session // the preflight's, logged in, for the flows
		mu     sync.Mutex
	)
	pfDone := make(chan struct{})
	go func() {
		defer close(pfDone)
		keep := func(s *browser.Session) {
			mu.Lock()
			logins = append(logins, s)
			mu.Unlock()
		}
		if u, _ := env.Target.User(); u == nil {
			// Nothing to log in with: the checks that need the test user
			// skip, saying so; the others, in the browser too (the framing
			// checks), run.
			return
		}
		if pf = preflight(ctx, env, nil, keep); pf != nil {
			fmt.Fprintf(stderr, "oauthcheck: %s; the checks that need the browser are ERROR (oauthcheck login --config FILE shows the pages)\n", preflightBroken(pf))
		}
	}()
	fmt.Fprintf(stderr, "oauthcheck: running checks against %s (profile %s)\n", env.Target.Issuer, env.Profile)
	flows := f.selectedFlows()
	fr := flowRun{
		flows: flows, parallel: f.parallelism(len(flows)), config: env.Target.Config, controlURL: controlURL(env.Browser),
		profile: env.Profile.String(), filter: plan.filter, flags: f, progress: progressWriter(stderr, f.quiet),
	}
	if env.Browser != nil {
		fr.preflight = func() (string, []*browser.Session) {
			<-pfDone
			return preflightBroken(pf), logins
		}
	}
	reps, err := runFlows(ctx, fr)
	<-pfDone
	if err != nil {
		return err
	}
	report := reports.Merge(reps...)
	report.StartTime, report.EndTime = start, time.Now()
	report.RunTime = report.EndTime.Sub(start)
	meta := reports.MetaOf(report)
	meta.Issuer, meta.Profile, meta.Version, meta.Flows = env.Target.Issuer, env.Profile.String(), versionString(), flows
	meta.FailOn, meta.StrictExpect = f.failOn, f.strictExpect
	if pf != nil {
		meta.Preflight = pf
		// The JSON report keeps the diagnosis, for report merge.
		report.SpecReports = append(report.SpecReports, types.SpecReport{
			LeafNodeType: types.NodeTypeBeforeSuite, LeafNodeText: "oauthcheck login preflight", State: types.SpecStatePassed,
			StartTime: start, EndTime: start,
			ReportEntries: types.ReportEntries{{Name: reports.EntryMeta, Value: types.WrapEntryValue(reports.Meta{Preflight: pf}), Time: start}},
		})
	}
	return writeReports(report, meta, plan.expect, reportOutputs{json: f.jsonOut, junit: f.junitOut, html: f.htmlOut, quiet: f.quiet}, stdout)
}

// runPlan is what the flags and files of a run resolve to.
type runPlan struct {
	config *target.Config // nil without --config
	filter string         // the label filter of every flow
	expect *reports.Expect
}

// validate checks the flags and reads the files they name, before anything
// is started or sent: every mistake is one line and exit code 2.
func (f *runFlags) validate() (runPlan, error) {
	var plan runPlan
	if f.config != "" {
		cfg, err := target.LoadConfig(f.config)
		if err != nil {
			return plan, usagef("run: --config %s: %v", f.config, err)
		}
		plan.config = cfg
		if f.target == "reference" {
			return plan, usagef("run: --target reference brings its own clients, user and login, and would ignore --config %s: drop one of them (to run a config against the reference, serve it with oauthcheck reference --write-config FILE)", f.config)
		}
		if f.target == "" {
			f.target = cfg.Issuer // DESIGN.md: --target overrides the config's issuer
		}
	}
	if f.target == "" {
		return plan, usagef("run: --target is required: an issuer URL, or \"reference\" (or a --config with an issuer)")
	}
	if f.target != "reference" && (f.weaken != "" || f.quirk != "") {
		return plan, usagef("run: --weaken and --quirk need --target reference")
	}
	if f.failOn != "must" && f.failOn != "should" {
		return plan, usagef("run: --fail-on %q: valid: must, should", f.failOn)
	}
	if f.timeout <= 0 {
		return plan, usagef("run: --timeout %s: give a positive duration, such as 10m", f.timeout)
	}
	if f.profile != "" {
		if _, err := check.ParseProfile(f.profile); err != nil {
			return plan, usageError{err}
		}
	}
	var err error
	if plan.filter, err = f.labelFilterExpr(); err != nil {
		return plan, err
	}
	if f.expect != "" {
		if plan.expect, err = reports.LoadExpect(f.expect); err != nil {
			return plan, usagef("run: --expect %s: %v", f.expect, err)
		}
	}
	for _, out := range []struct{ flag, path string }{{"--json", f.jsonOut}, {"--junit", f.junitOut}, {"--html", f.htmlOut}} {
		if err := writable(out.path); err != nil {
			return plan, usagef("run: %s %s: %v", out.flag, out.path, err)
		}
	}
	if errs := check.RegistrationErrors(); len(errs) > 0 {
		return plan, fmt.Errorf("run: the check registry is broken (a harness bug): %s", strings.Join(errs, "; "))
	}
	if !f.noBrowser {
		if _, err := browser.Find(f.browserBin); err != nil {
			if errors.Is(err, browser.ErrNoChromium) {
				return plan, usageError{err}
			}
			return plan, usagef("%v; install Chromium (Debian: apt-get install -y chromium) and pass --browser the path of its binary, or --no-browser", err)
		}
	}
	return plan, nil
}

// writable makes the folder of a report's path, and tells whether a file
// can be written there, before the run rather than after it.
func writable(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot make its folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".oauthcheck-*")
	if err != nil {
		return fmt.Errorf("cannot write there: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// openTarget starts the reference when it is the target, launches the
// browser, and discovers the target: the environment every flow's process
// rebuilds. stop stops what it started.
func openTarget(ctx context.Context, f runFlags, cfg *target.Config, stderr io.Writer) (env *check.Env, stop func(), err error) {
	var stops []func()
	stopAll := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			stopAll()
		}
	}()
	issuer := f.target
	if f.target == "reference" {
		srv, err := reftarget.Start(reftarget.Options{Weaknesses: splitList(f.weaken), Quirks: splitList(f.quirk), TLS: true})
		if err != nil {
			return nil, nil, usageError{err}
		}
		stops = append(stops, srv.Close)
		issuer, cfg = srv.URL, srv.Config()
		fmt.Fprintf(stderr, "oauthcheck: reference server at %s\n", srv.URL)
	}
	env, err = check.Open(ctx, issuer, cfg, nil, client.Options{CAFile: f.caFile, InsecureSkipVerify: f.insecure})
	if err != nil {
		if errors.Is(err, target.ErrUnreachable) {
			fmt.Fprintln(stderr, "oauthcheck: "+oneLine(err.Error()))
			return nil, nil, exitCode(exitUnreachable)
		}
		return nil, nil, usageError{err}
	}
	if f.profile != "" {
		env.Profile, _ = check.ParseProfile(f.profile)
	}
	if !f.noBrowser {
		// The browser reaches the target's hosts (and the second loopback
		// origin of the framing check), and trusts exactly the
		// certificates that the Go client trusts.
		md := env.Target.Metadata
		origins := []string{issuer, md.AuthorizationEndpoint, md.DeviceAuthorizationEndpoint, md.EndSessionEndpoint}
		opts := browser.Options{Bin: f.browserBin, AllowHosts: append(browser.HostsOf(origins...), attackerHost), IgnoreCertErrors: f.insecure}
		caFile := firstNonEmpty(f.caFile, env.Target.Config.CAFile)
		if caFile != "" && !f.insecure {
			opts.TrustSPKI = spkiPins(ctx, caFile, origins...)
		}
		b, err := browser.Launch(ctx, opts)
		if err != nil {
			if errors.Is(err, browser.ErrNoChromium) {
				return nil, nil, usageError{err}
			}
			// The machine's browser does not start: its setup, not the
			// target, is at fault.
			return nil, nil, usagef("%s; pass --browser PATH for another Chromium, or --no-browser to run only the checks that need none", strings.TrimRight(oneLine(err.Error()), ": "))
		}
		stops = append(stops, b.Close)
		env.Browser = b
	}
	return env, stopAll, nil
}

// attackerHost is the second loopback origin from which
// CLICKJACK-IFRAME-BLOCKED frames the target's pages.
const attackerHost = "127.0.0.2"

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// spkiPins are the SHA-256 hashes of the public keys of the certificates
// the https origins serve, for each that verifies against the system's
// roots and the CA file: what Chromium may accept that it would not know
// to trust. A certificate that does not verify gets no pin, so that the
// browser refuses it as the Go client does.
func spkiPins(ctx context.Context, caFile string, origins ...string) []string {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if pem, err := os.ReadFile(caFile); err == nil {
		roots.AppendCertsFromPEM(pem)
	}
	seen := map[string]bool{}
	var pins []string
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "https" || seen[u.Host] {
			continue
		}
		seen[u.Host] = true
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "443")
		}
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: &tls.Config{ServerName: u.Hostname(), RootCAs: roots, MinVersion: tls.VersionTLS12}}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			continue
		}
		for _, cert := range conn.(*tls.Conn).ConnectionState().PeerCertificates[:1] {
			sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
			pins = append(pins, base64.StdEncoding.EncodeToString(sum[:]))
		}
		conn.Close()
	}
	return pins
}

// parallelism is how many of n flows run at once.
func (f runFlags) parallelism(n int) int {
	if f.parallel <= 0 || f.parallel > n {
		return n
	}
	return f.parallel
}

func controlURL(b *browser.Browser) string {
	if b == nil {
		return ""
	}
	return b.ControlURL()
}

// preflightBroken is why the browser checks cannot run, after the
// preflight pf: "" when it passed.
func preflightBroken(pf *reports.Preflight) string {
	if pf == nil {
		return ""
	}
	return "the login preflight could not complete: " + oneLine(pf.Reason)
}

// reportOutputs are the report files asked for.
type reportOutputs struct {
	json, junit, html string
	quiet             bool
}

// writeReports writes the reports of a run and its console summary, and
// returns exitCode(1) when the run failed.
func writeReports(report types.Report, meta reports.Meta, expect *reports.Expect, out reportOutputs, stdout io.Writer) error {
	outcome := reports.Apply(reports.Results(report), expect)
	results := outcome.Results
	meta.NotRun = outcome.NotRun
	if out.json != "" {
		if err := writeJSONReport(out.json, report); err != nil {
			return err
		}
	}
	for _, w := range []struct {
		path  string
		write func(io.Writer, []reports.Result, reports.Meta) error
	}{{out.junit, reports.WriteJUnit}, {out.html, reports.WriteHTML}} {
		if w.path == "" {
			continue
		}
		if err := writeFile(w.path, func(f io.Writer) error { return w.write(f, results, meta) }); err != nil {
			return err
		}
	}
	if !out.quiet {
		// The evidence behind each failure that fails the run: its
		// exchanges and browser steps, redacted.
		for i := range results {
			if r := &results[i]; r.Failing(meta.FailOn, false) {
				fmt.Fprintf(stdout, "--- evidence for %s\n%s\n", r.Name(), indent(r.Evidence(), "    "))
			}
		}
	}
	color := os.Getenv("NO_COLOR") == "" && isTerminal(stdout)
	if err := reports.WriteSummary(stdout, results, meta, reports.ConsoleOptions{Color: color, Quiet: out.quiet}); err != nil {
		return err
	}
	switch {
	case reports.Failed(results, meta.FailOn, meta.StrictExpect) || len(meta.Problems) > 0:
		return exitCode(exitFailed)
	case reports.Errored(results):
		return exitCode(exitError)
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return f.Close()
}

// isTerminal reports whether w is a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
