package target_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/oauthcheck/oauthcheck/drivers/target"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// lookupMap is a lookup function for ParseConfig over env.
func lookupMap(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// noEnv is a lookup function that knows no variables.
func noEnv(string) (string, bool) { return "", false }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// designConfig is testdata/design.yaml, the example of DESIGN.md, with the
// variables of designEnv filled in.
func designConfig() *target.Config {
	return &target.Config{
		Issuer:      "https://idp.example.com/realms/test",
		Profile:     "bcp",
		RedirectURI: "http://127.0.0.1:8765/callback",
		Clients: map[string]*target.Client{
			target.RoleConfidential:  {ID: "oauthcheck-a", Secret: "secret-a", AuthMethod: "client_secret_basic"},
			target.RoleConfidential2: {ID: "oauthcheck-b", Secret: "secret-b"},
			target.RolePublic:        {ID: "oauthcheck-p"},
			target.RolePublic2:       {ID: "oauthcheck-p2"},
			target.RoleDevice:        {ID: "oauthcheck-d"},
			target.RoleDevice2:       {ID: "oauthcheck-d2"},
		},
		User:       &target.User{Username: "alice", Password: "pw-alice"},
		Login:      "auto",
		Scope:      "openid profile",
		ExtraScope: "email",
		Oracle:     "introspection",
	}
}

var designEnv = map[string]string{
	"OAUTHCHECK_A_SECRET": "secret-a",
	"OAUTHCHECK_B_SECRET": "secret-b",
	"OAUTHCHECK_PASSWORD": "pw-alice",
}

func TestParseConfigDesignExample(t *testing.T) {
	got, err := target.ParseConfig(readTestdata(t, "design.yaml"), lookupMap(designEnv))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if diff := cmp.Diff(designConfig(), got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadConfigReadsEnvironment(t *testing.T) {
	for k, v := range designEnv {
		t.Setenv(k, v)
	}
	got, err := target.LoadConfig(filepath.Join("testdata", "design.yaml"))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if diff := cmp.Diff(designConfig(), got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := target.LoadConfig(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadConfig(%s) error = %v, want one naming the file", path, err)
	}
}

func TestParseConfigUnsetVariables(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    []string // names the error must hold, in this order
		wantNot []string
		reason  string
	}{
		{
			name:    "one unset",
			env:     map[string]string{"OAUTHCHECK_A_SECRET": "a", "OAUTHCHECK_B_SECRET": "b"},
			want:    []string{"OAUTHCHECK_PASSWORD"},
			wantNot: []string{"OAUTHCHECK_A_SECRET", "OAUTHCHECK_B_SECRET"},
			reason:  "only the variable that is unset is named",
		},
		{
			name:   "all unset",
			env:    nil,
			want:   []string{"OAUTHCHECK_A_SECRET, OAUTHCHECK_B_SECRET, OAUTHCHECK_PASSWORD"},
			reason: "every unset variable is named, sorted, so one run lists them all",
		},
		{
			name:   "set to empty",
			env:    map[string]string{"OAUTHCHECK_A_SECRET": "", "OAUTHCHECK_B_SECRET": ""},
			want:   []string{"OAUTHCHECK_PASSWORD"},
			reason: "a variable set to the empty string is set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := target.ParseConfig(readTestdata(t, "design.yaml"), lookupMap(tt.env))
			if err == nil {
				t.Fatalf("ParseConfig succeeded, want an error (%s)", tt.reason)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not name %s (%s)", msg, w, tt.reason)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(msg, w) {
					t.Errorf("error %q names %s, which is set (%s)", msg, w, tt.reason)
				}
			}
			if !strings.Contains(msg, "export") {
				t.Errorf("error %q does not say how to fix it", msg)
			}
		})
	}
}

func TestParseConfigUnsetVariableNamedOnce(t *testing.T) {
	raw := []byte(`issuer: https://idp.example.com
clients:
  confidential: {id: a, secret: "${SHARED}"}
  confidential2: {id: b, secret: "${SHARED}"}
`)
	_, err := target.ParseConfig(raw, noEnv)
	if err == nil {
		t.Fatal("ParseConfig succeeded with an unset variable")
	}
	if n := strings.Count(err.Error(), "SHARED"); n != 1 {
		t.Errorf("error %q names SHARED %d times, want once", err, n)
	}
}

func TestParseConfigSecretsSurviveExpansion(t *testing.T) {
	tests := []struct {
		name   string
		secret string
	}{
		{"double quotes", `a"b"c`},
		{"single quotes", `it's 'quoted'`},
		{"backslashes", `back\slash\\ and \n not a newline`},
		{"hash", `before # after`},
		{"colon", `key: value`},
		{"yaml flow characters", `{[a, b]}: &anchor *alias !tag |`},
		{"dollar", `$HOME and $$ and ${`},
		{"reference left alone", `${NOT_EXPANDED}`},
		{"leading and trailing space", `  padded  `},
		{"newline", "line1\nline2"},
		{"reserved in basic auth", `a:b+c%d/e f&g=h`},
		{"unicode", `pässwörd✓`},
	}
	raw := []byte(`issuer: https://idp.example.com
clients:
  confidential: {id: "${ID}", secret: "${SECRET}"}
user:
  username: alice
  password: prefix-${SECRET}-suffix
`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ID": "client-1", "SECRET": tt.secret}
			got, err := target.ParseConfig(raw, lookupMap(env))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			want := &target.Config{
				Issuer:  "https://idp.example.com",
				Clients: map[string]*target.Client{target.RoleConfidential: {ID: "client-1", Secret: tt.secret}},
				User:    &target.User{Username: "alice", Password: "prefix-" + tt.secret + "-suffix"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigExpandsEveryValue(t *testing.T) {
	raw := []byte(`issuer: ${HOST}/realms/test
redirect_uri: ${HOST}/cb
clients:
  special: {id: "${ID}", secret: "${SECRET}"}
user: {username: "${USER_NAME}", password: "${PASSWORD}"}
login: ${LOGIN}
scope: ${SCOPE}
extra_scope: ${EXTRA}
oracle: ${HOST}/api
ca_file: ${CA}
`)
	env := map[string]string{
		"HOST": "https://idp.example.com", "ID": "s", "SECRET": "x", "USER_NAME": "bob", "PASSWORD": "pw",
		"LOGIN": "builtin:reference", "SCOPE": "openid", "EXTRA": "email", "CA": "/etc/ca.pem",
	}
	got, err := target.ParseConfig(raw, lookupMap(env))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := &target.Config{
		Issuer:      "https://idp.example.com/realms/test",
		RedirectURI: "https://idp.example.com/cb",
		Clients:     map[string]*target.Client{target.RoleSpecial: {ID: "s", Secret: "x"}},
		User:        &target.User{Username: "bob", Password: "pw"},
		Login:       "builtin:reference",
		Scope:       "openid",
		ExtraScope:  "email",
		Oracle:      "https://idp.example.com/api",
		CAFile:      "/etc/ca.pem",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr []string // substrings of the error
		reason  string
	}{
		{
			name:    "unknown key",
			raw:     "issuer: https://idp.example.com\nissuer_url: https://idp.example.com\n",
			wantErr: []string{"issuer_url"},
			reason:  "a misspelt key must not be ignored",
		},
		{
			name:    "unknown client key",
			raw:     "issuer: x\nclients:\n  public: {client_id: p}\n",
			wantErr: []string{"client_id"},
			reason:  "client entries are checked as strictly as the top level",
		},
		{
			name:    "unknown user key",
			raw:     "issuer: x\nuser: {name: alice, password: pw}\n",
			wantErr: []string{"name"},
			reason:  "user entries are checked as strictly as the top level",
		},
		{
			name:    "unknown role",
			raw:     "issuer: x\nclients:\n  confidental: {id: a}\n",
			wantErr: append([]string{`"confidental"`}, target.Roles...),
			reason:  "the error names the bad role and lists every valid one",
		},
		{
			name:    "bad profile",
			raw:     "issuer: x\nprofile: oauth3\n",
			wantErr: append([]string{`"oauth3"`}, target.Profiles...),
			reason:  "the error names the bad profile and lists every valid one",
		},
		{
			name:    "client without id",
			raw:     "issuer: x\nclients:\n  public: {secret: s}\n",
			wantErr: []string{`"public"`, "no id"},
			reason:  "a client needs an id",
		},
		{
			name:    "empty client",
			raw:     "issuer: x\nclients:\n  device:\n",
			wantErr: []string{`"device"`, "no id"},
			reason:  "a role with no value is a client without an id",
		},
		{
			name:    "id from empty variable",
			raw:     "issuer: x\nclients:\n  device: {id: \"${EMPTY}\"}\n",
			wantErr: []string{`"device"`, "no id"},
			reason:  "the id is checked after expansion",
		},
		{
			name:    "not a mapping",
			raw:     "- issuer: x\n",
			wantErr: []string{"target: parse config"},
			reason:  "a list is not a config file",
		},
		{
			name:    "wrong type",
			raw:     "issuer: x\nclients: [a, b]\n",
			wantErr: []string{"target: parse config"},
			reason:  "clients is a mapping of roles",
		},
		{
			name:    "bad yaml",
			raw:     "issuer: x\nclients: {public: {id: p}\n",
			wantErr: []string{"target: parse config"},
			reason:  "a syntax error is reported, not ignored",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := target.ParseConfig([]byte(tt.raw), lookupMap(map[string]string{"EMPTY": ""}))
			if err == nil {
				t.Fatalf("ParseConfig = %+v, want an error (%s)", got, tt.reason)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q (%s)", err, w, tt.reason)
				}
			}
		})
	}
}

// fullConfig sets every field, with secrets that YAML must quote.
func fullConfig() *target.Config {
	return &target.Config{
		Issuer:      "https://idp.example.com/realms/test",
		Profile:     "oauth2.1",
		RedirectURI: "http://127.0.0.1:8765/callback",
		Clients: map[string]*target.Client{
			target.RoleConfidential:  {ID: "oauthcheck-a", Secret: `quote" back\slash # hash: colon`, AuthMethod: "client_secret_basic"},
			target.RoleConfidential2: {ID: "oauthcheck-b", Secret: "'single' {flow} [seq] &a *b !t |", AuthMethod: "client_secret_post"},
			target.RolePublic:        {ID: "oauthcheck-p"},
			target.RolePublic2:       {ID: "oauthcheck-p2"},
			target.RoleDevice:        {ID: "oauthcheck-d", Secret: "  spaces  "},
			target.RoleDevice2:       {ID: "oauthcheck-d2"},
			target.RoleSpecial:       {ID: "oauthcheck-s", Secret: "a:b+c%d/e f&g=h\nnewline"},
		},
		User:       &target.User{Username: "alice", Password: "yes"},
		Login:      "builtin:reference",
		Scope:      "openid profile",
		ExtraScope: "email",
		Oracle:     "introspection",
		CAFile:     "/etc/ssl/lab-ca.pem",
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cfg  *target.Config
	}{
		{"every field", fullConfig()},
		{"issuer only", &target.Config{Issuer: "https://idp.example.com"}},
		{"design example", designConfig()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := tt.cfg.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := target.ParseConfig(raw, noEnv)
			if err != nil {
				t.Fatalf("ParseConfig of Marshal output: %v\n%s", err, raw)
			}
			if diff := cmp.Diff(tt.cfg, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s\nmarshalled:\n%s", diff, raw)
			}
		})
	}
}

// clientKeys returns the keys of the clients mapping of a marshalled config,
// in file order.
func clientKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, raw)
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "clients" {
			var keys []string
			m := top.Content[i+1]
			for j := 0; j < len(m.Content); j += 2 {
				keys = append(keys, m.Content[j].Value)
			}
			return keys
		}
	}
	t.Fatalf("no clients in\n%s", raw)
	return nil
}

