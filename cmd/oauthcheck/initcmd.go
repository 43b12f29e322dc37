package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
)

type initFlags struct {
	target, out, user string
	register, force   bool
	caFile            string
	insecure          bool
	timeout           time.Duration
}

func newInitCmd() *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a starter config for a new identity provider",
		Long: `Read the server's discovery document and write a starter config file: the issuer,
what the server offers (grants, endpoints, client authentication methods), the client
roles the checks need as entries with ${ENV} placeholders, the redirect URI to register,
and login: auto.

--register registers the clients through RFC 7591 dynamic registration, when the server
offers it, and writes them in: the secrets as ${ENV} references, their values printed
once, on stdout, as export lines.

--user NAME names the test user; its password is read from $OAUTHCHECK_PASSWORD (never a
flag). With a user, init ends by running the login preflight in the browser: one plain
authorization with login: auto, and says what to do next.`,
		Example: `  oauthcheck init --target https://idp.example.com/realms/test --out oauthcheck.yaml
  OAUTHCHECK_PASSWORD=… oauthcheck init --target http://127.0.0.1:9443 --register --user alice`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return initConfig(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "issuer URL of the identity provider")
	fl.StringVar(&f.out, "out", "oauthcheck.yaml", "config `FILE` to write")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing --out file")
	fl.BoolVar(&f.register, "register", false, "register the clients through RFC 7591 and write them in")
	fl.StringVar(&f.user, "user", "", "the test user's name; the password comes from $OAUTHCHECK_PASSWORD")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM `FILE` of extra root certificates, for lab servers")
	fl.BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "do not verify TLS certificates (lab servers only)")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "time limit")
	return cmd
}

// The roles of the config, with the checks that need each and the
// environment variables init names for them.
var initRoles = []struct {
	role, what, env string
	confidential    bool
	device          bool
}{
	{target.RoleConfidential, "a confidential web client (most checks)", "OAUTHCHECK_A", true, false},
	{target.RoleConfidential2, "a second confidential client (client binding, cross-client checks)", "OAUTHCHECK_B", true, false},
	{target.RolePublic, "a public client with PKCE (PKCE, refresh rotation)", "OAUTHCHECK_P", false, false},
	{target.RolePublic2, "a second public client (client binding)", "OAUTHCHECK_P2", false, false},
	{target.RoleDevice, "a device client (the device grant)", "OAUTHCHECK_D", false, true},
	{target.RoleDevice2, "a second device client (device code binding)", "OAUTHCHECK_D2", false, true},
	{target.RoleSpecial, "a confidential client whose secret holds reserved characters such as a:b+c%d/e f (Basic form-encoding)", "OAUTHCHECK_S", true, false},
}

