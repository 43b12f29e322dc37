package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// treeUsage is what a process and all its descendants use now: the sum of
// their proportional set sizes (PSS, from /proc/PID/smaps_rollup, which
// shares a page among the processes that map it) and of their CPU time
// (user and system, from /proc/PID/stat). It reads Linux's /proc; elsewhere
// it reports zero.
func treeUsage(root int) (pss int64, cpu time.Duration) {
	children := map[int][]int{}
	stats := map[int][]string{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// The command name may hold spaces and parentheses: the fields
		// start after the last ")".
		i := bytes.LastIndexByte(raw, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(raw[i+1:]))
		if len(f) < 13 {
			continue
		}
		stats[pid] = f
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	tick := time.Second / 100 // USER_HZ on Linux
	for todo := []int{root}; len(todo) > 0; {
		pid := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], children[pid]...)
		if f, ok := stats[pid]; ok {
			utime, _ := strconv.ParseInt(f[11], 10, 64)
			stime, _ := strconv.ParseInt(f[12], 10, 64)
			cpu += time.Duration(utime+stime) * tick
		}
		pss += smapsPSS(pid)
	}
	return pss, cpu
}

// smapsPSS is a process's PSS in bytes, or 0 when it cannot be read.
func smapsPSS(pid int) int64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
