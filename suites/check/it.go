package check

import (
	"fmt"
	"sort"
	"sync"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/onsi/ginkgo/v2"
)

var (
	bodies     = map[string]func(*C){}
	labels     = map[string][]string{}
	regErrors  []string
	envMu      sync.RWMutex
	env        *Env
	failOnWarn bool
)

// Slow labels a check that may wait for minutes (an expiry); it runs in
// full only with --slow.
var Slow = ginkgo.Label("slow")

// Intrusive labels a check that may lock a client out; it runs only when
// asked for (--intrusive).
var Intrusive = ginkgo.Label("intrusive")

// SetEnv sets the environment the specs of this process run against;
// suites call it from BeforeSuite.
func SetEnv(e *Env) {
	envMu.Lock()
	env = e
	envMu.Unlock()
}

// FailOnShould makes WARN fail its spec, as --fail-on should asks.
func FailOnShould(on bool) { failOnWarn = on }

// It registers the check with the given catalogue ID as a ginkgo spec. The
// spec's text is the ID and the requirement; its labels are the check's
// (id:, flow:, level:, priority:, ref:). A FAIL fails the spec; a SKIP
// skips it with the reason; WARN and INFO pass with report entries.
// Decorators are ginkgo's, and the check's reference cases ([Control],
// [Quirk]), which its suite's test runs.
func It(id string, body func(*C), decorators ...any) bool {
	ginkgo.GinkgoHelper() // the spec's location is its check.It line
	chk, ok := catalogue.Lookup(id)
	if !ok {
		regErrors = append(regErrors, fmt.Sprintf("check.It(%q): no such ID in the catalogue", id))
		return true
	}
	if bodies[id] != nil {
		regErrors = append(regErrors, fmt.Sprintf("check.It(%q): registered twice", id))
		return true
	}
	bodies[id] = body
	args := []any{ginkgo.Label(chk.Labels()...)}
	labels[id] = chk.Labels()
	for _, d := range decorators {
		if l, ok := d.(ginkgo.Labels); ok {
			labels[id] = append(labels[id], l...)
		}
		if sc, ok := d.(Scheduling); ok {
			schedules[id] = schedules[id].merge(sc)
			continue
		}
		rc, ok := d.(RefCase)
		if !ok {
			args = append(args, d)
			continue
		}
		if why := rc.valid(chk); why != "" {
			regErrors = append(regErrors, fmt.Sprintf("check.It(%q): the case of %s %s", id, rc.Name(), why))
			continue
		}
		cases[id] = append(cases[id], rc)
	}
	args = append(args, func(ctx ginkgo.SpecContext) {
		envMu.RLock()
		e := env
		envMu.RUnlock()
		if e == nil {
			ginkgo.Fail("check: no environment: the suite must call check.SetEnv in BeforeSuite")
		}
		res, ahead := take(ctx, id)
		if !ahead {
			res = Run(ctx, id, e)
		}
		Attach(res)
		switch {
		case res.Verdict == Fail, res.Verdict == Error:
			ginkgo.Fail(res.Message())
		case res.Verdict == Skip:
			ginkgo.Skip(res.Message())
		case res.Verdict == Warn && failOnWarn:
			ginkgo.Fail(res.Message())
		}
	})
	return ginkgo.It(chk.ID+": "+chk.Requirement, args...)
}

// Labels are the ginkgo labels of a registered check's spec: the
// catalogue's and those of its decorators.
func Labels(id string) []string { return append([]string(nil), labels[id]...) }

// Registered returns the IDs that have a body, sorted.
func Registered() []string {
	var ids []string
	for id := range bodies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// RegistrationErrors lists the check.It calls that named an unknown ID or
// one already registered.
func RegistrationErrors() []string { return append([]string(nil), regErrors...) }
