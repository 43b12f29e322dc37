package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/docker"
	"github.com/oauthcheck/oauthcheck/drivers/target"
)

// engine connects to a Docker engine, starting a private dockerd (and
// stopping it at the end of the test) when none answers. It skips the test
// when there is no dockerd to start.
func engine(t *testing.T) *docker.Pool {
	t.Helper()
	if p, err := docker.Connect(); err == nil {
		return p
	}
	bin, err := exec.LookPath("dockerd")
	if err != nil || os.Geteuid() != 0 {
		t.Skipf("%v; and no dockerd can be started here (install docker.io and run as root)", docker.ErrNoEngine)
	}
	dir, err := os.MkdirTemp("", "oauthcheck-dockerd-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "docker.sock")
	var log bytes.Buffer
	cmd := exec.Command(bin, "--iptables=false", "--bridge=none", "--host", "unix://"+sock,
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"), "--pidfile", filepath.Join(dir, "docker.pid"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dockerd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		// dockerd leaves its network namespace mounted under the exec root,
		// which would keep the folder.
		netns, _ := filepath.Glob(filepath.Join(dir, "exec", "netns", "*"))
		for _, ns := range netns {
			_ = exec.Command("umount", "-l", ns).Run()
		}
		os.RemoveAll(dir)
	})
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := docker.Connect()
		if err == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dockerd started for this test did not answer: %v\n%s", err, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The reference server, packed as a FROM scratch image of the static
// binary and started through ory/dockertest with host networking, passes
// the full suite, run by the binary as a user would.
func TestDockerReferenceTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image and runs the full suite")
	}
	pool := engine(t)
	ctxDir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(ctxDir, "oauthcheck"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build a static oauthcheck: %v\n%s", err, out)
	}
	secret := "docker-secret-" + fmt.Sprint(time.Now().UnixNano())
	refCfg := fmt.Sprintf(`users: [{username: alice, password: %q}]
clients:
  - {id: web-a, secret: %q, redirect_uris: ["https://client.oauthcheck.test/cb"], grant_types: [authorization_code, refresh_token, client_credentials]}
  - {id: web-b, secret: %q, redirect_uris: ["https://client.oauthcheck.test/cb"], grant_types: [authorization_code, refresh_token, client_credentials]}
  - {id: spa, redirect_uris: ["https://client.oauthcheck.test/cb"], grant_types: [authorization_code, refresh_token]}
  - {id: spa2, redirect_uris: ["https://client.oauthcheck.test/cb"], grant_types: [authorization_code, refresh_token]}
  - {id: tv, grant_types: ["urn:ietf:params:oauth:grant-type:device_code", refresh_token]}
  - {id: tv2, grant_types: ["urn:ietf:params:oauth:grant-type:device_code", refresh_token]}
code_ttl: 10s
refresh_ttl: 10s
device_interval: 1s
device_ttl: 20s
`, secret+"-pw", secret+"-a", secret+"-b")
	must(t, os.WriteFile(filepath.Join(ctxDir, "ref.yaml"), []byte(refCfg), 0o644))
	must(t, os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY oauthcheck ref.yaml /\nENTRYPOINT [\"/oauthcheck\", \"reference\", \"--config\", \"/ref.yaml\"]\n"), 0o644))

	port := freePort(t)
	issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := pool.Start(ctx, docker.Options{
		Image: "oauthcheck-reference:test", Build: ctxDir,
		Cmd:   []string{"--addr", fmt.Sprintf("127.0.0.1:%d", port)},
		Ready: issuer + "/.well-known/oauth-authorization-server",
	})
	if errors.Is(err, docker.ErrNoEngine) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	cfg := &target.Config{
		Issuer: issuer, Profile: "bcp", RedirectURI: "https://client.oauthcheck.test/cb",
		Clients: map[string]*target.Client{
			target.RoleConfidential:  {ID: "web-a", Secret: secret + "-a", AuthMethod: "client_secret_basic"},
			target.RoleConfidential2: {ID: "web-b", Secret: secret + "-b", AuthMethod: "client_secret_basic"},
			target.RolePublic:        {ID: "spa"},
			target.RolePublic2:       {ID: "spa2"},
			target.RoleDevice:        {ID: "tv"},
			target.RoleDevice2:       {ID: "tv2"},
		},
		User:  &target.User{Username: "alice", Password: secret + "-pw"},
		Login: "builtin:reference", Scope: "openid profile", ExtraScope: "email", Oracle: "introspection",
		CodeLifetime: 10 * time.Second, RefreshLifetime: 10 * time.Second,
	}
	raw, err := cfg.Marshal()
	must(t, err)
	cfgPath := filepath.Join(t.TempDir(), "docker.yaml")
	must(t, os.WriteFile(cfgPath, raw, 0o600))

	run := exec.CommandContext(ctx, filepath.Join(ctxDir, "oauthcheck"), "run", "--target", issuer, "--config", cfgPath, "--quiet")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("the full suite against the reference in a container: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), " 0 FAIL") {
		t.Errorf("summary does not say 0 FAIL:\n%s", out)
	}
	for _, s := range []string{secret + "-a", secret + "-b", secret + "-pw"} {
		if strings.Contains(string(out), s) {
			t.Errorf("the output holds a secret")
		}
	}
	t.Logf("container %s:\n%s", c.ID()[:12], lastLines(string(out), 3))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
