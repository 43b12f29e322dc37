// Package check is oauthcheck's check engine: the catalogue of checks with
// their stable IDs, the check.It wrapper that turns one into a ginkgo spec,
// verdicts, and the evidence attached to them.
package check

//go:generate go run ./internal/gencatalogue -in ../../../shared/CHECKS.md -out catalogue_gen.go

import (
	"fmt"
	"regexp"
	"strings"
)

// Check is one entry of the catalogue (CHECKS.md).
type Check struct {
	ID          string
	Group       int
	GroupTitle  string
	Flow        string
	Priority    string // P1, P2, P3
	Level       string // the catalogue's level column, as written
	Refs        []string
	Requirement string
	Test        string
	Browser     string
	Wait        string
}

// Flows lists the suites, in catalogue order.
var Flows = []string{"discovery", "authcode", "pkce", "implicit", "clientcreds", "device", "refresh",
	"tokenendpoint", "revocation", "introspection", "security"}

var byID = func() map[string]*Check {
	m := map[string]*Check{}
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

// All returns the catalogue in order.
func All() []Check {
	out := make([]Check, len(catalogue))
	copy(out, catalogue)
	return out
}

// KeyLevel is the strongest BCP 14 keyword of the check's level, for the
// level label: MUST, SHOULD, MAY or REQ (a required behaviour with no
// keyword), or DERIVED.
func (c *Check) KeyLevel() string {
	l := c.Level
	switch {
	case strings.Contains(l, "MUST"):
		return "MUST"
	case strings.Contains(l, "REQ"):
		return "REQ"
	case strings.Contains(l, "SHOULD"), strings.Contains(l, "RECOMMENDED"):
		return "SHOULD"
	case strings.Contains(l, "DERIVED"):
		return "DERIVED"
	}
	return "MAY"
}

// Profile is a set of requirements a run holds the target to.
type Profile int

// The profiles, each stricter than the one before.
const (
	OAuth2  Profile = iota // RFC 6749 and companions
	BCP                    // plus RFC 9700 (the default)
	OAuth21                // plus the OAuth 2.1 draft
)

// ParseProfile parses oauth2, bcp or oauth2.1.
func ParseProfile(s string) (Profile, error) {
	switch s {
	case "oauth2":
		return OAuth2, nil
	case "", "bcp":
		return BCP, nil
	case "oauth2.1":
		return OAuth21, nil
	}
	return BCP, fmt.Errorf("check: unknown profile %q; valid: oauth2, bcp, oauth2.1", s)
}

func (p Profile) String() string {
	return [...]string{"oauth2", "bcp", "oauth2.1"}[p]
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

// Labels are the check's ginkgo labels: id:, flow:, level:, priority: and
// one ref: per section.
func (c *Check) Labels() []string {
	l := []string{"id:" + c.ID, "flow:" + c.Flow, "level:" + c.KeyLevel(), "priority:" + c.Priority}
	for _, r := range c.Refs {
		if lr := RefLabel(r); lr != "" {
			l = append(l, "ref:"+lr)
		}
	}
	return l
}

// RefURL links a reference such as "RFC 6749 §4.1.2" to its text.
func RefURL(ref string) string {
	m := regexp.MustCompile(`^RFC (\d+)(?: §([0-9.]+))?`).FindStringSubmatch(ref)
	if m != nil {
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
