package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

type loginFlags struct {
	config, target, out, browserBin, caFile string
	insecure                                bool
	timeout                                 time.Duration
}

func newLoginCmd() *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Try the login on its own: the preflight, step by step, with a screenshot of every page",
		Long: `Run only the login preflight that 'oauthcheck run' starts with: one plain authorization
and, when the config names a device client, one device authorization, in the browser, as
the test user, with the config's login (auto, a built-in profile or a script). Every page
the person acts on is printed and kept as a screenshot under --out. When the login cannot
complete, it says where it stopped, what the page holds, and writes a starter login script
made from that page.

It is the first command to run against a new identity provider.`,
		Example: "  oauthcheck login --config oauthcheck.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return loginPreflight(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "config `FILE` with the clients, the user and the login")
	fl.StringVar(&f.target, "target", "", "issuer URL (default: the config's)")
	fl.StringVar(&f.out, "out", "out/login", "directory for the screenshots and the starter script")
	fl.StringVar(&f.browserBin, "browser", "", "Chromium binary (default: found on the system)")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM `FILE` of extra root certificates, for lab servers")
	fl.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "do not verify TLS certificates (lab servers only)")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "time limit")
	return cmd
}

func loginPreflight(ctx context.Context, f loginFlags, stdout, stderr io.Writer) error {
	rf := runFlags{target: f.target, config: f.config, browserBin: f.browserBin, caFile: f.caFile, insecure: f.insecure,
		timeout: f.timeout, failOn: "must"}
	plan, err := rf.validate()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	env, stop, err := openTarget(ctx, rf, plan.config, stderr)
	if err != nil {
		return err
	}
	defer stop()
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	n := 0
	pages := func(name string, png []byte) {
		n++
		path := filepath.Join(f.out, fmt.Sprintf("%02d-%s.png", n, name))
		if os.WriteFile(path, png, 0o644) == nil {
			fmt.Fprintf(stdout, "  screenshot %s\n", path)
		}
	}
	fmt.Fprintf(stdout, "login preflight against %s with login: %s\n", env.Target.Issuer, loginName(env))
	pf := preflight(ctx, env, pages, nil)
	if pf == nil {
		fmt.Fprintln(stdout, "the login works: the browser checks can run. Next: oauthcheck run --config "+f.config)
		return nil
	}
	for _, l := range pf.Lines() {
		fmt.Fprintf(stdout, "  %s\n", l)
	}
	if len(pf.Screenshot) > 0 {
		pages("stopped", pf.Screenshot)
	}
	if pf.Script != "" {
		path := filepath.Join(f.out, "login-script.yaml")
		if err := os.WriteFile(path, []byte(pf.Script), 0o644); err == nil {
			fmt.Fprintf(stdout, "a starter login script for the page where it stopped: %s\n  adjust it, and name it in the config: login: %s\n", path, path)
		}
	}
	return exitCode(exitError)
}

// loginName says which login the config names.
func loginName(env *check.Env) string {
	if l := env.Target.Config.Login; l != "" {
		return l
	}
	return "auto"
}

// pageShots keeps a screenshot of each new page the person acts on.
func pageShots(sess *browser.Session, name string, pages func(string, []byte)) {
	if pages == nil {
		return
	}
	last := ""
	sess.OnPage = func(ctx context.Context, p *browser.Page) {
		u := p.URL()
		if u == last {
			return
		}
		last = u
		if png, err := p.Screenshot(); err == nil {
			pages(name+"-"+slug(u), png)
		}
	}
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// slug is a file-name-safe short form of a URL's path.
func slug(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		u = u[i:]
	}
	s := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(u), "-"), "-")
	if s == "" {
		s = "root"
	}
	return s[:min(len(s), 40)]
}
