package login

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
)

func init() {
	// Every diagnosis of a program that uses these actors gets a starter
	// script.
	browser.DiagnosisScript = StarterScript
}

// How the starter script reads fields and buttons, as Auto does.
var (
	codeRE     = regexp.MustCompile(`(?i)code`)
	userRE     = regexp.MustCompile(`(?i)user|login|e-?mail|account|identifier|name`)
	approveRE  = regexp.MustCompile(`(?i)^(allow|accept|approve|authori[sz]e|grant|yes|consent|agree|share|continue|confirm|ok)\b`)
	denyRE     = regexp.MustCompile(`(?i)^(deny|decline|reject|cancel|abort|refuse|disallow|no\b|don.?t allow|do not allow)`)
	onwardRE   = regexp.MustCompile(`(?i)^(sign ?in|log ?in|next|continue|submit|verify|proceed|go|ok|enter|confirm)\b`)
	negativeRE = regexp.MustCompile(`(?i)cancel|deny|decline|abort|back|forgot|reset|sign ?up|register|create|another|different|help|show|hide`)
)

func texty(f browser.Field) bool {
	switch f.Type {
	case "text", "email", "tel", "search", "number", "":
		return true
	}
	return false
}

func about(f browser.Field) string {
	return strings.Join([]string{f.Name, f.ID, f.Placeholder, f.Label}, " ")
}

// StarterScript writes a login script, in the format [ParseScript] reads,
// with one step for the page that d describes: when its address and a
// field or button of it are there, fill the username, password or user
// code fields it found, and click the likeliest submit button, or the
// approve and deny buttons of a consent page. It is a start for a person
// to check and extend, not a script that is known to work.
func StarterScript(d browser.Diagnosis) string {
	var pw, user, code *browser.Field
	for i := range d.Fields {
		f := &d.Fields[i]
		switch {
		case f.Type == "password" && pw == nil:
			pw = f
		case texty(*f) && codeRE.MatchString(about(*f)) && code == nil:
			code = f
		case texty(*f) && userRE.MatchString(about(*f)) && user == nil:
			user = f
		}
	}
	if user == nil && pw != nil {
		// The text field before the password field.
		for i := range d.Fields {
			f := &d.Fields[i]
			if f == pw {
				break
			}
			if texty(*f) && f != code {
				user = f
			}
		}
	}
	var approve, deny, submit, first *browser.Button
	for i := range d.Buttons {
		b := &d.Buttons[i]
		if first == nil && b.Type != "link" {
			first = b
		}
		if approve == nil && approveRE.MatchString(b.Text) {
			approve = b
		}
		if deny == nil && denyRE.MatchString(b.Text) {
			deny = b
		}
		if negativeRE.MatchString(b.Text) || b.Type == "link" || b.Type == "reset" {
			continue
		}
		if submit == nil || (!onwardRE.MatchString(submit.Text) && onwardRE.MatchString(b.Text)) {
			submit = b
		}
	}

	step := &yaml.Node{Kind: yaml.MappingNode}
	when := flowMap()
	if u, err := url.Parse(d.URL); err == nil && u.Path != "" {
		addPair(when, "url", regexp.QuoteMeta(u.Path)+`([?#]|$)`)
	}
	fill := flowMap()
	name, distinct := "step", ""
	var click *yaml.Node
	clickOn := func(b *browser.Button) {
		if b != nil {
			click = scalar(b.Selector)
		}
	}
	switch {
	case pw != nil:
		name, distinct = "login", pw.Selector
		if user != nil {
			addPair(fill, user.Selector, "{{username}}")
		}
		addPair(fill, pw.Selector, "{{password}}")
		clickOn(submit)
	case code != nil:
		name, distinct = "user_code", code.Selector
		addPair(fill, code.Selector, "{{user_code}}")
		clickOn(submit)
	case user != nil:
		name, distinct = "login", user.Selector
		addPair(fill, user.Selector, "{{username}}")
		clickOn(submit)
	case approve != nil || deny != nil:
		name = "decide"
		click = flowMap()
		if approve != nil {
			distinct = approve.Selector
			addPair(click, "approve", approve.Selector)
		}
		if deny != nil {
			if distinct == "" {
				distinct = deny.Selector
			}
			addPair(click, "deny", deny.Selector)
		}
	case len(d.Fields) > 0:
		// Fields it cannot place: the person fills them in.
		distinct = d.Fields[0].Selector
		if submit != nil {
			first = submit
		}
		clickOn(first)
	case submit != nil:
		name, distinct = "continue", submit.Selector
		clickOn(submit)
	case first != nil:
		distinct = first.Selector
		clickOn(first)
	}
	if distinct != "" {
		addPair(when, "selector", distinct)
	}
	if len(when.Content) == 0 {
		addPair(when, "url", ".")
	}
	addPair(step, "name", name)
	step.Content = append(step.Content, scalar("when"), when)
	if len(fill.Content) > 0 {
		step.Content = append(step.Content, scalar("fill"), fill)
	}
	if click != nil {
		step.Content = append(step.Content, scalar("click"), click)
	}
	doc := &yaml.Node{Kind: yaml.MappingNode}
	addPair(doc, "name", "starter")
	doc.Content = append(doc.Content, scalar("steps"), &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{step}})
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return ""
	}
	_ = enc.Close()

	var head strings.Builder
	comment := func(format string, args ...any) {
		head.WriteString("# " + strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ") + "\n")
	}
	comment("A starter login script that oauthcheck wrote for the page %s (%q).", d.URL, d.Title)
	comment("Check the selectors and the click, add a step for each page of the login,")
	comment("then set login: to this file's path. The page's fields and buttons:")
	for _, f := range d.Fields {
		comment("field %s type=%s name=%q label=%q placeholder=%q", f.Selector, f.Type, f.Name, f.Label, f.Placeholder)
	}
	for _, x := range d.Buttons {
		comment("%s %s %q", x.Type, x.Selector, x.Text)
	}
	return head.String() + b.String()
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func flowMap() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle} }

func addPair(m *yaml.Node, k, v string) { m.Content = append(m.Content, scalar(k), scalar(v)) }
