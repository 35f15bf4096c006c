package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tick is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
const tick = 10 * time.Millisecond

// stat is a process's cpu time (user + system) and, with reaped, that of its waited-for
// children.
func stat(pid string, reaped bool) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// f[0] is stat's field 3 (the state); utime, stime, cutime, cstime are fields 14-17.
	var n int64
	last := 12
	if reaped {
		last = 14
	}
	for i := 11; i <= last && i < len(f); i++ {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		n += v
	}
	return time.Duration(n) * tick
}

// children are a process's live children.
func children(pid string) []string {
	var out []string
	tasks, _ := filepath.Glob(filepath.Join("/proc", pid, "task", "*", "children"))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		out = append(out, strings.Fields(string(b))...)
	}
	return out
}

// treeCPU is the cpu time of a process and all its descendants, live and reaped.
func treeCPU(pid string) time.Duration {
	d := stat(pid, true)
	for _, c := range children(pid) {
		d += treeCPU(c)
	}
	return d
}

// spacelabCPU is the cpu time of this process (without the terraform runs it waited for) and
// of its live children except moto_server: spacelab's sandbox and what runs in its hosts.
func spacelabCPU(moto int) time.Duration {
	d := stat("self", false)
	for _, c := range children(strconv.Itoa(os.Getpid())) {
		if c != strconv.Itoa(moto) {
			d += treeCPU(c)
		}
	}
	return d
}
