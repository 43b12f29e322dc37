// Package catalogue is oauthcheck's check catalogue as data: every check
// with its stable ID, group, flow, priority, requirement level, references,
// requirement, test procedure and grading, together with the vocabulary the
// engine and the reports share (flows, levels, verdicts and the names and
// payload of the report entries).
//
// The catalogue is written in checks.yaml beside this file; catalogue_gen.go
// and the catalogue table in the repository's README.md are generated from
// it by go generate ./suites/catalogue. The package imports the standard
// library only, so that anything in the module can import it.
package catalogue

//go:generate go run ./internal/gen

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Flow is the suite a check belongs to.
type Flow string

// The flows, one per suite; groups 11 to 16 of the catalogue all belong to
// Security.
const (
	Discovery     Flow = "discovery"
	Authcode      Flow = "authcode"
	PKCE          Flow = "pkce"
	Implicit      Flow = "implicit"
	ClientCreds   Flow = "clientcreds"
	Device        Flow = "device"
	Refresh       Flow = "refresh"
	TokenEndpoint Flow = "tokenendpoint"
	Revocation    Flow = "revocation"
	Introspection Flow = "introspection"
	Security      Flow = "security"
)

// Flows lists the flows in catalogue order.
var Flows = []Flow{Discovery, Authcode, PKCE, Implicit, ClientCreds, Device, Refresh,
	TokenEndpoint, Revocation, Introspection, Security}

// ParseFlow parses the name of a flow, such as "pkce".
func ParseFlow(s string) (Flow, error) {
	for _, f := range Flows {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("catalogue: unknown flow %q; valid: %s", s, join(Flows))
}

// Level is the strongest BCP 14 keyword a check enforces under the default
// profile (RFC 6749 with RFC 9700).
type Level string

// The levels.
const (
	Must    Level = "MUST"    // MUST, MUST NOT, REQUIRED, or the same from RFC 9700
	Should  Level = "SHOULD"  // SHOULD, SHOULD NOT, RECOMMENDED, or the same from RFC 9700
	May     Level = "MAY"     // MAY, OPTIONAL
	Req     Level = "REQ"     // behaviour the spec defines without a keyword, such as an error code
	Derived Level = "DERIVED" // no explicit statement: inferred from related normative text
)

// Levels lists the levels from the strongest keyword to the weakest claim.
var Levels = []Level{Must, Should, May, Req, Derived}

// Priority is a check's priority: P1 is the core of the mission, P2
// important hygiene, P3 advisory.
type Priority string

// The priorities.
const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
)

// Priorities lists the priorities, the most important first.
var Priorities = []Priority{P1, P2, P3}

// Browser tells whether a check needs the browser.
type Browser string

// The browser needs.
const (
	BrowserYes      Browser = "yes"      // the check needs a code or consent
	BrowserNo       Browser = "no"       // plain HTTP only
	BrowserOptional Browser = "optional" // one optional part uses the browser
	BrowserMixed    Browser = "mixed"    // it inspects responses of flows with and without the browser
	BrowserPartial  Browser = "partial"  // some parts need the browser, others do not
)

// Browsers lists the browser needs.
var Browsers = []Browser{BrowserYes, BrowserNo, BrowserOptional, BrowserMixed, BrowserPartial}

// Verdict is the outcome of a check, or of one finding of it.
type Verdict string

// The verdicts.
const (
	Pass  Verdict = "PASS"  // the requirement holds
	Fail  Verdict = "FAIL"  // a MUST, MUST NOT or BCP-MUST is broken
	Error Verdict = "ERROR" // the check could not run to a verdict
	Warn  Verdict = "WARN"  // a SHOULD is broken, or a MUST that only a stricter profile demands
	Info  Verdict = "INFO"  // an observation
	Skip  Verdict = "SKIP"  // the target does not offer what the check needs
)

// Verdicts lists the verdicts in the order reports count them.
var Verdicts = []Verdict{Pass, Fail, Error, Warn, Info, Skip}

// Severity orders verdicts from the best to the worst: PASS 0, INFO 1,
// SKIP 2, WARN 3, ERROR 4, FAIL 5. An unknown verdict is a defect and ranks
// with FAIL.
func (v Verdict) Severity() int {
	switch v {
	case Pass:
		return 0
	case Info:
		return 1
	case Skip:
		return 2
	case Warn:
		return 3
	case Error:
		return 4
	}
	return 5
}

