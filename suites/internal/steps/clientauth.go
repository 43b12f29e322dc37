package steps

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// GrantClientCredentials is the grant type of RFC 6749 §4.4.
const GrantClientCredentials = "client_credentials"

// CCForm is a client credentials token request (RFC 6749 §4.4.2), without
// client authentication.
func CCForm() url.Values { return url.Values{"grant_type": {GrantClientCredentials}} }

// CC is the outcome of looking for a client that the server lets use
// client_credentials.
type CC struct {
	// Client may use the grant; nil when no configured client may.
	Client *target.Client
	// Token is the response to its client_credentials request.
	Token *TokenResponse
	// Why says why no client may, for a SKIP or an INFO.
	Why string
	// Unsupported is set when the server answered unsupported_grant_type:
	// it does not offer the grant at all.
	Unsupported bool
	// Refused is set when the configured credentials of a client were
	// refused (invalid_client): the config's problem, not the grant's.
	Refused bool
}

// FindCC sends a client_credentials request as each confidential client
// of roles (confidential, then confidential2, when none are named) with
// its configured authentication, and returns the first that gets a
// token. It never gates on grant_types_supported: metadata is a claim,
// not a gate. unauthorized_client moves on to the next client;
// unsupported_grant_type stops, since it speaks for the server.
func FindCC(c *check.C, roles ...string) CC {
	if len(roles) == 0 {
		roles = []string{target.RoleConfidential, target.RoleConfidential2}
	}
	var why []string
	out := CC{}
	for _, role := range roles {
		cl, _ := c.Env.Target.Client(role)
		if cl == nil || cl.Secret == "" {
			why = append(why, "the config names no "+role+" client with a secret")
			continue
		}
		c.Note("client_credentials as %s", cl.ID)
		t := ParseToken(c, Token(c, cl, CCForm(), AuthDefault))
		switch e := t.OAuthError(); {
		case t.Issued():
			return CC{Client: cl, Token: t}
		case e == "unsupported_grant_type":
			out.Unsupported = true
			out.Why = "the server answered unsupported_grant_type to client_credentials (" + Describe(t.Response) + ")"
			return out
		case e == "invalid_client" || t.Status == http.StatusUnauthorized:
			out.Refused = true
			why = append(why, "the credentials of "+cl.ID+" were refused ("+Describe(t.Response)+"); check its id and secret in the config")
		default:
			why = append(why, cl.ID+" may not use client_credentials ("+Describe(t.Response)+")")
		}
	}
	out.Why = strings.Join(why, "; ")
	return out
}

// CCClient returns a confidential client that the server lets use
// client_credentials, with its token response. It skips the check when
// the server does not offer the grant (unsupported_grant_type) or grants
// it to none of the configured clients (unauthorized_client), and ends it
// as ERROR when their configured credentials are refused.
func CCClient(c *check.C, roles ...string) (*target.Client, *TokenResponse) {
	cc := FindCC(c, roles...)
	switch {
	case cc.Client != nil:
		return cc.Client, cc.Token
	case cc.Refused:
		c.Fatalf("no client could use client_credentials: %s", cc.Why)
	}
	c.Skipf("%s", cc.Why)
	return nil, nil
}

// AuthResult is what a token request shows of the client's
// authentication.
type AuthResult int

// The results of an authentication probe.
const (
	AuthUnknown  AuthResult = iota // the answer does not tell
	AuthAccepted                   // the client authenticated
	AuthRefused                    // invalid_client, or 401
)

func (r AuthResult) String() string {
	switch r {
	case AuthAccepted:
		return "accepted"
	case AuthRefused:
		return "refused"
	}
	return "unknown"
}

// AuthProbe is a token request whose answer shows whether a client
// authenticated, whatever grants the client has: client_credentials when
// the server grants it to the client (a token: authenticated), else
// authorization_code with a made-up code, where invalid_grant says that
// the client authenticated and the code was bad, and invalid_client (or
// 401) that it did not.
type AuthProbe struct {
	Client *target.Client
	// Form is the request without client authentication.
	Form url.Values
	// CC is set when Form is a client_credentials request.
	CC bool
	// Calibrated is set when Form sent with no client authentication at
	// all was answered invalid_client (or 401): the server authenticates
	// before it looks at the code, so an invalid_grant (or
	// unauthorized_client, "the authenticated client is not authorized",
	// RFC 6749 §5.2) shows that the client authenticated.
	Calibrated bool
}

