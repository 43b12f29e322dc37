package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// orphanCPUEnv makes the test binary run orphanCPU instead of the tests.
const orphanCPUEnv = "OAUTHCHECK_TEST_ORPHANCPU"

// orphanCPU is the bench's measure in small: it starts a shell that
// leaves behind a process burning CPU, as Chromium's do when the run
// closes it, and prints the CPU time of its children once it has reaped
// the orphan.
func orphanCPU() int {
	if err := adoptOrphans(); err != nil {
		fmt.Println("adopt:", err)
		return 1
	}
	before := childrenCPU()
	sh := exec.Command("sh", "-c", `(i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done) >/dev/null 2>&1 & exit 0`)
	if err := sh.Run(); err != nil {
		fmt.Println("sh:", err)
		return 1
	}
	reapOrphans(30 * time.Second)
	fmt.Println(int64(childrenCPU() - before))
	return 0
}

// The bench counts the CPU time of processes that outlive their parents:
// without adoption it would lose most of the browser's.
func TestReapOrphansCountsTheirCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("adoption needs Linux's prctl")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), orphanCPUEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if got := time.Duration(ns); got < 100*time.Millisecond {
		t.Errorf("the children's CPU time is %s: the orphan's loop, which takes far more, was not counted", got)
	}
}
