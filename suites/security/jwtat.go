package security

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// jwtAccessToken gets an access token (client credentials, else the code
// flow) and skips when it is not a JWS.
func jwtAccessToken(c *check.C) (string, *steps.TokenResponse, map[string]any, map[string]any) {
	var t *steps.TokenResponse
	if cl, _ := c.Env.Target.Client(target.RoleConfidential); cl != nil && cl.Secret != "" {
		t = steps.ParseToken(c, steps.Token(c, cl, url.Values{"grant_type": {"client_credentials"}}, steps.AuthDefault))
	}
	if t == nil || !t.Issued() {
		_, t = steps.Tokens(c, target.RoleConfidential)
	}
	parts := strings.Split(t.AccessToken, ".")
	if len(parts) != 3 {
		c.Skipf("the access token is not a JWT: RFC 9068 does not apply")
	}
	var header, claims map[string]any
	if err := decode(parts[0], &header); err != nil {
		c.Skipf("the access token is not a JWT: %v", err)
	}
	if err := decode(parts[1], &claims); err != nil {
		c.Skipf("the access token is not a JWT: %v", err)
	}
	return t.AccessToken, t, header, claims
}

func decode(part string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	return json.Unmarshal(raw, v)
}

// RFC 9068 §2.1: JWT access tokens "MUST include this media type in the
// "typ" header parameter", at+jwt.
var _ = check.It("JWTAT-TYP", func(c *check.C) {
	_, _, header, _ := jwtAccessToken(c)
	typ, _ := header["typ"].(string)
	switch strings.ToLower(typ) {
	case "at+jwt", "application/at+jwt":
		c.Pass("the JWT access token is typed %s", typ)
	default:
		c.Fail("RFC 9068 §2.1", "the JWT access token is typed %q, not at+jwt", typ)
	}
}, check.Control("jwt-typ-jwt", check.Fail))

// RFC 9068 §2.1: JWT access tokens "MUST be signed", never with none, and
// are verifiable with a key of the AS.
var _ = check.It("JWTAT-SIGNATURE", func(c *check.C) {
	at, _, header, _ := jwtAccessToken(c)
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
}, check.Control("jwt-unknown-kid", check.Fail))

// RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED,
// and iss is the issuer.
var _ = check.It("JWTAT-REQUIRED-CLAIMS", func(c *check.C) {
	_, t, _, claims := jwtAccessToken(c)
	var missing []string
	for _, k := range []string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti"} {
		if _, ok := claims[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		c.Fail("RFC 9068 §2.2", "the JWT access token lacks REQUIRED claims %s", strings.Join(missing, ", "))
		return
	}
	if iss := claims["iss"]; iss != steps.Metadata(c).Issuer {
		c.Fail("RFC 9068 §2.2", "the JWT access token's iss is %v, not the issuer %q", iss, steps.Metadata(c).Issuer)
		return
	}
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	if t.HasExpiresIn && exp-iat != t.ExpiresIn {
		c.Warn("RFC 9068 §2.2", "exp − iat is %v s, but expires_in is %v s", exp-iat, t.ExpiresIn)
		return
	}
	c.Pass("the JWT access token has every REQUIRED claim, and iss is the issuer")
}, check.Control("jwt-no-jti", check.Fail))
