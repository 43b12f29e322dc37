package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/onsi/ginkgo/v2/reporters"
)

// WriteJUnit writes results as JUnit XML, in the shape Jenkins, GitLab and
// the GitHub test-report actions read (testdata/junit.xsd): one testsuite
// per flow, one testcase per check, classname the flow and name the ID and
// requirement.
//
//   - A failing check ([Result.Failing] under meta.FailOn and
//     meta.StrictExpect) is a <failure> whose message gives the
//     requirement, the observed behaviour and the section, and whose body
//     lists the findings.
//   - ERROR (the harness could not reach a verdict) is an <error>, never a
//     <failure>: it is not the server's fault.
//   - SKIP is <skipped message="the reason">.
//   - The evidence (the redacted HTTP transcripts, the browser steps) is in
//     <system-out>.
//   - The verdict, levels, sections, WARN and INFO findings and the
//     expectation are <properties>; an expected FAIL is no <failure>, only
//     a property.
//
// The output depends only on its input: no clock is read.
func WriteJUnit(w io.Writer, results []Result, meta Meta) error {
	doc := reporters.JUnitTestSuites{}
	// Ant's timestamp: ISO 8601, UTC, no zone (ginkgo always writes the
	// attribute, so a report without a start shows the epoch).
	stamp := meta.Start.UTC().Format("2006-01-02T15:04:05")
	if meta.Start.IsZero() {
		stamp = "1970-01-01T00:00:00"
	}
	for _, flow := range FlowsOf(results) {
		ts := reporters.JUnitTestSuite{
			Name:      flow,
			Package:   oneLine(meta.Issuer),
			Timestamp: stamp,
			Properties: reporters.JUnitProperties{Properties: nonEmptyProps(
				prop("issuer", meta.Issuer), prop("profile", meta.Profile), prop("oauthcheck.version", meta.Version),
				prop("flow", flow), prop("fail-on", failOnOf(meta))),
			},
		}
		var total time.Duration
		for i := range results {
			r := &results[i]
			if r.flowName() != flow {
				continue
			}
			tc := junitCase(r, flow, meta)
			ts.Tests++
			if tc.Failure != nil {
				ts.Failures++
			}
			if tc.Error != nil {
				ts.Errors++
			}
			if tc.Skipped != nil {
				ts.Skipped++
			}
			total += r.Duration
			ts.TestCases = append(ts.TestCases, tc)
		}
		ts.Time = seconds(total)
		doc.TestSuites = append(doc.TestSuites, ts)
	}
	if len(meta.Problems) > 0 {
		doc.TestSuites = append(doc.TestSuites, problemsSuite(meta, stamp))
	}
	for _, ts := range doc.TestSuites {
		doc.Tests += ts.Tests
		doc.Failures += ts.Failures
		doc.Errors += ts.Errors
		doc.Disabled += ts.Skipped
	}
	doc.Time = seconds(meta.Duration)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	buf.WriteString("\n")
	if _, err := w.Write(readableText(buf.Bytes())); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	return nil
}