func TestMarshalClientsInRoleOrder(t *testing.T) {
	tests := []struct {
		name   string
		roles  []string // the roles of the config, in any order
		want   []string
		reason string
	}{
		{
			name:   "every role",
			roles:  []string{"special", "device2", "device", "public2", "public", "confidential2", "confidential"},
			want:   target.Roles,
			reason: "the file shows the roles as DESIGN.md does, not alphabetically",
		},
		{
			name:   "some roles",
			roles:  []string{"device", "public", "confidential2"},
			want:   []string{"confidential2", "public", "device"},
			reason: "missing roles leave no gap",
		},
		{
			name:   "unknown roles last",
			roles:  []string{"zeta", "alpha", "device", "confidential"},
			want:   []string{"confidential", "device", "alpha", "zeta"},
			reason: "roles Marshal does not know go last, sorted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &target.Config{Issuer: "https://idp.example.com", Clients: map[string]*target.Client{}}
			for _, r := range tt.roles {
				cfg.Clients[r] = &target.Client{ID: "id-" + r}
			}
			raw, err := cfg.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, clientKeys(t, raw)); diff != "" {
				t.Errorf("client order mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestMarshalGolden(t *testing.T) {
	raw, err := fullConfig().Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	golden := filepath.Join("testdata", "marshal.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(raw)); diff != "" {
		t.Errorf("Marshal output mismatch (-want +got); run go test -update if the change is meant:\n%s", diff)
	}
}

// A login script and a CA file named in a config file are found beside
// it, wherever the run starts; built-in logins stay as they are.
func TestLoadConfigResolvesPaths(t *testing.T) {
	dir := t.TempDir()
	script := []byte("steps:\n  - name: login\n    when: {selector: \"#login\"}\n    click: \"#go\"\n")
	for _, p := range []string{filepath.Join(dir, "login.yaml"), filepath.Join(dir, "abs.yaml")} {
		if err := os.WriteFile(p, script, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write := func(login string) *target.Config {
		t.Helper()
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte("issuer: https://idp.example\nlogin: "+login+"\nca_file: ca.pem\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := target.LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := write("login.yaml")
	if c.Login != filepath.Join(dir, "login.yaml") || c.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("login %q, ca_file %q; want both in %s", c.Login, c.CAFile, dir)
	}
	for _, keep := range []string{"auto", "builtin:reference", filepath.Join(dir, "abs.yaml")} {
		if got := write(keep).Login; got != keep {
			t.Errorf("login %q became %q", keep, got)
		}
	}
}

// A "${" that starts no ${NAME} reference is an error naming the field,
// not a secret sent as it is, and the message does not repeat the value.
func TestParseConfigBrokenReference(t *testing.T) {
	_, err := target.ParseConfig([]byte("clients:\n  confidential: {id: a, secret: \"s3cr${\"}\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "clients.confidential.secret") || strings.Contains(err.Error(), "s3cr") {
		t.Fatalf("ParseConfig = %v; want an error naming clients.confidential.secret, without the value", err)
	}
}
