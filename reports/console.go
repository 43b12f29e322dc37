package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

// ConsoleOptions shape the console summary.
type ConsoleOptions struct {
	// Color uses ANSI colours; leave it off when NO_COLOR is set or the
	// output is not a terminal.
	Color bool
	// Quiet prints the final counts line, after a table of what went wrong
	// unexpectedly: FAIL and ERROR verdicts that no expectation covers, and
	// stale expectations. A quiet run that fails still says why.
	Quiet bool
}

// maxHeadline is how much of a finding the console shows; the HTML and
// JUnit reports have all of it.
const maxHeadline = 240

// WriteSummary writes the console summary: a table of the checks that did
// not pass (verdict, ID, the finding behind the verdict with its section),
// the counts by flow, the stale expectations, the expectations of checks
// that did not run, the problems outside any check, and a last line with
// the counts by verdict and the run time.
func WriteSummary(w io.Writer, results []Result, meta Meta, opts ConsoleOptions) error {
	p := &printer{w: w, color: opts.Color}
	counts := Count(results)
	if opts.Quiet {
		var wrong []Result
		for _, r := range results {
			if r.Stale() || !r.Expected && (r.Verdict == catalogue.Fail || r.Verdict == catalogue.Error) {
				wrong = append(wrong, r)
			}
		}
		p.table(wrong)
	} else {
		p.table(results)
		p.byFlow(results)
		if stale := StaleOf(results); len(stale) > 0 {
			p.printf("\n%s\n", p.paint("1", "Stale expectations (expected deviations that did not happen):"))
			for _, s := range stale {
				p.printf("  %s\n", s)
			}
		}
		if len(meta.NotRun) > 0 {
			p.printf("\n%s\n", p.paint("1", "Expectations of checks that this run did not select (--flows, --label-filter, the reports merged); none was judged:"))
			for _, e := range meta.NotRun {
				p.printf("  %s\n", oneLine(e.String()))
			}
		}
		if pf := meta.Preflight; pf != nil {
			p.printf("\n%s\n", p.paint("1;35", "The login preflight could not complete: the browser checks are ERROR."))
			for _, l := range pf.Lines() {
				p.printf("  %s\n", l)
			}
			if pf.Script != "" {
				p.printf("  a starter login script for this page (save it, adjust it, and name it in the config's login:):\n")
				for _, l := range strings.Split(strings.TrimRight(pf.Script, "\n"), "\n") {
					p.printf("    %s\n", l)
				}
			}
		}
		if len(meta.Problems) > 0 {
			p.printf("\n%s\n", p.paint("1;31", "Problems outside the checks:"))
			for _, pr := range meta.Problems {
				p.printf("  %s\n", oneLine(pr))
			}
		}
		p.printf("\n")
	}
	p.printf("%s\n", p.countsLine(counts, meta))
	return p.err
}

type printer struct {
	w     io.Writer
	color bool
	err   error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// paint wraps s in an ANSI style when colour is on.
func (p *printer) paint(style, s string) string {
	if !p.color || style == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

func verdictStyle(v catalogue.Verdict) string {
	switch v {
	case catalogue.Pass:
		return "32"
	case catalogue.Fail:
		return "1;31"
	case catalogue.Error:
		return "1;35"
	case catalogue.Warn:
		return "33"
	case catalogue.Info:
		return "36"
	case catalogue.Skip:
		return "34"
	}
	return ""
}

func (p *printer) table(results []Result) {
	var rows []*Result
	idWidth := len("ID")
	for i := range results {
		r := &results[i]
		if r.Verdict == catalogue.Pass && !r.Stale() {
			continue
		}
		rows = append(rows, r)
		idWidth = max(idWidth, utf8.RuneCountInString(tableID(r)))
	}
	if len(rows) == 0 {
		return
	}
	// Worst first; unexpected before expected; then catalogue order.
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if sa, sb := a.Verdict.Severity(), b.Verdict.Severity(); sa != sb {
			return sa > sb
		}
		return !a.Expected && b.Expected
	})
	p.printf("%s\n", p.paint("1", fmt.Sprintf("%-8s %-*s  %s", "VERDICT", idWidth, "ID", "FINDING")))
	for _, r := range rows {
		v := fmt.Sprintf("%-8s", r.Verdict)
		if r.Expected {
			v = fmt.Sprintf("%-8s", string(r.Verdict)+"*")
		}
		style := verdictStyle(r.Verdict)
		if r.Expected {
			style = "2"
		}
		line := tableLine(r)
		switch {
		case r.Expected:
			line += p.paint("2", " (expected: "+r.Expectation.Reason+")")
		case r.Stale():
			line += p.paint("1", fmt.Sprintf(" (stale expectation: expected %s)", r.Expectation.Verdict))
		}
		p.printf("%s %-*s  %s\n", p.paint(style, v), idWidth, tableID(r), line)
	}
	if anyExpected(rows) {
		p.printf("%s\n", p.paint("2", "* expected (--expect): does not fail the run"))
	}
}

func tableID(r *Result) string {
	if r.ID == "" {
		return "(" + r.flowName() + ")"
	}
	return r.ID
}

func tableLine(r *Result) string {
	line := r.Headline()
	if r.ID == "" {
		line = oneLine(r.Requirement) + ": " + line
	}
	if utf8.RuneCountInString(line) > maxHeadline {
		rs := []rune(line)
		line = string(rs[:maxHeadline-1]) + "…"
	}
	return line
}

func anyExpected(rs []*Result) bool {
	for _, r := range rs {
		if r.Expected {
			return true
		}
	}
	return false
}

func (p *printer) byFlow(results []Result) {
	flows := FlowsOf(results)
	if len(flows) < 2 {
		return
	}
	width := 0
	for _, f := range flows {
		width = max(width, len(f))
	}
	p.printf("\n%s\n", p.paint("1", "By flow:"))
	for _, f := range flows {
		var sub []Result
		for i := range results {
			if results[i].flowName() == f {
				sub = append(sub, results[i])
			}
		}
		p.printf("  %-*s  %s\n", width, f, p.verdictCounts(Count(sub)))
	}
}

// verdictCounts is "5 checks: 2 PASS, 2 FAIL, …" with each non-zero count
// in its verdict's colour.
func (p *printer) verdictCounts(c Counts) string {
	parts := make([]string, len(Verdicts))
	for i, v := range Verdicts {
		s := fmt.Sprintf("%d %s", c.ByVerdict[v], v)
		if c.ByVerdict[v] > 0 {
			s = p.paint(verdictStyle(v), s)
		}
		parts[i] = s
	}
	noun := "checks"
	if c.Total == 1 {
		noun = "check"
	}
	return fmt.Sprintf("%d %s: %s", c.Total, noun, strings.Join(parts, ", "))
}

func (p *printer) countsLine(c Counts, meta Meta) string {
	s := p.verdictCounts(c)
	if c.Expected > 0 || c.Stale > 0 {
		s += fmt.Sprintf("; %d expected, %d stale", c.Expected, c.Stale)
	}
	if meta.Duration > 0 {
		s += fmt.Sprintf(" (%s)", meta.Duration.Round(time.Millisecond))
	}
	return s
}