// readableText undoes encoding/xml's escaping of newlines, tabs and quotes
// in character data, where XML does not need it, so that transcripts read
// as text in the file. Inside tags nothing changes: attribute values keep
// their escapes (and hold no newlines: see attr).
func readableText(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inTag := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '<':
			inTag = true
		case c == '>':
			inTag = false
		case c == '&' && !inTag:
			// "]]>" may not appear in text: keep such a > escaped.
			if bytes.HasPrefix(b[i:], []byte("&gt;")) && !bytes.HasSuffix(out, []byte("]]")) {
				out = append(out, '>')
				i += len("&gt;") - 1
				continue
			}
			if r, n := unescapeText(b[i:]); n > 0 {
				out = append(out, r)
				i += n - 1
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

func unescapeText(b []byte) (byte, int) {
	for _, e := range []struct {
		esc string
		r   byte
	}{{"&#xA;", '\n'}, {"&#x9;", '\t'}, {"&#34;", '"'}, {"&#39;", '\''}} {
		if bytes.HasPrefix(b, []byte(e.esc)) {
			return e.r, len(e.esc)
		}
	}
	return 0, 0
}

func junitCase(r *Result, flow string, meta Meta) reporters.JUnitTestCase {
	tc := reporters.JUnitTestCase{
		Name:      oneLine(r.Name()),
		Classname: flow,
		Status:    string(r.Verdict),
		Time:      seconds(r.Duration),
		SystemOut: r.Evidence(),
	}
	props := []reporters.JUnitProperty{
		prop("verdict", string(r.Verdict)),
		prop("level", r.Level),
		prop("priority", r.Priority),
	}
	if r.LevelText != "" && r.LevelText != r.Level {
		props = append(props, prop("level.text", r.LevelText))
	}
	for _, ref := range r.Refs {
		v := ref.Name
		if ref.URL != "" {
			v += " " + ref.URL
		}
		props = append(props, prop("ref", v))
	}
	for _, f := range r.Findings {
		switch f.Verdict {
		case catalogue.Warn:
			props = append(props, prop("warning", findingLine(f)))
		case catalogue.Info:
			props = append(props, prop("info", findingLine(f)))
		}
	}
	if e := r.Expectation; e != nil {
		props = append(props, prop("expected", fmt.Sprintf("%s: %s", e.Verdict, e.Reason)))
		if r.Stale() {
			props = append(props, prop("stale-expectation", fmt.Sprintf("expected %s, got %s", e.Verdict, r.Verdict)))
		}
	}
	tc.Properties = &reporters.JUnitProperties{Properties: nonEmptyProps(props...)}

	failOn := failOnOf(meta)
	switch {
	case !r.Expected && (r.Verdict == catalogue.Fail || r.Verdict == catalogue.Warn && failOn == FailOnShould):
		tc.Failure = &reporters.JUnitFailure{Type: string(r.Verdict), Message: oneLine(failureLine(r)), Description: failureBody(r)}
	case meta.StrictExpect && r.Stale():
		e := r.Expectation
		tc.Failure = &reporters.JUnitFailure{Type: "stale-expectation",
			Message: oneLine(fmt.Sprintf("%s was expected to give %s (%s), but gave %s: remove or update the expectation",
				r.ID, e.Verdict, e.Reason, r.Verdict)),
			Description: failureBody(r)}
	}
	if r.Verdict == catalogue.Error && !r.Expected {
		tc.Error = &reporters.JUnitError{Type: string(r.Verdict), Message: oneLine(failureLine(r)), Description: failureBody(r)}
	}
	if r.Verdict == catalogue.Skip {
		tc.Skipped = &reporters.JUnitSkipped{Message: firstNonEmpty(r.Headline(), "skipped")}
	}
	return tc
}

// failureLine is a failure's message: the ID and level, the section, the
// requirement, and what was observed.
func failureLine(r *Result) string {
	var f *catalogue.Finding
	for i := range r.Findings {
		if r.Findings[i].Verdict == r.Verdict {
			f = &r.Findings[i]
			break
		}
	}
	section := ""
	if f != nil && f.Ref != "" {
		section = f.Ref
	} else if len(r.Refs) > 0 {
		section = r.Refs[0].Name
	}
	head := r.ID
	if head == "" {
		head = r.Requirement
	}
	var tags []string
	if r.Level != "" {
		tags = append(tags, r.Level)
	}
	if section != "" {
		tags = append(tags, section)
	}
	msg := head
	if len(tags) > 0 {
		msg += " [" + strings.Join(tags, ", ") + "]"
	}
	switch {
	case r.ID != "":
		msg += ": " + oneLine(r.Requirement)
		if f != nil {
			msg += " Observed:"
		}
	case f != nil:
		msg += ":"
	}
	if f != nil {
		msg += " " + oneLine(f.Message)
		if n := countVerdict(r.Findings, r.Verdict) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
	}
	return msg
}

// failureBody lists the findings, the requirement and its sections.
func failureBody(r *Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintln(&b, f.String())
	}
	if r.ID != "" {
		fmt.Fprintf(&b, "\nRequirement (%s): %s\n", firstNonEmpty(r.LevelText, r.Level), r.Requirement)
	}
	if len(r.Refs) > 0 {
		fmt.Fprintln(&b, "Sections:")
		for _, ref := range r.Refs {
			if ref.URL != "" {
				fmt.Fprintf(&b, "  %s  %s\n", ref.Name, ref.URL)
			} else {
				fmt.Fprintf(&b, "  %s\n", ref.Name)
			}
		}
	}
	if e := r.Expectation; e != nil {
		fmt.Fprintf(&b, "Expected: %s (%s)\n", e.Verdict, e.Reason)
	}
	return strings.TrimRight(b.String(), "\n")
}

func problemsSuite(meta Meta, stamp string) reporters.JUnitTestSuite {
	msg := strings.Join(meta.Problems, "; ")
	return reporters.JUnitTestSuite{
		Name: "oauthcheck", Package: oneLine(meta.Issuer), Timestamp: stamp, Tests: 1, Errors: 1,
		Properties: reporters.JUnitProperties{Properties: nonEmptyProps(prop("issuer", meta.Issuer),
			prop("problems", fmt.Sprint(len(meta.Problems))))},
		TestCases: []reporters.JUnitTestCase{{
			Name: "the run", Classname: "oauthcheck", Status: "error",
			Error: &reporters.JUnitError{Type: "suite", Message: oneLine(msg), Description: strings.Join(meta.Problems, "\n")},
		}},
	}
}

func findingLine(f catalogue.Finding) string {
	if f.Ref != "" {
		return f.Ref + ": " + oneLine(f.Message)
	}
	return oneLine(f.Message)
}

func countVerdict(fs catalogue.Findings, v catalogue.Verdict) int {
	n := 0
	for _, f := range fs {
		if f.Verdict == v {
			n++
		}
	}
	return n
}

func failOnOf(m Meta) string {
	if m.FailOn == FailOnShould {
		return FailOnShould
	}
	return FailOnMust
}

func prop(name, value string) reporters.JUnitProperty {
	return reporters.JUnitProperty{Name: name, Value: oneLine(value)}
}

func nonEmptyProps(ps ...reporters.JUnitProperty) []reporters.JUnitProperty {
	var out []reporters.JUnitProperty
	for _, p := range ps {
		if p.Value != "" {
			out = append(out, p)
		}
	}
	return out
}

// seconds is a duration in seconds, to the millisecond, so that no
// exponent ever appears in the XML.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}
