package target

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oauthcheck/oauthcheck/drivers/docker"
)

// Vendor describes how to start a real, independent authorization server
// as a target (testdata/vendors/NAME/vendor.yaml): as a local process, or
// as a container image.
type Vendor struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	// Setup runs once in the vendor's folder before it starts, such as
	// "npm ci" or "go build".
	Setup []string `yaml:"setup"`
	// Start runs the server in the vendor's folder, with PORT set.
	Start []string `yaml:"start"`
	// Image runs the server as a container instead (drivers/docker).
	Image string `yaml:"image"`
	// Build is a folder, relative to the vendor's, with a Dockerfile that
	// builds Image.
	Build  string            `yaml:"build"`
	Port   int               `yaml:"port"`
	Issuer string            `yaml:"issuer"`
	Config string            `yaml:"config"`
	Expect string            `yaml:"expect"`
	Env    map[string]string `yaml:"env"`

	// Dir is the vendor's folder.
	Dir string `yaml:"-"`
}

// LoadVendor reads dir/vendor.yaml.
func LoadVendor(dir string) (*Vendor, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "vendor.yaml"))
	if err != nil {
		return nil, fmt.Errorf("target: vendor: %w", err)
	}
	var v Vendor
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("target: vendor %s: %w", dir, err)
	}
	v.Dir = dir
	switch {
	case v.Name == "":
		return nil, fmt.Errorf("target: vendor %s: no name", dir)
	case len(v.Start) == 0 && v.Image == "":
		return nil, fmt.Errorf("target: vendor %s: neither start nor image says how to run it", dir)
	case v.Issuer == "":
		return nil, fmt.Errorf("target: vendor %s: no issuer", dir)
	}
	return &v, nil
}

// Path resolves a file named in vendor.yaml against the vendor's folder.
func (v *Vendor) Path(name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(v.Dir, name)
}

// Missing says what this machine lacks to run the vendor, or "".
func (v *Vendor) Missing() string {
	for _, argv := range [][]string{v.Setup, v.Start} {
		if len(argv) > 0 && !strings.HasPrefix(argv[0], ".") {
			if _, err := exec.LookPath(argv[0]); err != nil {
				return fmt.Sprintf("%s is not installed", argv[0])
			}
		}
	}
	if v.Image != "" {
		if _, err := docker.Connect(); err != nil {
			return err.Error()
		}
	}
	return ""
}

// Launch prepares and starts the vendor's server and waits until its
// discovery answers. stop ends it.
func (v *Vendor) Launch(ctx context.Context, log io.Writer) (stop func(), err error) {
	if len(v.Setup) > 0 {
		cmd := exec.CommandContext(ctx, v.Setup[0], v.Setup[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = v.Dir, log, log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("target: vendor %s: setup %s: %w", v.Name, strings.Join(v.Setup, " "), err)
		}
	}
	a, b, err := WellKnownURLs(v.Issuer)
	if err != nil {
		return nil, err
	}
	// Something already answering there would be tested in its place.
	probe := &http.Client{Timeout: time.Second}
	if resp, err := probe.Get(v.Issuer); err == nil {
		resp.Body.Close()
		return nil, fmt.Errorf("target: vendor %s: something already answers at %s; stop it first", v.Name, v.Issuer)
	}
	if v.Image != "" {
		pool, err := docker.Connect()
		if err != nil {
			return nil, err
		}
		build := ""
		if v.Build != "" {
			build = v.Path(v.Build)
		}
		var env []string
		for k, val := range v.Env {
			env = append(env, k+"="+val)
		}
		env = append(env, "PORT="+strconv.Itoa(v.Port))
		c, err := pool.Start(ctx, docker.Options{Image: v.Image, Build: build, Env: env, Ready: b})
		if err != nil {
			return nil, err
		}
		return func() { _ = c.Close() }, nil
	}
	cmd := exec.Command(v.Start[0], v.Start[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = v.Dir, log, log
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(v.Port))
	for k, val := range v.Env {
		cmd.Env = append(cmd.Env, k+"="+val)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("target: vendor %s: start %s: %w", v.Name, strings.Join(v.Start, " "), err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		for _, u := range []string{a, b} {
			if resp, err := client.Get(u); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return stop, nil
				}
			}
		}
		select {
		case err := <-exited:
			exited <- err
			stop()
			return nil, fmt.Errorf("target: vendor %s exited before its discovery answered: %v", v.Name, err)
		case <-ctx.Done():
			stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("target: vendor %s: discovery at %s did not answer within 90 s", v.Name, v.Issuer)
		}
	}
}
