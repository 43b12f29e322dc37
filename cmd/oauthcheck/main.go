// Command oauthcheck tests OAuth 2.0 and 2.1 authorization servers for
// conformance and security, and serves the bundled reference server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes (DESIGN.md, "How a run flows").
const (
	exitOK          = 0
	exitFailed      = 1 // checks failed
	exitUsage       = 2 // usage or configuration error
	exitUnreachable = 3 // target unreachable or discovery failed
	exitError       = 4 // no check failed, but some could not reach a verdict (ERROR)
)

// stopContext is the context of a command that starts servers or a
// browser: it ends at Ctrl-C, SIGTERM or a hang-up, so that the command
// stops them on its way out. A reader that goes away (oauthcheck run |
// head) makes the command's writes fail instead of killing it where it
// writes, which would leave the browser running.
func stopContext(ctx context.Context) (context.Context, context.CancelFunc) {
	signal.Ignore(syscall.SIGPIPE)
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// usageError is a bad flag, argument or config: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	msg := oneLine(err.Error())
	if isCobraUsage(err) && !strings.Contains(msg, "--help") {
		msg += fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())
	}
	fmt.Fprintln(stderr, "oauthcheck: "+msg)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	return exitFailed
}

// exitCode ends the command with a code after it has said what it had to.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit %d", int(c)) }

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires ", "invalid argument", "flag needs an argument"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "oauthcheck",
		Short: "Conformance and security tests for OAuth 2.0 and 2.1 authorization servers",
		Long: `oauthcheck drives an OAuth 2.0 / 2.1 authorization server through every flow it offers
and checks what the RFCs and the security BCP (RFC 9700) demand. It ships a strict
reference server, the baseline that passes every check.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%v (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(newVersionCmd(), newReferenceCmd(), newRunCmd(), newInitCmd(), newLoginCmd(), newListCmd(), newReportCmd(), newVendorCmd(), newSuiteCmd(), newBenchCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of oauthcheck",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "oauthcheck "+versionString())
			return nil
		},
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
