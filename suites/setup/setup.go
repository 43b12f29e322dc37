// Package setup makes the environment checks run against: the target, the
// browser and the login actor. The oauthcheck binary and the suites' own
// tests share it.
package setup

import (
	"context"
	"fmt"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/reftarget"
)

// Env opens the target at issuer with cfg and returns the environment of
// its checks. b may be nil for a run without a browser.
func Env(ctx context.Context, issuer string, cfg *target.Config, b *browser.Browser, httpOpts client.Options) (*check.Env, error) {
	if httpOpts.Redactor == nil {
		httpOpts.Redactor = client.NewRedactor()
	}
	if cfg != nil && httpOpts.CAFile == "" {
		httpOpts.CAFile = cfg.CAFile
	}
	hc, err := client.New(httpOpts)
	if err != nil {
		return nil, err
	}
	t, err := target.Open(ctx, hc, issuer, cfg)
	if err != nil {
		return nil, err
	}
	profile, err := check.ParseProfile(t.Config.Profile)
	if err != nil {
		return nil, err
	}
	actor, err := login.Load(t.Config.Login)
	if err != nil {
		return nil, err
	}
	return &check.Env{Target: t, Browser: b, Actor: actor, Profile: profile, Samples: &check.Samples{}}, nil
}

// Reference starts a reference server with opts and returns the
// environment that tests it, and a function that stops it.
func Reference(ctx context.Context, b *browser.Browser, opts reftarget.Options) (*check.Env, func(), error) {
	srv, err := reftarget.Start(opts)
	if err != nil {
		return nil, nil, err
	}
	env, err := Env(ctx, srv.URL, reftarget.TargetConfig(srv.Ref), b, client.Options{})
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("setup: reference with %v: %w", opts.Weaknesses, err)
	}
	return env, srv.Close, nil
}
