package steps

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// AuthRequest is an authorization request (RFC 6749 §4.1.1) as a careful
// client sends it: a random state of 43 characters, a nonce when openid is
// asked for, and PKCE S256 unless a check says otherwise.
type AuthRequest struct {
	Client       *target.Client
	RedirectURI  string
	ResponseType string
	Scope        string
	State        string
	Nonce        string
	// Verifier is the PKCE code_verifier; the S256 challenge is derived
	// from it unless Challenge is set.
	Verifier string
	// Challenge and Method override the challenge sent.
	Challenge, Method string
	// NoPKCE sends no challenge at all.
	NoPKCE bool
	// Extra adds or replaces parameters; Omit removes them.
	Extra url.Values
	Omit  []string
	// Asked is when Code began the authorization of the last code it got
	// for the request: the code was issued after it.
	Asked time.Time
}

// NewAuthRequest returns the default request for a client role.
func NewAuthRequest(c *check.C, role string) *AuthRequest {
	cfg := c.Env.Target.Config
	r := &AuthRequest{
		Client:       Client(c, role),
		RedirectURI:  cfg.RedirectURI,
		ResponseType: "code",
		Scope:        cfg.Scope,
		State:        Random(32),
		Verifier:     oauth2.GenerateVerifier(),
	}
	if strings.Contains(" "+r.Scope+" ", " openid ") {
		r.Nonce = Random(16)
	}
	return r
}

// URL is the authorization URL, built with x/oauth2.
func (r *AuthRequest) URL(c *check.C) string {
	conf := OAuthConfig(c, r.Client)
	conf.RedirectURL = r.RedirectURI
	conf.Scopes = strings.Fields(r.Scope)
	var opts []oauth2.AuthCodeOption
	if r.ResponseType != "code" {
		opts = append(opts, oauth2.SetAuthURLParam("response_type", r.ResponseType))
	}
	switch {
	case r.NoPKCE:
	case r.Challenge != "" || r.Method != "":
		opts = append(opts, oauth2.SetAuthURLParam("code_challenge", r.Challenge))
		if r.Method != "" {
			opts = append(opts, oauth2.SetAuthURLParam("code_challenge_method", r.Method))
		}
	case r.Verifier != "":
		opts = append(opts, oauth2.S256ChallengeOption(r.Verifier))
	}
	raw := conf.AuthCodeURL(r.State, opts...)
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	if r.State == "" {
		q.Del("state")
	}
	for _, k := range r.Omit {
		q.Del(k)
	}
	for k, v := range r.Extra {
		q[k] = v
	}
	// The nonce goes with openid in the scope as sent, whatever Extra made
	// of it: a nonce without openid is no OpenID Connect request, and some
	// servers refuse it (node-oidc-provider: invalid_request).
	if r.Nonce != "" && !q.Has("nonce") && !slices.Contains(r.Omit, "nonce") && HasScope(strings.Join(q["scope"], " "), "openid") {
		q.Set("nonce", r.Nonce)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Authorize runs the request in the check's browser session and returns
// the authorization response caught on its way to the redirect URI (or to
// one of also). An error page the server showed is a *browser.ErrorPage;
// a page the harness could not drive wraps browser.ErrStuck. Most checks
// want Try, which grades these.
func Authorize(c *check.C, r *AuthRequest, deny bool, also ...string) (*browser.Callback, error) {
	return AuthorizeIn(c, c.Session(), r, deny, also...)
}

// AuthorizeIn is Authorize in the given browser session of the check.
func AuthorizeIn(c *check.C, sess *browser.Session, r *AuthRequest, deny bool, also ...string) (*browser.Callback, error) {
	t := Task(c)
	t.Deny = deny
	catch := append([]string{r.RedirectURI}, also...)
	cb, err := sess.Authorize(c, r.URL(c), catch, c.Env.Actor, t)
	if err != nil {
		c.Screenshot(sess, "the authorization did not reach the redirect URI")
	}
	return cb, err
}

// Code gets an authorization code for the request through the browser. It
// ends the check as ERROR when none comes: the harness could not log in,
// or the server refused a request of the config's clients (which says
// more of the config than of the server), and as FAIL when the response
// has neither a code nor an error.
func Code(c *check.C, r *AuthRequest) string {
	c.Note("authorize %s in the browser", r.Client.ID)
	asked := time.Now()
	cb, err := Authorize(c, r, false)
	if err != nil {
		c.Fatalf("could not get an authorization code for %s: %v", r.Client.ID, err)
	}
	if e := cb.Param("error"); e != "" {
		c.Fatalf("could not get an authorization code for %s: the server answered error=%s (%s); check the client's redirect URI and scope in the config", r.Client.ID, e, cb.Param("error_description"))
	}
	code := cb.Param("code")
	if code == "" {
		c.FailNow("RFC 6749 §4.1.2", "the authorization response for %s has neither a code nor an error", r.Client.ID)
	}
	c.Env.Samples.Add("code", code)
	r.Asked = asked
	return code
}

// ExchangeForm is the token request that redeems code for r (RFC 6749
// §4.1.3): its redirect URI and, unless it sent no challenge, its
// verifier.
func (r *AuthRequest) ExchangeForm(code string) url.Values {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.RedirectURI}}
	if r.Verifier != "" && !r.NoPKCE {
		form.Set("code_verifier", r.Verifier)
	}
	return form
}

// Exchange redeems a code with the request's redirect URI and verifier.
func Exchange(c *check.C, r *AuthRequest, code string) *TokenResponse {
	return ParseToken(c, Token(c, r.Client, r.ExchangeForm(code), AuthDefault))
}

// Tokens gets a code for role and redeems it, ending the check with a
// FAIL if no access token comes back.
func Tokens(c *check.C, role string) (*AuthRequest, *TokenResponse) {
	r := NewAuthRequest(c, role)
	code := Code(c, r)
	c.Note("redeem the code")
	t := Exchange(c, r, code)
	MustRedeem(c, r, t, "redeeming a fresh code as "+r.Client.ID)
	return r, t
}
