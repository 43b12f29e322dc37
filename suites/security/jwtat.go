package security

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// jwtAT is a JWT access token with its token response, decoded.
type jwtAT struct {
	Raw            string
	Resp           *steps.TokenResponse
	Header, Claims map[string]any
	// ClientCredentials is set when the client credentials grant issued it.
	ClientCredentials bool
}

// jwtAccessToken gets an access token (client credentials, else the code
// flow) and skips when it is not a JWS.
func jwtAccessToken(c *check.C) *jwtAT {
	var t *steps.TokenResponse
	if cl, _ := c.Env.Target.Client(target.RoleConfidential); cl != nil && cl.Secret != "" {
		t = steps.ParseToken(c, steps.Token(c, cl, url.Values{"grant_type": {"client_credentials"}}, steps.AuthDefault))
	}
	cc := t != nil && t.Issued()
	if !cc {
		_, t = steps.Tokens(c, target.RoleConfidential)
	}
	parts := strings.Split(t.AccessToken, ".")
	if len(parts) != 3 {
		c.Skipf("the access token is not a JWT: RFC 9068 does not apply")
	}
	at := &jwtAT{Raw: t.AccessToken, Resp: t, ClientCredentials: cc}
	if err := decode(parts[0], &at.Header); err != nil {
		c.Skipf("the access token is not a JWT: %v", err)
	}
	if err := decode(parts[1], &at.Claims); err != nil {
		c.Skipf("the access token is not a JWT: %v", err)
	}
	return at
}

func decode(part string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	return json.Unmarshal(raw, v)
}

// claims9068 reports whether the config states that the server claims
// the JWT profile of RFC 9068 for its access tokens (access_tokens:
// rfc9068). No metadata member carries that claim, and a JWT access token
// of a server that does not claim it is opaque to its clients: what it
// holds is an observation, not a rule.
func claims9068(c *check.C) bool { return c.Env.Target.Config.AccessTokens == "rfc9068" }

// notClaimed is the note of an INFO finding about a profile the server
// does not claim.
const notClaimed = "; the config does not state access_tokens: rfc9068, so RFC 9068 is not held against the server"

// RFC 9068 §2.1: JWT access tokens "MUST include this media type in the
// "typ" header parameter", at+jwt.
var _ = check.It("JWTAT-TYP", func(c *check.C) {
	typ, _ := jwtAccessToken(c).Header["typ"].(string)
	switch strings.ToLower(typ) {
	case "at+jwt", "application/at+jwt":
		c.Pass("the JWT access token is typed %s", typ)
	default:
		if !claims9068(c) {
			c.Info("the JWT access token is typed %q, not at+jwt%s", typ, notClaimed)
			return
		}
		c.Fail("RFC 9068 §2.1", "the JWT access token is typed %q, not at+jwt, and the server claims RFC 9068 (the config's access_tokens)", typ)
	}
}, check.Control("jwt-typ-jwt", check.Fail),
	check.Quirk("jwt-not-9068", check.Info))

// RFC 9068 §2.1: JWT access tokens "MUST be signed", never with none, and
// are verifiable with a key of the AS.
var _ = check.It("JWTAT-SIGNATURE", func(c *check.C) {
	jat := jwtAccessToken(c)
	at, header := jat.Raw, jat.Header
	if alg, _ := header["alg"].(string); alg == "" || strings.EqualFold(alg, "none") {
		c.Fail("RFC 9068 §2.1", "the JWT access token has alg %q", alg)
		return
	}
	u := steps.Endpoint(c, "jwks_uri", steps.Metadata(c).JWKSURI)
	resp, err := c.HTTP.Get(c, u, nil)
	c.Require(err, "GET jwks_uri")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(resp.Body, &set); err != nil {
		c.Fail("RFC 7517 §5", "jwks_uri does not hold a JWK Set: %v", err)
		return
	}
	kid, _ := header["kid"].(string)
	keys := set.Keys
	if kid != "" {
		keys = set.Key(kid)
		if len(keys) == 0 {
			c.Fail("RFC 9068 §2.1", "the JWT access token names kid %q, which jwks_uri does not hold", kid)
			return
		}
	}
	algs := []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}
	sig, err := jose.ParseSigned(at, algs)
	if err != nil {
		c.Fail("RFC 9068 §2.1", "the JWT access token does not parse as a JWS: %v", err)
		return
	}
	for _, k := range keys {
		if _, err := sig.Verify(k.Public()); err == nil {
			c.Pass("the JWT access token verifies with key %q of jwks_uri (%s)", k.KeyID, header["alg"])
			return
		}
	}
	c.Fail("RFC 9068 §2.1", "the JWT access token's signature verifies with no key of jwks_uri")
}, check.Control("jwt-unknown-kid", check.Fail),
	check.Quirk("jwt-not-9068", check.Pass))

// expDrift is how far exp − iat of a JWT access token may be from the
// expires_in of its token response: the two are read on different
// clocks, a second apart or so.
const expDrift = 5

// RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED,
// and iss is the issuer.
var _ = check.It("JWTAT-REQUIRED-CLAIMS", func(c *check.C) {
	jat := jwtAccessToken(c)
	t, claims := jat.Resp, jat.Claims
	claimed := claims9068(c)
	broken := func(ref, format string, args ...any) {
		if claimed {
			c.Fail(ref, format+", and the server claims RFC 9068 (the config's access_tokens)", args...)
		} else {
			c.Info(format+notClaimed, args...)
		}
	}
	var missing []string
	for _, k := range []string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti"} {
		if _, ok := claims[k]; !ok {
			missing = append(missing, k)
		}
	}
	ok := true
	if len(missing) > 0 {
		broken("RFC 9068 §2.2", "the JWT access token lacks the claims %s", strings.Join(missing, ", "))
		ok = false
	}
	if iss, has := claims["iss"]; has && iss != steps.Metadata(c).Issuer {
		broken("RFC 9068 §2.2", "the JWT access token's iss is %v, not the issuer %q", iss, steps.Metadata(c).Issuer)
		ok = false
	}
	exp, hasExp := claims["exp"].(float64)
	iat, hasIat := claims["iat"].(float64)
	if t.HasExpiresIn && hasExp && hasIat && math.Abs(exp-iat-t.ExpiresIn) > expDrift {
		if claimed {
			c.Warn("RFC 9068 §2.2", "exp − iat is %v s, but expires_in is %v s", exp-iat, t.ExpiresIn)
		} else {
			c.Info("exp − iat is %v s, but expires_in is %v s%s", exp-iat, t.ExpiresIn, notClaimed)
		}
		ok = false
	}
	if u, _ := c.Env.Target.User(); jat.ClientCredentials && u != nil && claims["sub"] == u.Username {
		c.Info("the client-credentials token's sub is %q, the name of the configured user: a resource server may take the client for that user", u.Username)
	}
	switch {
	case ok && claimed:
		c.Pass("the JWT access token has every REQUIRED claim of RFC 9068, and iss is the issuer")
	case ok:
		c.Pass("the JWT access token has every claim RFC 9068 requires, and iss is the issuer (the server does not claim RFC 9068)")
	}
}, check.Control("jwt-no-jti", check.Fail),
	check.Quirk("jwt-not-9068", check.Info))
