package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
)

// referenceFile is the YAML form of reference.Config for --config.
type referenceFile struct {
	Users          []reference.User   `yaml:"users"`
	Clients        []reference.Client `yaml:"clients"`
	Scopes         []string           `yaml:"scopes"`
	DefaultScope   string             `yaml:"default_scope"`
	CodeTTL        time.Duration      `yaml:"code_ttl"`
	AccessTTL      time.Duration      `yaml:"access_ttl"`
	RefreshTTL     time.Duration      `yaml:"refresh_ttl"`
	DeviceTTL      time.Duration      `yaml:"device_ttl"`
	DeviceInterval time.Duration      `yaml:"device_interval"`
	RefreshGrace   time.Duration      `yaml:"refresh_grace"`
	SessionTTL     time.Duration      `yaml:"session_ttl"`
	Implicit       bool               `yaml:"implicit"`
}

type referenceFlags struct {
	addr        string
	weaken      string
	quirk       string
	config      string
	writeConfig string
	implicit    bool
	tls         bool
	tlsCert     string
	tlsKey      string
	tlsCA       string
}

func newReferenceCmd() *cobra.Command {
	var f referenceFlags
	cmd := &cobra.Command{
		Use:   "reference",
		Short: "Serve the bundled reference authorization server",
		Long: `Serve the bundled reference authorization server on a local address. It is strict by
default and passes every check; --weaken switches single protections off, so that the
checks that test them must fail. --quirk switches on behaviour that the RFCs allow and
real servers show; under a quirk no check may fail.

It prints its issuer, its test user and its clients with their secrets: a local test
server's secrets, printed nowhere else. --write-config writes the oauthcheck config file
that tests it like any vendor:

  oauthcheck reference --addr 127.0.0.1:9443 --write-config ref.yaml &
  oauthcheck run --target http://127.0.0.1:9443 --config ref.yaml

--tls serves https (TLS 1.2 and 1.3) with a certificate from a CA made at start. The CA
is written as ref-ca.pem beside the --write-config file (else to a temporary file, removed
at stop), and the config's ca_file names it. --tls-cert and --tls-key serve a certificate
of your own instead; --tls-ca then names the CA file to put in ca_file (it is not copied).` + weaknessHelp() + `

Quirks (--quirk), each with the behaviour it switches on; under a quirk no check may FAIL:
` + quirkHelp(),
		Example: "  oauthcheck reference --weaken code-reuse,pkce-optional --write-config ref.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := stopContext(cmd.Context())
			defer stop()
			return serveReference(ctx, f, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:9443", "address to listen on (host:port; port 0 picks a free one)")
	fl.StringVar(&f.weaken, "weaken", "", "comma-separated weaknesses to switch on: "+strings.Join(reference.WeaknessNames(), ", "))
	fl.StringVar(&f.quirk, "quirk", "", "comma-separated quirks to switch on (see Quirks above): "+strings.Join(reference.QuirkNames(), ", "))
	fl.StringVar(&f.config, "config", "", "YAML file with users, clients, scopes and lifetimes (default: built-in clients and user)")
	fl.StringVar(&f.writeConfig, "write-config", "", "write an oauthcheck config file for this server to `FILE`")
	fl.BoolVar(&f.implicit, "implicit", false, "switch the implicit grant (response_type=token) on")
	fl.BoolVar(&f.tls, "tls", false, "serve https with a certificate of a CA made at start (written as ref-ca.pem beside --write-config)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve https with the PEM certificate (chain) in `FILE`; needs --tls-key")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the PEM private key of --tls-cert, in `FILE`")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "with --tls-cert: the CA certificate `FILE` to name as ca_file in --write-config")
	return cmd
}

// buildReference makes the server that the flags describe.
func buildReference(f referenceFlags) (*reference.Server, error) {
	cfg := reference.DefaultConfig()
	if f.config != "" {
		raw, err := os.ReadFile(f.config)
		if err != nil {
			return nil, usagef("reference: read --config: %v", err)
		}
		var rf referenceFile
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&rf); err != nil && !errors.Is(err, io.EOF) {
			return nil, usagef("reference: parse --config %s: %v", f.config, err)
		}
		if len(rf.Users) > 0 {
			cfg.Users = rf.Users
		}
		if len(rf.Clients) > 0 {
			cfg.Clients = rf.Clients
		}
		if len(rf.Scopes) > 0 {
			cfg.Scopes = rf.Scopes
		}
		for _, d := range []struct {
			dst *time.Duration
			v   time.Duration
		}{{&cfg.CodeTTL, rf.CodeTTL}, {&cfg.AccessTTL, rf.AccessTTL}, {&cfg.RefreshTTL, rf.RefreshTTL},
			{&cfg.DeviceTTL, rf.DeviceTTL}, {&cfg.DeviceInterval, rf.DeviceInterval}, {&cfg.RefreshGrace, rf.RefreshGrace},
			{&cfg.SessionTTL, rf.SessionTTL}} {
			if d.v > 0 {
				*d.dst = d.v
			}
		}
		if rf.DefaultScope != "" {
			cfg.DefaultScope = rf.DefaultScope
		}
		cfg.Implicit = rf.Implicit
	}
	cfg.Implicit = cfg.Implicit || f.implicit
	var opts []reference.Option
	for _, w := range strings.Split(f.weaken, ",") {
		if strings.TrimSpace(w) == "" {
			continue
		}
		if _, err := reference.ParseWeakness(w); err != nil {
			return nil, usageError{err}
		}
		opts = append(opts, reference.WithWeakness(w))
	}
	for _, q := range strings.Split(f.quirk, ",") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if _, err := reference.ParseQuirk(q); err != nil {
			return nil, usageError{err}
		}
		opts = append(opts, reference.WithQuirk(q))
	}
	srv, err := reference.New(cfg, opts...)
	if err != nil {
		return nil, usageError{err}
	}
	return srv, nil
}

