package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// controlledBy maps each weakness of the reference to the checks whose
// negative controls name it, sorted: the checks that must FAIL or WARN
// under it. The controls are declared beside the checks (check.Control).
func controlledBy() map[string][]string {
	out := map[string][]string{}
	for _, id := range check.Registered() {
		for _, rc := range check.Cases(id) {
			if rc.Weakness != "" && !contains(out[rc.Weakness], id) {
				out[rc.Weakness] = append(out[rc.Weakness], id)
			}
		}
	}
	for _, ids := range out {
		sort.Strings(ids)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// weaknessHelp lists every weakness of the reference with the protection
// it switches off and the checks that must then FAIL or WARN.
func weaknessHelp() string {
	var b strings.Builder
	b.WriteString("\n\nWeaknesses (--weaken), each with the protection it switches off and the checks that must then FAIL or WARN:\n\n")
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	by := controlledBy()
	for _, w := range reference.AllWeaknesses() {
		checks := strings.Join(by[string(w.Name)], ", ")
		if checks == "" {
			checks = "(no check yet)"
		}
		fmt.Fprintf(tw, "  %s\t%s\n  \t  %s\n", w.Name, w.Protection, checks)
	}
	tw.Flush()
	return b.String()
}
