package target_test

import (
	"testing"

	"github.com/oauthcheck/oauthcheck/drivers/target"
)

func TestOnSite(t *testing.T) {
	tr := &target.Target{Issuer: "https://idp.example.com/realms/test", Config: &target.Config{AllowedHosts: []string{"api.partner.test"}}}
	ip := &target.Target{Issuer: "http://127.0.0.1:9443", Config: &target.Config{}}
	tests := []struct {
		t    *target.Target
		host string
		want bool
		why  string
	}{
		{tr, "idp.example.com", true, "the issuer's host"},
		{tr, "IDP.example.com.", true, "host names are compared without case or a final dot"},
		{tr, "login.example.com", true, "the same registrable domain"},
		{tr, "api.partner.test", true, "listed in allowed_hosts"},
		{tr, "evil.test", false, "another site"},
		{tr, "example.com.evil.test", false, "a look-alike suffix"},
		{tr, "169.254.169.254", false, "an IP address is never on a named issuer's site"},
		{ip, "127.0.0.1", true, "an IP issuer's own address"},
		{ip, "127.0.0.2", false, "another address"},
		{ip, "localhost", false, "a name for the same machine is another host"},
	}
	for _, tt := range tests {
		if got := tt.t.OnSite(tt.host); got != tt.want {
			t.Errorf("OnSite(%q) with issuer %s = %v, want %v (%s)", tt.host, tt.t.Issuer, got, tt.want, tt.why)
		}
	}
}