func serveReference(ctx context.Context, f referenceFlags, out io.Writer) error {
	srv, err := buildReference(f)
	if err != nil {
		return err
	}
	if err := checkTLSFlags(f); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usagef("reference: listen on %s: %v; pick another --addr", f.addr, err)
	}
	defer ln.Close()
	host, _, _ := net.SplitHostPort(f.addr)
	rt, err := setupTLS(f, host)
	if err != nil {
		return err
	}
	defer rt.cleanup()
	scheme := "http://"
	if rt.cert != nil {
		scheme = "https://"
	}
	if err := srv.SetIssuer(scheme + ln.Addr().String()); err != nil {
		return err
	}
	if f.writeConfig != "" {
		if err := writeTargetConfig(f.writeConfig, srv, rt.caFile); err != nil {
			return err
		}
	}
	printReference(out, srv, f.writeConfig, rt.caFile)
	v := srv.Serve(ln, reference.ServeOptions{Certificate: rt.cert})
	select {
	case <-v.Done():
		return fmt.Errorf("reference: serve: %w", v.Err())
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := v.Shutdown(shutdown); err != nil {
			_ = v.Close()
		}
		fmt.Fprintln(out, "reference server stopped")
		return nil
	}
}

// referenceTLS is how the reference serves https: its certificate (nil for
// plain http) and the CA file that the config names.
type referenceTLS struct {
	cert    *tls.Certificate
	caFile  string // absolute, or "" when none is known
	tempDir string // removed at stop
}

func (rt *referenceTLS) cleanup() {
	if rt.tempDir != "" {
		_ = os.RemoveAll(rt.tempDir)
	}
}

func checkTLSFlags(f referenceFlags) error {
	switch {
	case (f.tlsCert == "") != (f.tlsKey == ""):
		return usagef("reference: --tls-cert and --tls-key go together")
	case f.tlsCA != "" && f.tlsCert == "":
		return usagef("reference: --tls-ca names the CA of --tls-cert; with --tls the CA is made at start")
	}
	return nil
}