// ParseVerdict parses a verdict such as "WARN".
func ParseVerdict(s string) (Verdict, error) {
	for _, v := range Verdicts {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("catalogue: unknown verdict %q; valid: %s", s, join(Verdicts))
}

// Grade is one line of a check's grading: the verdict it gives, and when.
type Grade struct {
	Verdict Verdict
	When    string
}

// Check is one entry of the catalogue.
type Check struct {
	ID         string // stable: reports, labels and expect files use it
	Group      int    // 1 to 16
	GroupTitle string
	Flow       Flow
	Priority   Priority
	Level      Level
	// LevelNote tells, in short, which keywords of which documents the
	// level comes from.
	LevelNote string
	// Refs holds one reference per document and section, such as
	// "RFC 6749 §4.1.2".
	Refs        []string
	Requirement string
	Test        string  // the black-box procedure
	Grades      []Grade // in order
	Browser     Browser
	Wait        string // how long the check may wait, or empty
}

var byID = func() map[string]*Check {
	m := make(map[string]*Check, len(catalogue))
	for i := range catalogue {
		m[catalogue[i].ID] = &catalogue[i]
	}
	return m
}()

// Lookup returns the check with the given ID.
func Lookup(id string) (*Check, bool) {
	c, ok := byID[id]
	return c, ok
}

// All returns a copy of the catalogue, in catalogue order.
func All() []Check {
	out := make([]Check, len(catalogue))
	copy(out, catalogue)
	for i := range out {
		out[i].Refs = append([]string(nil), out[i].Refs...)
		out[i].Grades = append([]Grade(nil), out[i].Grades...)
	}
	return out
}

// Labels are the check's ginkgo labels: id:, flow:, level:, priority: and
// one ref: per reference.
func (c *Check) Labels() []string {
	l := []string{"id:" + c.ID, "flow:" + string(c.Flow), "level:" + string(c.Level), "priority:" + string(c.Priority)}
	for _, r := range c.Refs {
		if lr := RefLabel(r); lr != "" {
			l = append(l, "ref:"+lr)
		}
	}
	return l
}

var labelUnsafe = regexp.MustCompile(`[^A-Za-z0-9.\-_]+`)

// RefLabel turns "RFC 6749 §4.1.2" into "RFC6749-4.1.2", a ginkgo label
// value (labels may not hold &|!,()/ or spaces).
func RefLabel(ref string) string {
	ref = strings.ReplaceAll(ref, "§", "-")
	ref = strings.ReplaceAll(ref, "OAuth 2.1", "OAuth2.1")
	ref = labelUnsafe.ReplaceAllString(strings.ReplaceAll(ref, " -", "-"), "")
	return strings.Trim(ref, "-")
}

var rfcRef = regexp.MustCompile(`^RFC (\d+)(?: §([0-9.]+))?`)

// RefURL links a reference such as "RFC 6749 §4.1.2" to its text, or
// returns "" when it does not know where the document lives.
func RefURL(ref string) string {
	if m := rfcRef.FindStringSubmatch(ref); m != nil {
		u := "https://www.rfc-editor.org/rfc/rfc" + m[1]
		if m[2] != "" {
			u += "#section-" + strings.TrimSuffix(m[2], ".")
		}
		return u
	}
	if strings.HasPrefix(ref, "OAuth 2.1") {
		return "https://datatracker.ietf.org/doc/draft-ietf-oauth-v2-1/"
	}
	if strings.HasPrefix(ref, "OIDC Disc") {
		return "https://openid.net/specs/openid-connect-discovery-1_0.html"
	}
	return ""
}

// The names of the report entries: the engine writes them, the reports
// read them.
const (
	EntryVerdict    = "oauthcheck.verdict"    // a VerdictEntry
	EntryExchanges  = "oauthcheck.exchanges"  // the check's HTTP exchanges
	EntryBrowser    = "oauthcheck.browser"    // the check's browser steps
	EntryScreenshot = "oauthcheck.screenshot" // a screenshot, base64 PNG
	EntryMeta       = "oauthcheck.meta"       // what a run tested, and how
)

// Finding is one observation behind a verdict.
type Finding struct {
	Verdict Verdict `json:"verdict"`
	// Ref is the section the finding is about.
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message"`
}

func (f Finding) String() string {
	if f.Ref != "" {
		return fmt.Sprintf("%s (%s): %s", f.Verdict, f.Ref, f.Message)
	}
	return fmt.Sprintf("%s: %s", f.Verdict, f.Message)
}

// Findings is a list of findings, one line each.
type Findings []Finding

func (fs Findings) String() string {
	lines := make([]string, 0, len(fs))
	for _, f := range fs {
		lines = append(lines, f.String())
	}
	return strings.Join(lines, "\n")
}

// VerdictEntry is the payload of the EntryVerdict report entry.
type VerdictEntry struct {
	ID       string   `json:"id"`
	Verdict  Verdict  `json:"verdict"`
	Findings Findings `json:"findings"`
	Refs     []string `json:"refs"`
	// Waited is how long the check waited for what the protocol forced
	// (an expiry, a polling interval), in nanoseconds.
	Waited time.Duration `json:"waited_ns,omitempty"`
	// Serial is set when the check ran by itself or after the others of
	// its flow, so that its waits add to theirs.
	Serial bool `json:"serial,omitempty"`
}

func (v VerdictEntry) String() string {
	return fmt.Sprintf("%s %s\n%s", v.Verdict, v.ID, v.Findings)
}

// ScreenshotEntry is the payload of the EntryScreenshot report entry: a
// PNG, base64-encoded in the JSON report.
type ScreenshotEntry struct {
	Note string `json:"note"`
	PNG  string `json:"png_base64"`
}

func (s ScreenshotEntry) String() string { return "screenshot: " + s.Note }

// Markdown is the catalogue as a markdown table, one row per check: its ID,
// flow, priority, level, references and requirement. The README's
// catalogue section holds it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| check | flow | priority | level | references | requirement |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for i := range catalogue {
		c := &catalogue[i]
		cells := []string{c.ID, string(c.Flow), string(c.Priority), string(c.Level),
			strings.Join(c.Refs, "; "), c.Requirement}
		b.WriteString("|")
		for _, cell := range cells {
			b.WriteString(" " + markdownCell(cell) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// markdownCell escapes text for a cell of a markdown table.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

func join[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
