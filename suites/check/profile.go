package check

import (
	"fmt"
	"strings"
)

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

// DemandedBy is the least strict profile that holds the rules a finding
// cites in ref, its citations separated by ";": RFC 9700's from bcp, the
// OAuth 2.1 draft's from oauth2.1, any other (RFC 6749 and its
// companions) from oauth2. A finding that cites nothing is held under
// every profile.
func DemandedBy(ref string) Profile {
	least := OAuth21
	for _, cite := range strings.Split(ref, ";") {
		switch cite = strings.TrimSpace(cite); {
		case strings.HasPrefix(cite, "RFC 9700"):
			least = min(least, BCP)
		case strings.HasPrefix(cite, "OAuth 2.1"), strings.HasPrefix(cite, "2.1 §"):
		default:
			return OAuth2
		}
	}
	return least
}
