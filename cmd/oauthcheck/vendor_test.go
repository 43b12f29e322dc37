package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
)

// Every vendor server of testdata/vendors that can run here is started,
// tested through the browser from end to end, and stopped: the run passes
// (every FAIL is a deviation its expect file records, with its reason),
// its three reports are written, and the README table can be made of them.
func TestVendors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers and runs every check against them")
	}
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "vendors", "*", "vendor.yaml"))
	if len(dirs) == 0 {
		t.Fatal("no vendors under testdata/vendors")
	}
	bin := oauthcheckBin(t)
	out := t.TempDir()
	for _, file := range dirs {
		dir, _ := filepath.Abs(filepath.Dir(file))
		v, err := target.LoadVendor(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(v.Name, func(t *testing.T) {
			if why := v.Missing(); why != "" {
				t.Skipf("vendor %s cannot run here: %s", v.Name, why)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "vendor", "run", dir, "--out", out, "--quiet")
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if err != nil {
				log, _ := os.ReadFile(filepath.Join(out, v.Name, "server.log"))
				t.Fatalf("vendor run %s: %v\nstdout:\n%s\nstderr:\n%s\nserver log (tail):\n%s", v.Name, err, stdout.String(), stderr.String(), lastLines(string(log), 20))
			}
			for _, f := range []string{"report.json", "junit.xml", "report.html"} {
				if st, err := os.Stat(filepath.Join(out, v.Name, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s: %s missing or empty", v.Name, f)
				}
			}
			t.Logf("%s: %s", v.Name, lastLines(stdout.String(), 1))
		})
	}
	cmd := exec.Command(bin, "vendor", "table", "--out", out)
	cmd.Dir = filepath.Join("..", "..")
	table, err := cmd.Output()
	if err != nil {
		t.Fatalf("vendor table: %v", err)
	}
	if !strings.Contains(string(table), "| vendor | flow | PASS |") {
		t.Errorf("vendor table:\n%s", table)
	}
}
