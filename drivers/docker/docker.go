// Package docker starts a target's server as a container through
// ory/dockertest, with host networking, and removes it afterwards.
package docker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/ory/dockertest/v3"
	dc "github.com/ory/dockertest/v3/docker"
)

// ErrNoEngine means no Docker engine answers: the caller skips what needs
// one, saying so.
var ErrNoEngine = errors.New("docker: no Docker engine answers (install docker.io and start dockerd, or set DOCKER_HOST)")

// Pool is a connection to a Docker engine.
type Pool struct{ pool *dockertest.Pool }

// Connect reaches the engine at DOCKER_HOST or the default socket, and
// fails with ErrNoEngine when none answers.
func Connect() (*Pool, error) {
	p, err := dockertest.NewPool("")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	if err := p.Client.Ping(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	return &Pool{pool: p}, nil
}

// Options say what to run.
type Options struct {
	// Image is repository:tag; it is never pulled here if present.
	Image string
	// Build, when set, is a directory with a Dockerfile that builds Image.
	Build string
	Env   []string
	Cmd   []string
	// Ready is the URL that answers 200 once the server is up, such as
	// its metadata document.
	Ready string
	// MaxWait bounds the wait for Ready. Default 60 s.
	MaxWait time.Duration
}

// Container is a running target.
type Container struct {
	pool     *Pool
	resource *dockertest.Resource
}

// Start runs a container with host networking, waits until Ready answers
// 200, and sets it to expire after ten minutes in case Close never runs.
func (p *Pool) Start(ctx context.Context, opts Options) (*Container, error) {
	repo, tag := splitImage(opts.Image)
	run := &dockertest.RunOptions{Name: fmt.Sprintf("oauthcheck-%d", time.Now().UnixNano()), Repository: repo, Tag: tag, Env: opts.Env, Cmd: opts.Cmd}
	host := func(hc *dc.HostConfig) {
		hc.NetworkMode = "host"
		hc.PublishAllPorts = false
		hc.AutoRemove = true
		hc.RestartPolicy = dc.RestartPolicy{Name: "no"}
	}
	var (
		res *dockertest.Resource
		err error
	)
	if opts.Build != "" {
		if err := p.pool.Client.BuildImage(dc.BuildImageOptions{Name: opts.Image, ContextDir: opts.Build,
			Dockerfile: "Dockerfile", OutputStream: os.Stderr, Context: ctx}); err != nil {
			return nil, fmt.Errorf("docker: build %s from %s: %w", opts.Image, opts.Build, err)
		}
	}
	res, err = p.pool.RunWithOptions(run, host)
	if err != nil {
		return nil, fmt.Errorf("docker: run %s: %w", opts.Image, err)
	}
	c := &Container{pool: p, resource: res}
	_ = res.Expire(600)
	p.pool.MaxWait = opts.MaxWait
	if p.pool.MaxWait == 0 {
		p.pool.MaxWait = 60 * time.Second
	}
	client := &http.Client{Timeout: 2 * time.Second}
	err = p.pool.Retry(func() error {
		if ctx.Err() != nil {
			return nil
		}
		resp, err := client.Get(opts.Ready)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", opts.Ready, resp.StatusCode)
		}
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("docker: %s did not answer %s: %w", opts.Image, opts.Ready, err)
	}
	return c, nil
}

// ID is the container's id.
func (c *Container) ID() string { return c.resource.Container.ID }

// Close removes the container.
func (c *Container) Close() error {
	return c.pool.pool.Purge(c.resource)
}

func splitImage(image string) (repo, tag string) {
	for i := len(image) - 1; i >= 0 && image[i] != '/'; i-- {
		if image[i] == ':' {
			return image[:i], image[i+1:]
		}
	}
	return image, "latest"
}