func initConfig(ctx context.Context, f initFlags, stdout, stderr io.Writer) error {
	if f.target == "" {
		return usagef("init: --target is required: the issuer URL of the identity provider")
	}
	if f.out != "-" && !f.force {
		if _, err := os.Stat(f.out); err == nil {
			return usagef("init: %s exists; pass --force to overwrite it, or --out another file", f.out)
		}
	}
	password := os.Getenv("OAUTHCHECK_PASSWORD")
	if f.user != "" && password == "" {
		return usagef("init: --user %s needs the password in $OAUTHCHECK_PASSWORD", f.user)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	hc, err := client.New(client.Options{CAFile: f.caFile, InsecureSkipVerify: f.insecure})
	if err != nil {
		return usageError{err}
	}
	md, err := target.Discover(ctx, hc, f.target)
	if err != nil {
		fmt.Fprintln(stderr, "oauthcheck: "+oneLine(err.Error()))
		return exitCode(exitUnreachable)
	}
	cfg := &target.Config{Issuer: f.target, RedirectURI: target.DefaultRedirectURI, Scope: initScope(md), ExtraScope: "email"}
	if f.user != "" {
		cfg.User = &target.User{Username: f.user, Password: password}
	}
	var secrets []string // export lines, printed once
	if f.register {
		if md.RegistrationEndpoint == "" {
			return usagef("init: --register: the server offers no registration_endpoint; register the clients by hand and fill them in")
		}
		t, err := target.Open(ctx, hc, f.target, cfg)
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		for _, r := range initRoles {
			if c := t.Config.Clients[r.role]; c != nil && c.Secret != "" {
				secrets = append(secrets, fmt.Sprintf("export %s_SECRET=%s", r.env, shellQuote(c.Secret)))
			}
		}
	}
	text := initText(cfg, md)
	if f.out == "-" {
		fmt.Fprint(stdout, text)
	} else if err := os.WriteFile(f.out, []byte(text), 0o600); err != nil {
		return fmt.Errorf("init: write %s: %w", f.out, err)
	}
	if f.out != "-" {
		fmt.Fprintf(stderr, "oauthcheck: wrote %s for %s\n", f.out, f.target)
	}
	if len(secrets) > 0 {
		fmt.Fprintln(stderr, "oauthcheck: the registered clients' secrets, shown this once (the config names them as ${…}):")
		for _, s := range secrets {
			fmt.Fprintln(stdout, s)
		}
	}
	next := []string{}
	if !f.register {
		next = append(next, "register the clients the config lists, with the redirect URI "+cfg.RedirectURI+", and fill in their ids and secrets")
	}
	if f.user == "" {
		next = append(next, "name a test user (without MFA) in user:, its password as ${OAUTHCHECK_PASSWORD}")
	} else if err := initPreflight(ctx, f, cfg, stderr); err != nil {
		return err
	}
	next = append(next, fmt.Sprintf("run: oauthcheck run --config %s --junit junit.xml --html report.html", f.out))
	fmt.Fprintln(stderr, "oauthcheck: next:")
	for i, n := range next {
		fmt.Fprintf(stderr, "  %d. %s\n", i+1, n)
	}
	return nil
}

// initPreflight runs the login preflight with what init found and
// registered, and says how it went. It needs a client: without --register
// it can only say so.
func initPreflight(ctx context.Context, f initFlags, cfg *target.Config, stderr io.Writer) error {
	if len(cfg.Clients) == 0 {
		fmt.Fprintln(stderr, "oauthcheck: the login preflight needs a client: register them (or pass --register), then run oauthcheck login --config "+f.out)
		return nil
	}
	rf := runFlags{target: f.target, caFile: f.caFile, insecure: f.insecure, timeout: f.timeout}
	env, stop, err := openTarget(ctx, rf, cfg, stderr)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintln(stderr, "oauthcheck: login preflight with login: auto …")
	if pf := preflight(ctx, env, nil, nil); pf != nil {
		fmt.Fprintln(stderr, "oauthcheck: the login preflight could not complete:")
		for _, l := range pf.Lines() {
			fmt.Fprintln(stderr, "  "+l)
		}
		fmt.Fprintln(stderr, "  oauthcheck login --config "+f.out+" shows every page and writes a starter login script")
		return nil
	}
	fmt.Fprintln(stderr, "oauthcheck: the login preflight completed: the browser can log in and consent as "+cfg.User.Username)
	return nil
}

// initScope is what the checks should ask for: openid and profile when
// the server knows them, else nothing special.
func initScope(md *target.Metadata) string {
	if len(md.ScopesSupported) == 0 {
		return "openid"
	}
	var out []string
	for _, s := range []string{"openid", "profile"} {
		if slices.Contains(md.ScopesSupported, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return md.ScopesSupported[0]
	}
	return strings.Join(out, " ")
}

// initText renders the starter config, with comments on what discovery
// found and what each entry is for.
func initText(cfg *target.Config, md *target.Metadata) string {
	var b strings.Builder
	list := func(v []string) string {
		if len(v) == 0 {
			return "(not advertised)"
		}
		return strings.Join(v, ", ")
	}
	fmt.Fprintf(&b, "# oauthcheck config for %s, written by `oauthcheck init` on %s.\n", cfg.Issuer, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "# What discovery found (%s):\n", md.Source)
	fmt.Fprintf(&b, "#   grant types:          %s\n", list(md.GrantTypesSupported))
	fmt.Fprintf(&b, "#   response types:       %s\n", list(md.ResponseTypesSupported))
	fmt.Fprintf(&b, "#   client auth methods:  %s\n", list(md.TokenEndpointAuthMethodsSupported))
	fmt.Fprintf(&b, "#   PKCE methods:         %s\n", list(md.CodeChallengeMethodsSupported))
	var eps []string
	for _, e := range []struct{ name, url string }{
		{"authorization", md.AuthorizationEndpoint}, {"token", md.TokenEndpoint}, {"device_authorization", md.DeviceAuthorizationEndpoint},
		{"revocation", md.RevocationEndpoint}, {"introspection", md.IntrospectionEndpoint}, {"userinfo", md.UserinfoEndpoint},
		{"registration", md.RegistrationEndpoint}, {"end_session", md.EndSessionEndpoint}, {"jwks", md.JWKSURI},
	} {
		if e.url != "" {
			eps = append(eps, e.name)
		}
	}
	fmt.Fprintf(&b, "#   endpoints:            %s\n", list(eps))
	fmt.Fprintf(&b, "# Metadata is a claim that the checks test, not a limit: a grant missing here is still tried.\n\n")
	fmt.Fprintf(&b, "issuer: %s\nprofile: bcp                      # oauth2 | bcp | oauth2.1\n", yamlQuote(cfg.Issuer))
	fmt.Fprintf(&b, "# Register this redirect URI for every client below. Nothing listens there: the browser catches it.\n")
	fmt.Fprintf(&b, "redirect_uri: %s\n", yamlQuote(cfg.RedirectURI))
	b.WriteString("clients:\n")
	hasDevice := md.DeviceAuthorizationEndpoint != "" || slices.Contains(md.GrantTypesSupported, "urn:ietf:params:oauth:grant-type:device_code")
	method := "client_secret_basic"
	if len(md.TokenEndpointAuthMethodsSupported) > 0 && !slices.Contains(md.TokenEndpointAuthMethodsSupported, method) &&
		slices.Contains(md.TokenEndpointAuthMethodsSupported, "client_secret_post") {
		method = "client_secret_post"
	}
	for _, r := range initRoles {
		fmt.Fprintf(&b, "  # %s: %s\n", r.role, r.what)
		prefix := "  # "
		if c := cfg.Clients[r.role]; c != nil {
			fmt.Fprintf(&b, "  %s: {id: %s", r.role, yamlQuote(c.ID))
			if c.Secret != "" {
				fmt.Fprintf(&b, ", secret: \"${%s_SECRET}\", auth_method: %s", r.env, c.AuthMethod)
			}
			b.WriteString("}\n")
			continue
		}
		if r.device && !hasDevice {
			prefix = "  # (the server offers no device grant) "
		}
		if r.confidential {
			fmt.Fprintf(&b, "%s%s: {id: \"${%s_ID}\", secret: \"${%s_SECRET}\", auth_method: %s}\n", prefix, r.role, r.env, r.env, method)
		} else {
			fmt.Fprintf(&b, "%s%s: {id: \"${%s_ID}\"}\n", prefix, r.role, r.env)
		}
	}
	if cfg.User != nil {
		fmt.Fprintf(&b, "user: {username: %s, password: \"${OAUTHCHECK_PASSWORD}\"}\n", yamlQuote(cfg.User.Username))
	} else {
		b.WriteString("# A test user without MFA:\n# user: {username: \"${OAUTHCHECK_USERNAME}\", password: \"${OAUTHCHECK_PASSWORD}\"}\n")
	}
	b.WriteString("login: auto                       # auto | builtin:NAME | path/to/login-script.yaml (oauthcheck login writes one)\n")
	fmt.Fprintf(&b, "scope: %s\n", yamlQuote(cfg.Scope))
	fmt.Fprintf(&b, "extra_scope: %s                # allowed for the clients but not granted, for the escalation checks\n", yamlQuote(cfg.ExtraScope))
	oracle := "introspection"
	if md.IntrospectionEndpoint == "" && md.UserinfoEndpoint != "" {
		oracle = "userinfo"
	}
	fmt.Fprintf(&b, "oracle: %s                # introspection | userinfo | a protected resource's URL\n", oracle)
	b.WriteString("# code_lifetime: 60s               # the server's code lifetime, if you know it: AUTHCODE-EXPIRY waits only that long\n")
	b.WriteString("# settle_time: 2s                  # a clustered server's time to spread a revocation\n")
	b.WriteString("# access_tokens: rfc9068           # if the server claims RFC 9068 JWT access tokens\n")
	return b.String()
}

// shellQuote quotes a string for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// yamlQuote quotes a string for YAML.
func yamlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
