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
	"time"

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

// selectorWait is how long a script waits for a step's when.selector to
// appear on a page that is still rendering, before it decides that no
// step applies.
const selectorWait = 3 * time.Second

// hasAllJS tells which of the selectors match an element, and the page's
// address.
// A static page, loaded and without scripts or frames, shows all it ever
// will.
const hasAllJS = `(sels) => ({url: location.href, has: sels.map(s => { if (!s) return true;
  try { return !!document.querySelector(s); } catch (e) { return false; } }),
  static: document.readyState === 'complete' && document.scripts.length === 0 && !document.querySelector('iframe,frame,object,embed')})`

// match returns the first step whose condition holds on the page, and
// whether a step whose address matches may still see its selector
// appear: the page is not static.
func (s *Script) match(p *browser.Page, t browser.Task) (*Step, bool, error) {
	sels := make([]string, len(s.Steps))
	for i, st := range s.Steps {
		sels[i] = st.When.Selector
	}
	var look struct {
		URL    string `json:"url"`
		Has    []bool `json:"has"`
		Static bool   `json:"static"`
	}
	if err := p.Eval(hasAllJS, &look, sels); err != nil || len(look.Has) != len(sels) {
		return nil, true, err
	}
	pending := false
	for i := range s.Steps {
		st := &s.Steps[i]
		if st.urlRE != nil && !st.urlRE.MatchString(look.URL) {
			continue
		}
		if st.needsCode() && t.UserCode == "" {
			continue
		}
		if !look.Has[i] {
			pending = true
			continue
		}
		return st, false, nil
	}
	return nil, pending && !look.Static, nil
}

func (st *Step) needsCode() bool {
	for _, v := range st.Fill {
		if strings.Contains(v, "{{user_code}}") {
			return true
		}
	}
	return false
}

// Act implements [browser.Actor]. A step whose address matches but whose
// when.selector is not on the page yet is waited for, up to a few
// seconds, unless the page is static (loaded, no scripts) or an error
// page. Asked to deny, a step with
// {approve, deny} and no deny control on the page fails with
// [browser.ErrNoDeny].
func (s *Script) Act(ctx context.Context, p *browser.Page, t browser.Task) (browser.Action, error) {
	deadline := time.Now().Add(selectorWait)
	checkedError := false
	for {
		st, pending, err := s.match(p, t)
		if st != nil {
			return st.act(p, t)
		}
		if !pending || time.Now().After(deadline) || ctx.Err() != nil {
			return browser.ActNone, nil
		}
		if !checkedError && err == nil {
			if p.ErrorPage() != nil {
				return browser.ActNone, nil
			}
			checkedError = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// act does what the step says on the page.
func (st *Step) act(p *browser.Page, t browser.Task) (browser.Action, error) {
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
			switch {
			case sel != "" && p.Has(sel):
			case st.approve != "" && p.Has(st.approve), sel == "":
				return browser.ActNone, fmt.Errorf("login: step %s: %s is not on the page: %w", st.Name, orNone(st.deny), browser.ErrNoDeny)
			}
		}
	}
	if sel != "" {
		if err := p.Click(sel); err != nil {
			return browser.ActNone, fmt.Errorf("login: step %s: %w", st.Name, err)
		}
	}
	return did, nil
}

func orNone(sel string) string {
	if sel == "" {
		return "no deny selector"
	}
	return "the deny control " + sel
}