// NewAuthProbe chooses the probe for cl: client_credentials if the server
// issues cl a token for it (with cl's configured method, or the other
// secret method when that one is refused), else a made-up code, which it
// calibrates with one request that carries no credentials.
func NewAuthProbe(c *check.C, cl *target.Client) *AuthProbe {
	p := &AuthProbe{Client: cl}
	if cl.Secret != "" {
	methods:
		for _, auth := range SecretMethods(cl) {
			c.Note("may %s use client_credentials? (the request that will show whether it authenticated)", cl.ID)
			t := ParseToken(c, Token(c, cl, CCForm(), auth))
			switch {
			case t.Issued():
				p.Form, p.CC = CCForm(), true
				return p
			case AuthFailed(t):
				continue
			default:
				break methods
			}
		}
	}
	p.Form = url.Values{"grant_type": {"authorization_code"}, "code": {"oauthcheck-bogus-" + Random(16)},
		"redirect_uri": {c.Env.Target.Config.RedirectURI}, "code_verifier": {Random(32)}}
	c.Note("a made-up code with no client authentication: does the server authenticate before it looks at the code?")
	t := ParseToken(c, Token(c, nil, p.Form, AuthNone))
	p.Calibrated = AuthFailed(t)
	return p
}

// Send sends the probe as cl (the probe's own client when nil) with the
// given authentication.
func (p *AuthProbe) Send(c *check.C, cl *target.Client, auth Auth) *TokenResponse {
	if cl == nil {
		cl = p.Client
	}
	return ParseToken(c, Token(c, cl, p.Form, auth))
}

// Judge tells what an answer to the probe shows of the authentication.
func (p *AuthProbe) Judge(t *TokenResponse) AuthResult {
	e := t.OAuthError()
	switch {
	case t.Issued():
		return AuthAccepted
	case AuthFailed(t):
		return AuthRefused
	case !p.CC && p.Calibrated && (e == "invalid_grant" || e == "unauthorized_client"):
		return AuthAccepted
	}
	return AuthUnknown
}

// What names the probe's request for a finding.
func (p *AuthProbe) What() string {
	if p.CC {
		return "a client_credentials request"
	}
	return "an authorization_code request with a made-up code"
}

// AuthFailed reports whether a token endpoint answer refuses the client's
// authentication: invalid_client, or 401 (RFC 6749 §5.2).
func AuthFailed(t *TokenResponse) bool {
	return t.OAuthError() == "invalid_client" || t.Status == http.StatusUnauthorized
}

// SecretMethods are the secret methods to try for cl: its configured one
// first, then the other.
func SecretMethods(cl *target.Client) []Auth {
	if cl.AuthMethod == "client_secret_post" {
		return []Auth{AuthPost, AuthBasic}
	}
	return []Auth{AuthBasic, AuthPost}
}

// RegisteredFor reports whether the config registers cl for the token
// endpoint authentication method m (RFC 7591 §2): its auth_method, or
// client_secret_basic, RFC 7591's default, for a client with a secret
// and none stated; none for a client without a secret.
func RegisteredFor(cl *target.Client, m string) bool {
	switch {
	case cl.Secret == "":
		return m == "none"
	case cl.AuthMethod != "":
		return cl.AuthMethod == m
	}
	return m == "client_secret_basic"
}

// ConfiguredFor returns the first client of the config registered for
// method m, in the order of the roles, or nil.
func ConfiguredFor(c *check.C, m string) *target.Client {
	for _, role := range target.Roles {
		if cl, _ := c.Env.Target.Client(role); cl != nil && RegisteredFor(cl, m) {
			return cl
		}
	}
	return nil
}

// CanBrowse tells whether a check can get an authorization code: the run
// has a browser that can log in, the config a user, and the metadata an
// authorization endpoint; why says what is missing.
func CanBrowse(c *check.C) (ok bool, why string) {
	if c.Env.Browser == nil {
		return false, "the run has no browser"
	}
	switch broken := c.BrowserBroken(); {
	case broken != "":
		return false, "the browser cannot be used against this target: " + broken
	case Metadata(c).AuthorizationEndpoint == "":
		return false, "the metadata has no authorization_endpoint"
	}
	if u, why := c.Env.Target.User(); u == nil {
		return false, why
	}
	return true, ""
}

// AccessToken gets an access token that the token-validity oracle sees as
// active, the cheapest way the target allows: client_credentials when the
// server grants it to a confidential client, else the code flow. It
// returns the client the token was issued to. It skips the check when no
// oracle can tell, and ends it as ERROR when the oracle does not see a
// fresh token as active (see [ProveActive]).
func AccessToken(c *check.C) (*target.Client, *TokenResponse) {
	if cc := FindCC(c); cc.Client != nil {
		c.Note("is the client_credentials access token active?")
		active, known := Active(c, cc.Token.AccessToken)
		switch {
		case !known:
			ProveActive(c, cc.Token.AccessToken) // skips, saying why
		case active:
			return cc.Client, cc.Token
		}
		if ok, _ := CanBrowse(c); !ok {
			ProveActive(c, cc.Token.AccessToken) // ends as ERROR, saying why
		}
		c.Info("the oracle does not see the client_credentials access token of %s as active: a token of the code flow is used instead", cc.Client.ID)
	}
	r, t := Tokens(c, target.RoleConfidential)
	ProveActive(c, t.AccessToken)
	return r.Client, t
}
