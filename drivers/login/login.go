// Package login acts in the browser as the test user would: it logs in,
// enters a device's user code, and approves or denies. A login script
// (YAML) names the pages and fields of one vendor; built-in profiles ship
// for known servers; "auto" finds the fields by itself.
package login

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtins lists the built-in profiles.
func Builtins() []string {
	entries, _ := builtinFS.ReadDir("builtin")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}

// Load returns the actor that the config's login value names: "auto" (or
// empty), "builtin:NAME", or the path of a login script.
func Load(spec string) (browser.Actor, error) {
	switch {
	case spec == "" || spec == "auto":
		return Auto{}, nil
	case strings.HasPrefix(spec, "builtin:"):
		name := strings.TrimPrefix(spec, "builtin:")
		raw, err := builtinFS.ReadFile(path.Join("builtin", name+".yaml"))
		if err != nil {
			return nil, fmt.Errorf("login: no built-in profile %q; built-in: %s", name, strings.Join(Builtins(), ", "))
		}
		return ParseScript(raw)
	}
	raw, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("login: read script: %w", err)
	}
	return ParseScript(raw)
}

// Script is a login script: steps tried in order on every page; the first
// whose condition holds acts.
type Script struct {
	Name  string `yaml:"name"`
	Steps []Step `yaml:"steps"`
}

// Step is one page of a script.
type Step struct {
	// Name is what the step does: login, user_code, decide, or any word.
	Name string `yaml:"name"`
	When struct {
		// URL is a regular expression the page URL must match.
		URL string `yaml:"url"`
		// Selector must match an element on the page.
		Selector string `yaml:"selector"`
	} `yaml:"when"`
	// Fill maps a selector to a value; {{username}}, {{password}} and
	// {{user_code}} stand for the task's values.
	Fill map[string]string `yaml:"fill"`
	// Click is a selector, or a mapping with approve and deny selectors.
	Click yaml.Node `yaml:"click"`

	urlRE         *regexp.Regexp
	click         string
	approve, deny string
}

// ParseScript parses a login script.
func ParseScript(raw []byte) (*Script, error) {
	var s Script
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("login: parse script: %w", err)
	}
	if len(s.Steps) == 0 {
		return nil, fmt.Errorf("login: script has no steps")
	}
	for i := range s.Steps {
		st := &s.Steps[i]
		if st.When.URL == "" && st.When.Selector == "" {
			return nil, fmt.Errorf("login: step %d (%s) has no when.url or when.selector", i+1, st.Name)
		}
		if st.When.URL != "" {
			re, err := regexp.Compile(st.When.URL)
			if err != nil {
				return nil, fmt.Errorf("login: step %d (%s): when.url: %w", i+1, st.Name, err)
			}
			st.urlRE = re
		}
		switch st.Click.Kind {
		case 0:
		case yaml.ScalarNode:
			st.click = st.Click.Value
		case yaml.MappingNode:
			var m map[string]string
			if err := st.Click.Decode(&m); err != nil {
				return nil, fmt.Errorf("login: step %d (%s): click: %w", i+1, st.Name, err)
			}
			st.approve, st.deny = m["approve"], m["deny"]
		default:
			return nil, fmt.Errorf("login: step %d (%s): click must be a selector or {approve, deny}", i+1, st.Name)
		}
	}
	return &s, nil
}

// Act implements [browser.Actor].
func (s *Script) Act(ctx context.Context, p *browser.Page, t browser.Task) (browser.Action, error) {
	u := p.URL()
	for _, st := range s.Steps {
		if st.urlRE != nil && !st.urlRE.MatchString(u) {
			continue
		}
		if st.When.Selector != "" && !p.Has(st.When.Selector) {
			continue
		}
		needsCode := false
		for _, v := range st.Fill {
			needsCode = needsCode || strings.Contains(v, "{{user_code}}")
		}
		if needsCode && t.UserCode == "" {
			continue
		}
		for sel, tmpl := range st.Fill {
			v := strings.NewReplacer("{{username}}", t.Username, "{{password}}", t.Password, "{{user_code}}", t.UserCode).Replace(tmpl)
			if err := p.Fill(sel, v); err != nil {
				return browser.ActNone, fmt.Errorf("login: step %s: %w", st.Name, err)
			}
		}
		did, sel := browser.Action(st.Name), st.click
		if st.approve != "" || st.deny != "" {
			did, sel = browser.ActApprove, st.approve
			if t.Deny {
				did, sel = browser.ActDeny, st.deny
			}
		}
		if sel != "" {
			if err := p.Click(sel); err != nil {
				return browser.ActNone, fmt.Errorf("login: step %s: %w", st.Name, err)
			}
		}
		return did, nil
	}
	return browser.ActNone, nil
}
