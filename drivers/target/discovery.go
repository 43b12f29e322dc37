package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/client"
)

// Metadata is authorization server metadata (RFC 8414 §2), with the raw
// document for members this type does not name.
type Metadata struct {
	Issuer                             string   `json:"issuer"`
	AuthorizationEndpoint              string   `json:"authorization_endpoint"`
	TokenEndpoint                      string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint        string   `json:"device_authorization_endpoint"`
	RevocationEndpoint                 string   `json:"revocation_endpoint"`
	IntrospectionEndpoint              string   `json:"introspection_endpoint"`
	RegistrationEndpoint               string   `json:"registration_endpoint"`
	UserinfoEndpoint                   string   `json:"userinfo_endpoint"`
	JWKSURI                            string   `json:"jwks_uri"`
	ScopesSupported                    []string `json:"scopes_supported"`
	ResponseTypesSupported             []string `json:"response_types_supported"`
	ResponseModesSupported             []string `json:"response_modes_supported"`
	GrantTypesSupported                []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported  []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported      []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseIssSupported  bool     `json:"authorization_response_iss_parameter_supported"`
	SubjectTypesSupported              []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported   []string `json:"id_token_signing_alg_values_supported"`
	EndSessionEndpoint                 string   `json:"end_session_endpoint"`
	PushedAuthorizationRequestEndpoint string   `json:"pushed_authorization_request_endpoint"`

	// Raw is the whole document.
	Raw map[string]any `json:"-"`
	// Source is the URL it was read from.
	Source string `json:"-"`
}

// Has reports whether the raw document has member name.
func (m *Metadata) Has(name string) bool { _, ok := m.Raw[name]; return ok }

// Supports reports whether list holds v.
func Supports(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// WellKnownURLs returns the RFC 8414 §3.1 metadata URL of issuer (the
// well-known segment before the issuer's path) and the OpenID Discovery
// one (appended).
func WellKnownURLs(issuer string) (rfc8414, openid string, err error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", fmt.Errorf("target: issuer %q is not an http(s) URL", issuer)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	base := u.Scheme + "://" + u.Host
	return base + "/.well-known/oauth-authorization-server" + path, strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration", nil
}

// ErrUnreachable marks a target that did not answer discovery: exit 3.
var ErrUnreachable = errors.New("target unreachable or discovery failed")

// Discover reads the metadata of issuer: RFC 8414 first, then OpenID
// Discovery.
func Discover(ctx context.Context, c *client.Client, issuer string) (*Metadata, error) {
	a, b, err := WellKnownURLs(issuer)
	if err != nil {
		return nil, err
	}
	var errs []string
	for _, u := range []string{a, b} {
		resp, err := c.Get(ctx, u, nil)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if resp.Status != 200 {
			errs = append(errs, fmt.Sprintf("GET %s: %d", u, resp.Status))
			continue
		}
		m := &Metadata{Source: u}
		if err := json.Unmarshal(resp.Body, &m.Raw); err != nil {
			errs = append(errs, fmt.Sprintf("GET %s: not a JSON object: %v", u, err))
			continue
		}
		if err := json.Unmarshal(resp.Body, m); err != nil {
			errs = append(errs, fmt.Sprintf("GET %s: %v", u, err))
			continue
		}
		return m, nil
	}
	return nil, fmt.Errorf("target: discovery of %s failed (%s): %w; check --target and that the server is up", issuer, strings.Join(errs, "; "), ErrUnreachable)
}
