package check

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

// Result is the outcome of one check against one target.
type Result struct {
	ID        string               `json:"id"`
	Verdict   Verdict              `json:"verdict"`
	Findings  Findings             `json:"findings"`
	Exchanges []*evidence.Exchange `json:"exchanges,omitempty"`
	Steps     []evidence.Step      `json:"browser_steps,omitempty"`
	Shots     []Screenshot         `json:"screenshots,omitempty"`
	Duration  time.Duration        `json:"duration_ns"`
}

// Message is the one-paragraph summary of a result for a failure message:
// the requirement, what was observed and the sections.
func (r *Result) Message() string {
	chk, _ := catalogue.Lookup(r.ID)
	msg := r.ID
	if chk != nil {
		msg += ": " + chk.Requirement
	}
	for _, f := range r.Findings {
		if f.Verdict == r.Verdict {
			msg += "\n" + f.String()
		}
	}
	return msg
}

// Run runs the check with the given ID against env, outside ginkgo: the
// suites' negative controls call it against weakened reference servers, so
// they exercise the very code that users run.
func Run(ctx context.Context, id string, env *Env) *Result {
	start := time.Now()
	res := &Result{ID: id}
	chk, ok := catalogue.Lookup(id)
	body := bodies[id]
	if !ok || body == nil {
		res.Verdict = Fail
		res.Findings = Findings{{Verdict: Fail, Message: "no check is registered with ID " + id}}
		return res
	}
	rec := &client.Recorder{}
	c := &C{Context: ctx, Check: chk, Env: env, HTTP: env.Target.HTTP.WithRecorder(rec), rec: rec}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					c.findings = append(c.findings, Finding{Verdict: Fail,
						Message: fmt.Sprintf("check panicked (a harness bug): %v\n%s", r, debug.Stack())})
				}
			}
		}()
		body(c)
	}()
	if len(c.findings) == 0 {
		c.findings = append(c.findings, Finding{Verdict: Fail, Message: "the check recorded no verdict (a harness bug)"})
	}
	res.Verdict = verdictOf(c.findings)
	res.Findings = c.findings
	res.Exchanges = rec.Exchanges()
	for _, s := range c.sessions {
		res.Steps = append(res.Steps, s.Steps()...)
		s.Close()
	}
	res.Shots = c.shots
	res.Duration = time.Since(start)
	return res
}
