package reference

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
)

// grantAuthorizationCode redeems an authorization code (RFC 6749 §4.1.3).
// A code is redeemed once; its replay revokes the tokens issued from it
// (§4.1.2, RFC 9700 §4.2.4). The check and the redemption happen under one
// lock, so parallel redemptions yield one token response.
func (s *Server) grantAuthorizationCode(c *Client, form url.Values) (map[string]any, *oauthError) {
	if !c.allowsGrant("authorization_code") {
		return nil, errUnauthorizedClient("the client may not use the authorization code grant")
	}
	if !form.Has("code") {
		return nil, errInvalidRequest("code is required")
	}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	code := st.codes[form.Get("code")]
	switch {
	case code == nil:
		return nil, errInvalidGrant("unknown authorization code")
	case code.clientID != c.ID && !s.weakened(CodeNotClientBound):
		return nil, errInvalidGrant("the code was issued to another client")
	case code.redeemed && !s.weakened(CodeReuse):
		if g := st.grants[code.grantID]; g != nil && !s.weakened(CodeReplayKeepsTokens) {
			revokeAt(&g.revokedAt, s.revocationTime(s.now()))
		}
		return nil, errInvalidGrant("the code was already used; the tokens issued from it are revoked")
	case s.now().After(code.expires) && !s.weakened(CodeNoExpiry):
		return nil, errInvalidGrant("the code expired")
	}
	if !s.weakened(RedirectURINotChecked) {
		if code.redirectURI != "" && form.Get("redirect_uri") != code.redirectURI {
			code.redeemed = true
			return nil, errInvalidGrant("redirect_uri differs from the authorization request's")
		}
		if code.redirectURI == "" && form.Has("redirect_uri") && !registered(st.clients[code.clientID], form.Get("redirect_uri")) {
			code.redeemed = true
			return nil, errInvalidGrant("redirect_uri is not registered")
		}
	}
	if e := s.verifyPKCE(code, form.Get("code_verifier")); e != nil {
		code.redeemed = true
		return nil, e
	}
	code.redeemed = true
	g := st.grants[code.grantID]
	if g == nil {
		g = s.newGrant(code.clientID, code.username, code.scope)
		g.sessionID = code.sessionID
		code.grantID = g.id
	}
	resp, err := s.issue(g, code.scope, c.allowsGrant("refresh_token") && s.grantsRefresh(code.scope), code.nonce)
	if err != nil {
		return nil, errServer(err)
	}
	return resp, nil
}

// verifyPKCE checks the code_verifier against the challenge bound to the
// code, with the method bound at authorization (RFC 7636 §4.6). A verifier
// for a code without a challenge is refused (RFC 9700 §4.8.2).
func (s *Server) verifyPKCE(code *authCode, verifier string) *oauthError {
	if code.challenge == "" {
		if verifier != "" && !s.weakened(PKCEDowngrade) {
			return errInvalidRequest("code_verifier sent, but the authorization request had no code_challenge")
		}
		return nil
	}
	if verifier == "" {
		if s.weakened(PKCEVerifierOptional) {
			return nil
		}
		return errInvalidGrant("code_verifier is required")
	}
	if !s.weakened(PKCELaxSyntax) && !unreservedRE.MatchString(verifier) {
		return errInvalidGrant("code_verifier must be 43 to 128 unreserved characters")
	}
	if s.weakened(PKCENoVerify) {
		return nil
	}
	want := code.challenge
	got := verifier
	if code.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		got = base64.RawURLEncoding.EncodeToString(sum[:])
		if s.weakened(PKCEPlainDowngrade) && verifier == code.challenge {
			return nil
		}
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errInvalidGrant("code_verifier does not match the code_challenge")
	}
	return nil
}

func registered(c *Client, uri string) bool {
	if c == nil {
		return false
	}
	for _, r := range c.RedirectURIs {
		if r == uri || loopbackMatch(r, uri) {
			return true
		}
	}
	return false
}
