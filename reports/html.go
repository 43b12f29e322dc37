package reports

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlFiles embed.FS

var (
	htmlCSS, htmlJS string
	htmlCSP         string
	htmlTemplate    = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"join":   strings.Join,
		"md":     inlineCode,
		"anchor": anchorOf,
	}).ParseFS(htmlFiles, "html/report.html.tmpl"))
)

func init() {
	css, err := htmlFiles.ReadFile("html/report.css")
	if err != nil {
		panic(err)
	}
	js, err := htmlFiles.ReadFile("html/report.js")
	if err != nil {
		panic(err)
	}
	htmlCSS, htmlJS = string(css), string(js)
	// The page may run only its own style and script, and show only
	// inline images: nothing can load from the network, even if a
	// recorded body held markup.
	htmlCSP = fmt.Sprintf("default-src 'none'; img-src data:; style-src '%s'; script-src '%s'; "+
		"base-uri 'none'; form-action 'none'", cspHash(htmlCSS), cspHash(htmlJS))
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// WriteHTML writes results as one self-contained HTML page: inline CSS and
// a little inline script, screenshots as data: URIs, and a content
// security policy that forbids loading anything else. It shows the run's
// meta, the counts by verdict (in elements with the ids count-PASS,
// count-FAIL, count-WARN, count-INFO, count-SKIP, count-total,
// count-expected and count-stale), tables by flow and by level, a filter
// by verdict (checkboxes that work without script), and each check with
// its requirement, verdict, findings, links to its sections and, folded,
// its evidence. It reads well on a phone and prints with all evidence
// shown. The output depends only on its input.
func WriteHTML(w io.Writer, results []Result, meta Meta) error {
	if err := htmlTemplate.Execute(w, newHTMLData(results, meta)); err != nil {
		return fmt.Errorf("reports: write html: %w", err)
	}
	return nil
}

type htmlData struct {
	Meta     Meta
	Title    string
	CSS      template.CSS
	JS       template.JS
	CSP      string
	Started  string
	Duration string
	Flows    string
	FailOn   string
	Failed   bool
	Status   string
	Counts   Counts
	Verdicts []catalogue.Verdict
	Totals   []htmlCell
	ByFlow   []htmlRow
	ByLevel  []htmlRow
	Groups   []htmlGroup
	Stale    []StaleExpectation
	// PreflightShot is the preflight's screenshot as a data URL.
	PreflightShot template.URL
}

type htmlCell struct {
	Verdict catalogue.Verdict
	N       int
}

type htmlRow struct {
	Name  string
	Cells []htmlCell
	Total int
}

type htmlGroup struct {
	Name    string
	Summary string
	Results []htmlResult
}

type htmlResult struct {
	*Result
	Anchor          string
	Tags            []string
	HTMLFindings    []htmlFinding
	Transcripts     []string
	StepLines       []string
	Shots           []htmlShot
	HasEvidence     bool
	EvidenceSummary string
}

type htmlFinding struct {
	Verdict catalogue.Verdict
	Ref     string
	URL     string
	Message string
}

type htmlShot struct {
	Note string
	Src  template.URL
}

func newHTMLData(results []Result, meta Meta) htmlData {
	counts := Count(results)
	failOn := failOnOf(meta)
	failed := Failed(results, failOn, meta.StrictExpect) || len(meta.Problems) > 0
	d := htmlData{
		Meta:     meta,
		CSS:      template.CSS(htmlCSS),
		JS:       template.JS(htmlJS),
		CSP:      htmlCSP,
		FailOn:   failOnText(failOn, meta.StrictExpect),
		Failed:   failed,
		Counts:   counts,
		Verdicts: Verdicts,
		Stale:    StaleOf(results),
		Flows:    strings.Join(meta.Flows, ", "),
	}
	if !meta.Start.IsZero() {
		d.Started = meta.Start.UTC().Format(time.RFC3339)
	}
	if pf := meta.Preflight; pf != nil && isPNG(pf.Screenshot) {
		d.PreflightShot = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(pf.Screenshot))
	}
	if meta.Duration > 0 {
		d.Duration = meta.Duration.Round(time.Millisecond).String()
	}
	if d.Flows == "" {
		d.Flows = strings.Join(FlowsOf(results), ", ")
	}
	d.Status = "Passed: nothing at or above the --fail-on level failed."
	if failed {
		n := 0
		for i := range results {
			if results[i].Failing(failOn, meta.StrictExpect) {
				n++
			}
		}
		var why []string
		if n > 0 {
			why = append(why, fmt.Sprintf("%d %s the run", n, plural(n, "check fails", "checks fail")))
		}
		if p := len(meta.Problems); p > 0 {
			why = append(why, fmt.Sprintf("%d %s outside the checks", p, plural(p, "problem", "problems")))
		}
		d.Status = "Failed: " + strings.Join(why, "; ") + "."
	}
	title := "oauthcheck"
	if meta.Issuer != "" {
		title += " " + meta.Issuer
	}
	d.Title = fmt.Sprintf("%s: %d FAIL, %d ERROR, %d WARN of %d checks", title, counts.ByVerdict[catalogue.Fail], counts.ByVerdict[catalogue.Error], counts.ByVerdict[catalogue.Warn], counts.Total)
	for _, v := range Verdicts {
		d.Totals = append(d.Totals, htmlCell{Verdict: v, N: counts.ByVerdict[v]})
	}
	for _, f := range FlowsOf(results) {
		var sub []Result
		g := htmlGroup{Name: f}
		for i := range results {
			if results[i].flowName() == f {
				sub = append(sub, results[i])
				g.Results = append(g.Results, newHTMLResult(&results[i], i))
			}
		}
		c := Count(sub)
		d.ByFlow = append(d.ByFlow, row(f, c))
		g.Summary = c.String()
		d.Groups = append(d.Groups, g)
	}
	for _, l := range levelsOf(results) {
		var sub []Result
		for i := range results {
			if levelName(&results[i]) == l {
				sub = append(sub, results[i])
			}
		}
		d.ByLevel = append(d.ByLevel, row(l, Count(sub)))
	}
	return d
}

