// Package flow holds the protocol steps that checks of several suites
// share: building authorization requests, getting a code through the
// browser, token requests with each client authentication method, and the
// token-validity oracle.
package steps

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// Client returns the client of a role, and skips the check when the
// config names none.
func Client(c *check.C, role string) *target.Client {
	cl, why := c.Env.Target.Client(role)
	if cl == nil {
		c.Skipf("%s", why)
	}
	return cl
}

// Metadata returns the target's metadata.
func Metadata(c *check.C) *target.Metadata { return c.Env.Target.Metadata }

// Endpoint returns an endpoint from the metadata, and skips the check
// when the server advertises none.
func Endpoint(c *check.C, member, url string) string {
	if url == "" {
		c.Skipf("the metadata has no %s", member)
	}
	return url
}

// Random returns n random bytes, base64url-encoded.
func Random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// LoopbackHTTP reports whether raw is an http URL on a loopback host: a
// lab target, to which the https requirements are not applied.
func LoopbackHTTP(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// RequireHTTPS records whether an endpoint URL uses https: FAIL when it
// does not, INFO for an http URL on a loopback lab server.
func RequireHTTPS(c *check.C, ref, what, raw string) bool {
	switch {
	case strings.HasPrefix(raw, "https://"):
		return true
	case LoopbackHTTP(raw):
		c.Info("%s %s is http on a loopback address: a lab server, so https is not required of it", what, raw)
		return true
	}
	c.Fail(ref, "%s %s does not use https", what, raw)
	return false
}

// Auth is how a client authenticates at the token endpoint.
type Auth int

// The authentication methods.
const (
	AuthDefault Auth = iota // the client's configured method
	AuthBasic               // client_secret_basic, form-encoded per RFC 6749 §2.3.1
	AuthPost                // client_secret_post
	AuthNone                // client_id alone, as a public client
)

// BasicHeader is the RFC 6749 §2.3.1 Authorization header: the id and the
// secret each form-urlencoded, then base64-encoded.
func BasicHeader(id, secret string) string {
	raw := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// Post sends form to endpoint as client cl with the given authentication,
// and ends the check with a FAIL when no response comes.
func Post(c *check.C, endpoint string, cl *target.Client, form url.Values, auth Auth) *client.Response {
	resp, err := Send(c, endpoint, cl, form, auth)
	c.Require(err, "POST "+endpoint)
	return resp
}

// Send is Post for other goroutines than the check's: it returns the error.
func Send(c *check.C, endpoint string, cl *target.Client, form url.Values, auth Auth) (*client.Response, error) {
	form = cloneValues(form)
	h := http.Header{}
	if cl != nil {
		if auth == AuthDefault {
			auth = AuthBasic
			switch {
			case cl.Secret == "":
				auth = AuthNone
			case cl.AuthMethod == "client_secret_post":
				auth = AuthPost
			}
		}
		switch auth {
		case AuthBasic:
			h.Set("Authorization", BasicHeader(cl.ID, cl.Secret))
		case AuthPost:
			form.Set("client_id", cl.ID)
			form.Set("client_secret", cl.Secret)
		case AuthNone:
			form.Set("client_id", cl.ID)
		}
	}
	return c.HTTP.PostForm(c, endpoint, form.Encode(), h)
}

// Token sends a token request as cl.
func Token(c *check.C, cl *target.Client, form url.Values, auth Auth) *client.Response {
	return Post(c, Endpoint(c, "token_endpoint", Metadata(c).TokenEndpoint), cl, form, auth)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}

// TokenResponse is a parsed token endpoint response.
type TokenResponse struct {
	*client.Response
	AccessToken  string
	RefreshToken string
	TokenType    string
	Scope        string
	ExpiresIn    float64
	HasExpiresIn bool
	IDToken      string
}

// Issued reports whether the response issued an access token.
func (t *TokenResponse) Issued() bool { return t.Status == http.StatusOK && t.AccessToken != "" }

// ParseToken reads the members of a token response, whatever its status,
// and keeps the tokens of a success as samples for TOKEN-ENTROPY.
func ParseToken(c *check.C, r *client.Response) *TokenResponse {
	t := parseToken(r)
	if t.Status == http.StatusOK {
		c.Env.Samples.Add("access_token", t.AccessToken)
		c.Env.Samples.Add("refresh_token", t.RefreshToken)
		if t.RefreshToken != "" {
			refreshIssued.Store(t.RefreshToken, sentAt(r))
		}
	}
	return t
}

func parseToken(r *client.Response) *TokenResponse {
	t := &TokenResponse{Response: r}
	var m map[string]any
	if json.Unmarshal(r.Body, &m) != nil {
		return t
	}
	t.AccessToken, _ = m["access_token"].(string)
	t.RefreshToken, _ = m["refresh_token"].(string)
	t.TokenType, _ = m["token_type"].(string)
	t.Scope, _ = m["scope"].(string)
	t.IDToken, _ = m["id_token"].(string)
	t.ExpiresIn, t.HasExpiresIn = m["expires_in"].(float64)
	return t
}

// Describe renders a response for a finding: status, error code and
// description.
func Describe(r *client.Response) string {
	s := http.StatusText(r.Status)
	if e := r.OAuthError(); e != "" {
		s += " " + e
		if d := r.Field("error_description"); d != "" {
			s += " (" + d + ")"
		}
	} else if r.Status == http.StatusOK && r.Field("access_token") != "" {
		s += " with an access_token"
	}
	return fmt.Sprintf("%d %s", r.Status, s)
}

// OAuthConfig is the x/oauth2 view of a client of the target.
func OAuthConfig(c *check.C, cl *target.Client) *oauth2.Config {
	md := Metadata(c)
	style := oauth2.AuthStyleInHeader
	if cl.Secret == "" || cl.AuthMethod == "client_secret_post" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: cl.ID, ClientSecret: cl.Secret, RedirectURL: c.Env.Target.Config.RedirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: md.AuthorizationEndpoint, TokenURL: md.TokenEndpoint,
			DeviceAuthURL: md.DeviceAuthorizationEndpoint, AuthStyle: style},
		Scopes: strings.Fields(c.Env.Target.Config.Scope),
	}
}

// Task is what the person in the browser does for this target.
func Task(c *check.C) browser.Task {
	u, why := c.Env.Target.User()
	if u == nil {
		c.Skipf("%s", why)
	}
	return browser.Task{Username: u.Username, Password: u.Password}
}
