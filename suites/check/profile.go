package check

import "fmt"

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
