package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
)

func TestMain(m *testing.M) {
	if os.Getenv(orphanCPUEnv) != "" {
		os.Exit(orphanCPU())
	}
	testscript.Main(m, map[string]func(){
		"oauthcheck": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// oauthcheckBin is the oauthcheck command that testscript.Main puts on
// PATH, for a test that runs it as a process.
func oauthcheckBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("oauthcheck")
	if err != nil {
		t.Fatalf("oauthcheck is not on PATH (testscript.Main puts it there): %v", err)
	}
	return bin
}

// startReference serves a strict reference with quick lifetimes for the
// test, and stops it when the test ends.
func startReference(t *testing.T) *reftarget.Server {
	t.Helper()
	srv, err := reftarget.Start(reftarget.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"waitfile": cmdWaitFile},
	})
}

// cmdWaitFile is the script command "waitfile FILE PATTERN": it waits, for
// at most 5 s, until FILE exists and its content matches the regular
// expression PATTERN, so a script can wait for a command in the background.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfile FILE PATTERN")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, err := os.ReadFile(path)
		if err == nil && re.Match(raw) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s did not match %q within 5s (read error: %v)", args[0], args[1], err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer that a server goroutine writes while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string   // regexp; "" means no output
		wantStderr []string // substrings of the one line of stderr; nil means none
		reason     string
	}{
		{
			name:       "version",
			args:       []string{"version"},
			wantCode:   exitOK,
			wantStdout: `^oauthcheck \S+\n$`,
			reason:     "version prints one line",
		},
		{
			name:       "unknown weakness",
			args:       []string{"reference", "--weaken", "nope"},
			wantCode:   exitUsage,
			wantStderr: []string{`"nope"`, "code-reuse", "pkce-optional", "refresh-no-rotation"},
			reason:     "a bad --weaken is a usage error that lists the valid names",
		},
		{
			name:       "unknown weakness among good ones",
			args:       []string{"reference", "--weaken", "code-reuse,pkce-optinal"},
			wantCode:   exitUsage,
			wantStderr: []string{`"pkce-optinal"`, "pkce-optional"},
			reason:     "every name of the list is checked",
		},
		{
			name:       "unknown quirk",
			args:       []string{"reference", "--quirk", "js-login,nope"},
			wantCode:   exitUsage,
			wantStderr: []string{`"nope"`, "js-login", "refresh-grace-10s", "scope-reordered"},
			reason:     "a bad --quirk is a usage error that lists the valid names",
		},
		{
			name:       "unknown flag",
			args:       []string{"reference", "--wekaen", "code-reuse"},
			wantCode:   exitUsage,
			wantStderr: []string{"--wekaen", "oauthcheck reference --help"},
			reason:     "a flag error says where the help is",
		},
		{
			name:       "unknown subcommand",
			args:       []string{"frobnicate"},
			wantCode:   exitUsage,
			wantStderr: []string{`"frobnicate"`, "oauthcheck --help"},
			reason:     "an unknown command is a usage error",
		},
		{
			name:       "extra argument",
			args:       []string{"reference", "extra"},
			wantCode:   exitUsage,
			wantStderr: []string{`"extra"`, "oauthcheck reference --help"},
			reason:     "reference takes no arguments",
		},
		{
			name:       "missing config",
			args:       []string{"reference", "--config", filepath.Join(t.TempDir(), "missing.yaml")},
			wantCode:   exitUsage,
			wantStderr: []string{"--config", "missing.yaml"},
			reason:     "a config that cannot be read is a configuration error",
		},
		{
			name:       "bad address",
			args:       []string{"reference", "--addr", "127.0.0.1:notaport"},
			wantCode:   exitUsage,
			wantStderr: []string{"127.0.0.1:notaport", "--addr"},
			reason:     "an address that cannot be listened on is a usage error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d (%s)\nstderr: %s", tt.args, code, tt.wantCode, tt.reason, stderr.String())
			}
			if tt.wantStdout == "" {
				if stdout.Len() != 0 {
					t.Errorf("stdout = %q, want none", stdout.String())
				}
			} else if !regexp.MustCompile(tt.wantStdout).MatchString(stdout.String()) {
				t.Errorf("stdout = %q, want a match for %q", stdout.String(), tt.wantStdout)
			}
			errOut := stderr.String()
			if tt.wantStderr == nil {
				if errOut != "" {
					t.Errorf("stderr = %q, want none", errOut)
				}
				return
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") || !strings.HasPrefix(errOut, "oauthcheck: ") {
				t.Errorf("stderr = %q, want one line starting with \"oauthcheck: \"", errOut)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not contain %q (%s)", errOut, w, tt.reason)
				}
			}
		})
	}
}

