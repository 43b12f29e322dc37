package login_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/login"
)

func TestBuiltins(t *testing.T) {
	if diff := cmp.Diff([]string{"reference"}, login.Builtins()); diff != "" {
		t.Errorf("Builtins mismatch (-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	for _, spec := range []string{"", "auto"} {
		a, err := login.Load(spec)
		if _, ok := a.(login.Auto); err != nil || !ok {
			t.Errorf("Load(%q) = %T, %v; want Auto", spec, a, err)
		}
	}
	for _, spec := range []string{"builtin:reference", "testdata/twostep.yaml"} {
		a, err := login.Load(spec)
		if err != nil {
			t.Fatalf("Load(%q): %v", spec, err)
		}
		s, ok := a.(*login.Script)
		if !ok || s.Name == "" || len(s.Steps) < 2 {
			t.Errorf("Load(%q) = %#v, want a parsed script", spec, a)
		}
	}
	tests := []struct {
		spec string
		want []string
	}{
		{"builtin:keycloak-99", []string{`no built-in profile "keycloak-99"`, "built-in: reference"}},
		{"testdata/missing.yaml", []string{"login: read script", "missing.yaml"}},
	}
	for _, tt := range tests {
		_, err := login.Load(tt.spec)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Load(%q): err = %v, want one that says %q", tt.spec, err, w)
			}
		}
	}
}

func TestParseScriptErrors(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"empty", ``, "login: parse script"},
		{"no steps", "name: x\nsteps: []\n", "login: script has no steps"},
		{"not YAML", "steps: [\n", "login: parse script"},
		{"unknown key", "name: x\nstep: []\n", "field step not found"},
		{"no condition", "steps:\n  - name: login\n    click: '#go'\n", "step 1 (login) has no when.url or when.selector"},
		{"bad regexp", "steps:\n  - name: ok\n    when: {selector: form}\n  - name: login\n    when: {url: '(['}\n", "step 2 (login): when.url: error parsing regexp"},
		{"click is a list", "steps:\n  - name: decide\n    when: {selector: form}\n    click: ['#a', '#b']\n", "step 1 (decide): click must be a selector or {approve, deny}"},
		{"click mapping of lists", "steps:\n  - name: decide\n    when: {selector: form}\n    click: {approve: ['#a']}\n", "step 1 (decide): click:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := login.ParseScript([]byte(tt.script))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseScript(%q) = %v, %v; want an error that says %q", tt.script, s, err, tt.want)
			}
		})
	}
}

func TestParseScript(t *testing.T) {
	s, err := login.ParseScript([]byte(`
name: vendor
steps:
  - name: login
    when: {url: '/login', selector: "form#login"}
    fill: {"#user": "{{username}}", "#pass": "{{password}}"}
    click: "#submit"
  - name: decide
    when: {selector: "#consent"}
    click: {approve: "#yes", deny: "#no"}
`))
	if err != nil {
		t.Fatalf("ParseScript: %v", err)
	}
	if s.Name != "vendor" || len(s.Steps) != 2 || s.Steps[0].When.URL != "/login" || s.Steps[0].Fill["#pass"] != "{{password}}" {
		t.Errorf("ParseScript = %+v", s)
	}
}

func TestStarterScript(t *testing.T) {
	tests := []struct {
		name          string
		d             browser.Diagnosis
		want          login.Step // Name, When, Fill and the click's selector in Click.Value
		approve, deny string
	}{
		{
			name: "login form",
			d: browser.Diagnosis{URL: "https://idp.example.com/u/login?state=x", Fields: []browser.Field{
				{Selector: "#identifier", Type: "email", Name: "identifier", Label: "Email"},
				{Selector: `input[name="pw"]`, Type: "password", Name: "pw"},
				{Selector: "#remember", Type: "checkbox", Name: "remember"},
			}, Buttons: []browser.Button{
				{Selector: "#forgot", Text: "Forgot password?", Type: "link"},
				{Selector: "#back", Text: "Back", Type: "button"},
				{Selector: "form > button", Text: "Sign in", Type: "submit"},
			}},
			want: login.Step{Name: "login", Fill: map[string]string{"#identifier": "{{username}}", `input[name="pw"]`: "{{password}}"}},
		},
		{
			name: "user code",
			d: browser.Diagnosis{URL: "https://idp.example.com/device", Fields: []browser.Field{
				{Selector: "#code", Type: "text", Name: "user_code", Label: "Code"},
			}, Buttons: []browser.Button{{Selector: "#go", Text: "Continue", Type: "submit"}}},
			want: login.Step{Name: "user_code", Fill: map[string]string{"#code": "{{user_code}}"}},
		},
		{
			name: "consent",
			d: browser.Diagnosis{URL: "https://idp.example.com/consent", Buttons: []browser.Button{
				{Selector: `button[name="action"][value="no"]`, Text: "Decline", Type: "submit"},
				{Selector: `button[name="action"][value="yes"]`, Text: "Accept", Type: "submit"},
			}},
			want:    login.Step{Name: "decide"},
			approve: `button[name="action"][value="yes"]`, deny: `button[name="action"][value="no"]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := login.StarterScript(tt.d)
			s, err := login.ParseScript([]byte(raw))
			if err != nil {
				t.Fatalf("ParseScript: %v\n%s", err, raw)
			}
			st := s.Steps[0]
			if st.Name != tt.want.Name || !cmp.Equal(st.Fill, tt.want.Fill, cmpopts.EquateEmpty()) {
				t.Errorf("step %s fill %v, want %s %v\n%s", st.Name, st.Fill, tt.want.Name, tt.want.Fill, raw)
			}
			u, _ := url.Parse(tt.d.URL)
			if !regexp.MustCompile(st.When.URL).MatchString(tt.d.URL) || regexp.MustCompile(st.When.URL).MatchString(u.Scheme+"://"+u.Host+"/other") ||
				st.When.Selector == "" || !strings.Contains(raw, st.When.Selector) {
				t.Errorf("when %+v does not pick the page out\n%s", st.When, raw)
			}
			if tt.approve != "" {
				var m map[string]string
				if err := st.Click.Decode(&m); err != nil || m["approve"] != tt.approve || m["deny"] != tt.deny {
					t.Errorf("click %v, %v; want approve %s and deny %s\n%s", m, err, tt.approve, tt.deny, raw)
				}
				return
			}
			if want := map[string]string{"login": "form > button", "user_code": "#go"}[tt.want.Name]; st.Click.Value != want {
				t.Errorf("click %q, want %q\n%s", st.Click.Value, want, raw)
			}
		})
	}
}
