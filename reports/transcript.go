package reports

import (
	"fmt"
	"strings"
)

// Evidence is the result's evidence as text: the HTTP transcripts, the
// browser steps, the screenshots' notes and the output of a failed spec.
func (r *Result) Evidence() string {
	var parts []string
	if len(r.Exchanges) > 0 {
		xs := make([]string, len(r.Exchanges))
		for i := range r.Exchanges {
			xs[i] = r.Exchanges[i].Transcript()
		}
		parts = append(parts, fmt.Sprintf("HTTP exchanges (%d):\n\n%s", len(xs), strings.Join(xs, "\n\n")))
	}
	if len(r.Browser) > 0 {
		ls := make([]string, len(r.Browser))
		for i := range r.Browser {
			ls[i] = r.Browser[i].Line()
		}
		parts = append(parts, fmt.Sprintf("Browser steps (%d):\n%s", len(ls), strings.Join(ls, "\n")))
	}
	for _, s := range r.Screenshots {
		parts = append(parts, fmt.Sprintf("Screenshot (in the HTML report): %s", s.Note))
	}
	if r.Output != "" {
		parts = append(parts, "Output:\n"+r.Output)
	}
	return strings.Join(parts, "\n\n")
}
