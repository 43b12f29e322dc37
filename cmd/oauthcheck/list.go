package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

func newListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the catalogue of checks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			registered := map[string]bool{}
			for _, id := range check.Registered() {
				registered[id] = true
			}
			type row struct {
				catalogue.Check
				Implemented bool     `json:"implemented"`
				Labels      []string `json:"labels"`
			}
			var rows []row
			for _, c := range catalogue.All() {
				rows = append(rows, row{Check: c, Implemented: registered[c.ID], Labels: c.Labels()})
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFLOW\tPRIO\tLEVEL\tBUILT\tREQUIREMENT")
			for _, r := range rows {
				built := "no"
				if r.Implemented {
					built = "yes"
				}
				req := r.Requirement
				if len(req) > 90 {
					req = req[:87] + "..."
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Flow, r.Priority, r.Level, built, req)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