// setupTLS loads or makes the certificate that the flags ask for. A CA
// made at start is written beside the --write-config file as ref-ca.pem,
// else into a temporary directory.
func setupTLS(f referenceFlags, host string) (*referenceTLS, error) {
	rt := &referenceTLS{}
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return nil, usagef("reference: load --tls-cert and --tls-key: %v", err)
		}
		rt.cert = &cert
		if f.tlsCA != "" {
			abs, err := filepath.Abs(f.tlsCA)
			if err != nil {
				return nil, usagef("reference: --tls-ca: %v", err)
			}
			if _, err := os.Stat(abs); err != nil {
				return nil, usagef("reference: --tls-ca: %v", err)
			}
			rt.caFile = abs
		}
		return rt, nil
	}
	if !f.tls {
		return rt, nil
	}
	ca, err := reference.NewCA()
	if err != nil {
		return nil, err
	}
	var hosts []string
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		hosts = append(hosts, host)
	}
	cert, err := ca.Leaf(hosts...)
	if err != nil {
		return nil, err
	}
	rt.cert = &cert
	dir := ""
	if f.writeConfig != "" {
		dir = filepath.Dir(f.writeConfig)
	} else {
		if rt.tempDir, err = os.MkdirTemp("", "oauthcheck-reference-"); err != nil {
			return nil, fmt.Errorf("reference: write the CA: %w", err)
		}
		dir = rt.tempDir
	}
	path, err := filepath.Abs(filepath.Join(dir, "ref-ca.pem"))
	if err == nil {
		err = os.WriteFile(path, ca.PEM(), 0o644) // a certificate: public
	}
	if err != nil {
		rt.cleanup()
		return nil, usagef("reference: write the CA certificate %s: %v", path, err)
	}
	rt.caFile = path
	return rt, nil
}

// writeTargetConfig writes the oauthcheck config file that tests srv,
// atomically, so that a run waiting for the file never reads half of it.
func writeTargetConfig(path string, srv *reference.Server, caFile string) error {
	tc := reftarget.TargetConfig(srv)
	tc.CAFile = caFile
	raw, err := tc.Marshal()
	if err != nil {
		return err
	}
	header := "# oauthcheck config for the reference server at " + srv.Issuer() + "\n" +
		"# written by 'oauthcheck reference'; it holds that test server's secrets.\n"
	tmp, err := os.CreateTemp(filepath.Dir(path), ".oauthcheck-config-*")
	if err != nil {
		return usagef("reference: write --write-config: %v", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append([]byte(header), raw...)); err != nil {
		tmp.Close()
		return usagef("reference: write --write-config: %v", err)
	}
	if err := tmp.Close(); err != nil {
		return usagef("reference: write --write-config: %v", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return usagef("reference: write --write-config: %v", err)
	}
	return nil
}

func printReference(out io.Writer, srv *reference.Server, written, caFile string) {
	cfg := srv.Config()
	fmt.Fprintln(out, "oauthcheck reference server")
	fmt.Fprintf(out, "issuer:     %s\n", srv.Issuer())
	fmt.Fprintf(out, "metadata:   %s/.well-known/oauth-authorization-server\n", srv.Issuer())
	weak := "none (strict)"
	if ws := srv.Weaknesses(); len(ws) > 0 {
		var names []string
		for _, w := range ws {
			names = append(names, string(w))
		}
		weak = strings.Join(names, ", ")
	}
	fmt.Fprintf(out, "weaknesses: %s\n", weak)
	quirks := "none"
	if qs := srv.Quirks(); len(qs) > 0 {
		var names []string
		for _, q := range qs {
			names = append(names, string(q))
		}
		quirks = strings.Join(names, ", ")
	}
	fmt.Fprintf(out, "quirks:     %s\n", quirks)
	for _, u := range cfg.Users {
		fmt.Fprintf(out, "user:       %s  password %s\n", u.Username, u.Password)
	}
	fmt.Fprintln(out, "clients (secrets of this local test server):")
	roles := reftarget.Roles(cfg)
	byID := map[string]string{}
	for role, c := range roles {
		byID[c.ID] = role
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tCLIENT ID\tSECRET\tGRANTS")
	for _, c := range cfg.Clients {
		secret := c.Secret
		if secret == "" {
			secret = "(public)"
		}
		role := byID[c.ID]
		if role == "" {
			role = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", role, c.ID, secret, strings.Join(c.GrantTypes, " "))
	}
	tw.Flush()
	if caFile != "" {
		fmt.Fprintf(out, "ca:         %s\n", caFile)
	}
	if written != "" {
		fmt.Fprintf(out, "config:     %s (oauthcheck run --target %s --config %s)\n", written, srv.Issuer(), written)
	}
	fmt.Fprintln(out, "Serving; stop with Ctrl-C.")
}

// quirkHelp lists the quirks with their behaviour, for the command's help.
func quirkHelp() string {
	var b strings.Builder
	for _, q := range reference.AllQuirks() {
		fmt.Fprintf(&b, "  %s\n", q.Name)
		line := "     "
		for _, w := range strings.Fields(q.Behaviour) {
			if len(line)+1+len(w) > 90 {
				b.WriteString(line + "\n")
				line = "     "
			}
			line += " " + w
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