func failOnText(failOn string, strict bool) string {
	s := "FAIL (--fail-on must)"
	if failOn == FailOnShould {
		s = "FAIL or WARN (--fail-on should)"
	}
	if strict {
		s += ", and stale expectations (--strict-expect)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func row(name string, c Counts) htmlRow {
	r := htmlRow{Name: name, Total: c.Total}
	for _, v := range Verdicts {
		r.Cells = append(r.Cells, htmlCell{Verdict: v, N: c.ByVerdict[v]})
	}
	return r
}

// levelOrder is the order of the levels in the summary, strongest first.
var levelOrder = []string{"MUST", "REQ", "SHOULD", "MAY", "DERIVED"}

func levelName(r *Result) string {
	if r.Level == "" {
		return "other"
	}
	return r.Level
}

func levelsOf(results []Result) []string {
	have := map[string]bool{}
	for i := range results {
		have[levelName(&results[i])] = true
	}
	var out []string
	for _, l := range levelOrder {
		if have[l] {
			out = append(out, l)
			delete(have, l)
		}
	}
	rest := make([]string, 0, len(have))
	for l := range have {
		rest = append(rest, l)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func anchorOf(id string) string { return "check-" + id }

func newHTMLResult(r *Result, i int) htmlResult {
	h := htmlResult{Result: r, Anchor: anchorOf(r.ID)}
	if r.ID == "" {
		h.Anchor = fmt.Sprintf("result-%d", i+1)
	}
	for _, t := range []string{r.Level, r.Priority} {
		if t != "" {
			h.Tags = append(h.Tags, t)
		}
	}
	if r.Duration > 0 {
		h.Tags = append(h.Tags, r.Duration.Round(time.Millisecond).String())
	}
	for _, f := range r.Findings {
		h.HTMLFindings = append(h.HTMLFindings, htmlFinding{Verdict: f.Verdict, Ref: f.Ref, URL: catalogue.RefURL(f.Ref), Message: f.Message})
	}
	for i := range r.Exchanges {
		h.Transcripts = append(h.Transcripts, r.Exchanges[i].Transcript())
	}
	for i := range r.Browser {
		h.StepLines = append(h.StepLines, r.Browser[i].Line())
	}
	for _, s := range r.Screenshots {
		if isPNG(s.PNG) {
			h.Shots = append(h.Shots, htmlShot{Note: s.Note,
				Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(s.PNG))})
		}
	}
	var parts []string
	if n := len(h.Transcripts); n > 0 {
		parts = append(parts, fmt.Sprintf("%d HTTP %s", n, plural(n, "exchange", "exchanges")))
	}
	if n := len(h.StepLines); n > 0 {
		parts = append(parts, fmt.Sprintf("%d browser %s", n, plural(n, "step", "steps")))
	}
	if n := len(h.Shots); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, "screenshot", "screenshots")))
	}
	if r.Output != "" {
		parts = append(parts, "output")
	}
	h.HasEvidence = len(parts) > 0
	h.EvidenceSummary = strings.Join(parts, ", ")
	return h
}

// inlineCode renders the catalogue's `code` spans as <code>, escaping
// everything else.
func inlineCode(s string) template.HTML {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: show it as it is
		return template.HTML(template.HTMLEscapeString(s))
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return template.HTML(b.String())
}