func TestBuildReferenceConfigFile(t *testing.T) {
	t.Parallel()
	srv, err := buildReference(referenceFlags{config: filepath.Join("testdata", "reference.yaml")})
	if err != nil {
		t.Fatalf("buildReference: %v", err)
	}
	def := reference.DefaultConfig()
	redirect := []string{"http://127.0.0.1:8765/callback"}
	want := reference.Config{
		Users: []reference.User{{Username: "bob", Password: "pw # not a comment"}, {Username: "carol", Password: "carol-pw"}},
		Clients: []reference.Client{
			{ID: "web", Secret: "web-secret", RedirectURIs: redirect, GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials", "implicit"}},
			{ID: "spa", RedirectURIs: redirect, GrantTypes: []string{"authorization_code"}, AuthMethod: "none"},
			{ID: "tv", GrantTypes: []string{reference.GrantDeviceCode}, Scopes: []string{"openid", "api"}},
		},
		Scopes:         []string{"openid", "profile", "api"},
		DefaultScope:   "openid",
		CodeTTL:        5 * time.Second,
		AccessTTL:      def.AccessTTL, // not in the file: the defaults stay
		RefreshTTL:     def.RefreshTTL,
		DeviceTTL:      def.DeviceTTL,
		DeviceInterval: time.Second,
		SessionTTL:     def.SessionTTL,
		Implicit:       true,
	}
	if diff := cmp.Diff(want, srv.Config()); diff != "" {
		t.Errorf("Config() mismatch (-want +got):\n%s", diff)
	}

	// The config file written for it gives each client the role it can
	// play, and the first user.
	if err := srv.SetIssuer("http://127.0.0.1:9443"); err != nil {
		t.Fatal(err)
	}
	wantTarget := &target.Config{
		Issuer:      "http://127.0.0.1:9443",
		Profile:     "bcp",
		RedirectURI: redirect[0],
		Clients: map[string]*target.Client{
			target.RoleConfidential: {ID: "web", Secret: "web-secret", AuthMethod: "client_secret_basic"},
			target.RolePublic:       {ID: "spa"},
			target.RoleDevice:       {ID: "tv"},
		},
		User:       &target.User{Username: "bob", Password: "pw # not a comment"},
		Login:      "builtin:reference",
		Scope:      "openid",
		ExtraScope: "email",
		Oracle:     "introspection",
		// code_ttl from the file: AUTHCODE-EXPIRY waits that long.
		CodeLifetime: 5 * time.Second,
		// default refresh_ttl: REFRESH-LIFECYCLE probes idle expiry with it.
		RefreshLifetime: reference.DefaultConfig().RefreshTTL,
		// The reference claims RFC 9068 for its JWT access tokens.
		AccessTokens: "rfc9068",
	}
	if diff := cmp.Diff(wantTarget, reftarget.TargetConfig(srv)); diff != "" {
		t.Errorf("TargetConfig mismatch (-want +got):\n%s", diff)
	}
}

func TestBuildReferenceFlags(t *testing.T) {
	t.Parallel()
	writeConfig := func(t *testing.T, body string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "ref.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name         string
		flags        func(t *testing.T) referenceFlags
		wantImplicit bool
		wantWeak     []reference.Weakness
		wantQuirks   []reference.Quirk
		wantGrace    time.Duration
		wantErr      string // substring; "" means success
		reason       string
	}{
		{
			name:   "defaults",
			flags:  func(*testing.T) referenceFlags { return referenceFlags{} },
			reason: "strict, no implicit grant",
		},
		{
			name:         "implicit flag",
			flags:        func(*testing.T) referenceFlags { return referenceFlags{implicit: true} },
			wantImplicit: true,
			reason:       "--implicit switches the implicit grant on",
		},
		{
			name: "implicit flag over config",
			flags: func(t *testing.T) referenceFlags {
				return referenceFlags{implicit: true, config: writeConfig(t, "implicit: false\n")}
			},
			wantImplicit: true,
			reason:       "--implicit wins over the file's implicit: false",
		},
		{
			name:   "empty config",
			flags:  func(t *testing.T) referenceFlags { return referenceFlags{config: writeConfig(t, "# nothing\n")} },
			reason: "an empty file keeps the defaults",
		},
		{
			name:     "weaknesses with spaces",
			flags:    func(*testing.T) referenceFlags { return referenceFlags{weaken: " pkce-optional , code-reuse,"} },
			wantWeak: []reference.Weakness{reference.CodeReuse, reference.PKCEOptional},
			reason:   "the list is trimmed and empty items are skipped",
		},
		{
			name:       "quirks",
			flags:      func(*testing.T) referenceFlags { return referenceFlags{quirk: "refresh-grace-10s, js-login,"} },
			wantQuirks: []reference.Quirk{reference.QuirkRefreshGrace, reference.QuirkJSLogin},
			wantGrace:  10 * time.Second,
			reason:     "--quirk takes a list like --weaken; refresh-grace-10s sets the grace",
		},
		{
			name: "refresh grace in the config",
			flags: func(t *testing.T) referenceFlags {
				return referenceFlags{config: writeConfig(t, "refresh_grace: 3s\n")}
			},
			wantGrace: 3 * time.Second,
			reason:    "refresh_grace sets Config.RefreshGrace without the quirk",
		},
		{
			name:    "unknown key",
			flags:   func(t *testing.T) referenceFlags { return referenceFlags{config: writeConfig(t, "user: [alice]\n")} },
			wantErr: "field user not found",
			reason:  "a misspelt key (users) must not be ignored",
		},
		{
			name:    "bad duration",
			flags:   func(t *testing.T) referenceFlags { return referenceFlags{config: writeConfig(t, "code_ttl: soon\n")} },
			wantErr: "parse --config",
			reason:  "durations are Go durations such as 5s",
		},
		{
			name: "repeated client",
			flags: func(t *testing.T) referenceFlags {
				return referenceFlags{config: writeConfig(t, "clients: [{id: a, grant_types: [authorization_code]}, {id: a}]\n")}
			},
			wantErr: `"a"`,
			reason:  "reference.New refuses the config; that is still a usage error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, err := buildReference(tt.flags(t))
			if tt.wantErr != "" {
				var ue usageError
				if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("buildReference error = %v, want a usageError containing %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("buildReference: %v (%s)", err, tt.reason)
			}
			if got := srv.Config().Implicit; got != tt.wantImplicit {
				t.Errorf("Implicit = %v, want %v (%s)", got, tt.wantImplicit, tt.reason)
			}
			if diff := cmp.Diff(tt.wantWeak, srv.Weaknesses()); diff != "" {
				t.Errorf("Weaknesses() mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
			if diff := cmp.Diff(tt.wantQuirks, srv.Quirks()); diff != "" {
				t.Errorf("Quirks() mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
			if got := srv.Config().RefreshGrace; got != tt.wantGrace {
				t.Errorf("RefreshGrace = %v, want %v (%s)", got, tt.wantGrace, tt.reason)
			}
		})
	}
}

func TestReferenceServes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ref.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serveReference(ctx, referenceFlags{addr: "127.0.0.1:0", weaken: "code-reuse,pkce-optional", writeConfig: cfgPath}, &out)
	}()

	// The config file is written, then the banner printed, then it serves.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "Serving;") {
		select {
		case err := <-done:
			t.Fatalf("serveReference returned early: %v\noutput:\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reference server did not start within 5s; output:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cfg, err := target.LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("LoadConfig of --write-config file: %v", err)
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(cfgPath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("config file mode = %v (%v), want 0600: it holds secrets", fi.Mode().Perm(), err)
		}
	}

	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9][0-9]*$`).MatchString(cfg.Issuer) {
		t.Errorf("issuer = %q, want http://127.0.0.1:PORT with the port picked", cfg.Issuer)
	}
	if diff := cmp.Diff(target.Roles, rolesOf(cfg)); diff != "" {
		t.Errorf("client roles mismatch (-want +got):\n%s", diff)
	}
	if cfg.User == nil || cfg.User.Username != "alice" || cfg.User.Password == "" {
		t.Errorf("user = %+v, want alice with a password", cfg.User)
	}
	if cfg.Login != "builtin:reference" {
		t.Errorf("login = %q, want builtin:reference", cfg.Login)
	}

	printed := out.String()
	for _, w := range []string{"issuer:     " + cfg.Issuer + "\n", "user:       alice  password " + cfg.User.Password,
		"weaknesses: code-reuse, pkce-optional\n", "config:     " + cfgPath} {
		if !strings.Contains(printed, w) {
			t.Errorf("output does not contain %q:\n%s", w, printed)
		}
	}
	for role, c := range cfg.Clients {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(role) + ` +` + regexp.QuoteMeta(c.ID) + ` `).MatchString(printed) {
			t.Errorf("output does not list client %s as %s:\n%s", c.ID, role, printed)
		}
	}

	// Discovery answers with the issuer of the config file.
	resp, err := http.Get(cfg.Issuer + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Issuer                 string   `json:"issuer"`
		TokenEndpoint          string   `json:"token_endpoint"`
		RegistrationEndpoint   string   `json:"registration_endpoint"`
		ResponseTypesSupported []string `json:"response_types_supported"`
	}
	decodeJSON(t, resp, http.StatusOK, &meta)
	if meta.Issuer != cfg.Issuer {
		t.Errorf("metadata issuer = %q, want %q", meta.Issuer, cfg.Issuer)
	}
	if meta.TokenEndpoint != cfg.Issuer+"/token" || meta.RegistrationEndpoint != cfg.Issuer+"/register" {
		t.Errorf("metadata endpoints = %q, %q, want under %s", meta.TokenEndpoint, meta.RegistrationEndpoint, cfg.Issuer)
	}

	// A client registered through RFC 7591, and the confidential clients
	// of the config file, get a client_credentials token.
	resp, err = http.Post(cfg.Issuer+"/register", "application/json", strings.NewReader(`{"grant_types":["client_credentials"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	decodeJSON(t, resp, http.StatusCreated, &reg)
	if reg.ClientID == "" || reg.ClientSecret == "" {
		t.Fatalf("registration = %+v, want a client id and secret", reg)
	}
	clients := []struct{ name, id, secret string }{
		{"registered", reg.ClientID, reg.ClientSecret},
		{target.RoleConfidential, cfg.Clients[target.RoleConfidential].ID, cfg.Clients[target.RoleConfidential].Secret},
		{target.RoleSpecial, cfg.Clients[target.RoleSpecial].ID, cfg.Clients[target.RoleSpecial].Secret},
	}
	for _, c := range clients {
		req, err := http.NewRequest(http.MethodPost, meta.TokenEndpoint, strings.NewReader("grant_type=client_credentials"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret)) // RFC 6749 §2.3.1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
		}
		decodeJSON(t, resp, http.StatusOK, &tok)
		if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "bearer") {
			t.Errorf("%s client: token response = %+v, want a bearer access token", c.name, tok)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serveReference = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serveReference did not return within 5s of cancel")
	}
	if !strings.HasSuffix(out.String(), "reference server stopped\n") {
		t.Errorf("output does not end with %q:\n%s", "reference server stopped", out.String())
	}
	if _, err := http.Get(cfg.Issuer + "/.well-known/oauth-authorization-server"); err == nil {
		t.Errorf("the server still answers after it stopped")
	}
}

func TestReferenceAddressInUse(t *testing.T) {
	t.Parallel()
	// A port that is taken: the first server holds it.
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- serveReference(ctx, referenceFlags{addr: "127.0.0.1:0"}, &out) }()
	defer func() {
		cancel()
		<-done
	}()
	re := regexp.MustCompile(`issuer: +http://(127\.0\.0\.1:[0-9]+)\n`)
	deadline := time.Now().Add(5 * time.Second)
	var m []string
	for m = re.FindStringSubmatch(out.String()); m == nil; m = re.FindStringSubmatch(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no issuer printed within 5s:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"reference", "--addr", m[1]}, &stdout, &stderr); code != exitUsage {
		t.Errorf("second server on %s: exit %d, want %d; stderr: %s", m[1], code, exitUsage, stderr.String())
	}
	if !strings.Contains(stderr.String(), "pick another --addr") {
		t.Errorf("stderr = %q, want advice to pick another --addr", stderr.String())
	}
}

func TestReferenceWriteConfigFails(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "ref.yaml")
	err := serveReference(context.Background(), referenceFlags{addr: "127.0.0.1:0", writeConfig: path}, &out)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--write-config") {
		t.Errorf("serveReference = %v, want a usageError about --write-config", err)
	}
}

// rolesOf returns the roles of cfg's clients in target.Roles order.
func rolesOf(cfg *target.Config) []string {
	var roles []string
	for _, r := range target.Roles {
		if cfg.Clients[r] != nil {
			roles = append(roles, r)
		}
	}
	return roles
}

// decodeJSON checks resp's status and JSON content type and decodes its body.
func decodeJSON(t *testing.T, resp *http.Response, wantStatus int, v any) {
	t.Helper()
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatalf("%s %s: read body: %v", resp.Request.Method, resp.Request.URL, err)
	}
	where := fmt.Sprintf("%s %s", resp.Request.Method, resp.Request.URL)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s: status %d, want %d; body: %s", where, resp.StatusCode, wantStatus, body.String())
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", where, ct)
	}
	if err := json.Unmarshal(body.Bytes(), v); err != nil {
		t.Fatalf("%s: decode %s: %v", where, body.String(), err)
	}
}
