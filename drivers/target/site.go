package target

import (
	"net"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// OnSite reports whether a host is on the issuer's site, to which the
// checks may send client credentials, the password and tokens: the
// issuer's own host, a host of the same registrable domain (idp.example.com
// and login.example.com), or a host the config lists in allowed_hosts. An
// IP address or a single-label host is on the site only when it is the
// issuer's host itself or listed.
func (t *Target) OnSite(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	iss := issuerHost(t.Issuer)
	switch {
	case host == "" || iss == "":
		return false
	case host == iss:
		return true
	case slices.ContainsFunc(t.Config.AllowedHosts, func(a string) bool { return strings.EqualFold(strings.TrimSuffix(a, "."), host) }):
		return true
	case net.ParseIP(host) != nil || net.ParseIP(iss) != nil || !strings.Contains(host, ".") || !strings.Contains(iss, "."):
		return false
	}
	a, errA := publicsuffix.EffectiveTLDPlusOne(host)
	b, errB := publicsuffix.EffectiveTLDPlusOne(iss)
	return errA == nil && errB == nil && a == b
}

func issuerHost(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
