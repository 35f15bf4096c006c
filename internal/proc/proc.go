// Package proc names a process across pid reuse: a pid together with its start time (from
// /proc), which no later process with the same pid shares. spacelab records the processes it
// starts this way, so that the next run can tell a dead run's leftovers from a live one.
package proc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ID is one process: its pid and its start time in clock ticks since boot.
type ID struct {
	PID   int
	Start uint64
}

// Self is the calling process.
func Self() (ID, error) { return Of(os.Getpid()) }

// Of reads the ID of the process that has pid now.
func Of(pid int) (ID, error) {
	st, _, err := stat(pid)
	if err != nil {
		return ID{}, err
	}
	return ID{PID: pid, Start: st}, nil
}

// StartTime is the start time (clock ticks since boot) of the process that has pid now.
func StartTime(pid int) (uint64, error) {
	st, _, err := stat(pid)
	return st, err
}

// Alive reports whether id's process still runs: the pid has the same start time and is not a
// zombie.
func (id ID) Alive() bool {
	if id.PID <= 0 {
		return false
	}
	st, state, err := stat(id.PID)
	return err == nil && st == id.Start && state != 'Z'
}

// String is "PID:START", the form Parse reads.
func (id ID) String() string { return fmt.Sprintf("%d:%d", id.PID, id.Start) }

// Parse reads the form String writes.
func Parse(s string) (ID, error) {
	p, st, ok := strings.Cut(s, ":")
	pid, err1 := strconv.Atoi(p)
	start, err2 := strconv.ParseUint(st, 10, 64)
	if !ok || err1 != nil || err2 != nil || pid <= 0 {
		return ID{}, fmt.Errorf("proc: bad process id %q", s)
	}
	return ID{PID: pid, Start: start}, nil
}

// stat reads a process's start time and state letter from /proc/PID/stat.
func stat(pid int) (start uint64, state byte, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("proc: bad /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, 0, errors.New("proc: bad /proc stat")
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0][0], err
}

// Marked lists the processes whose environment holds the variable key (as KEY=VALUE) and
// their values. Processes this user may not read are left out.
func Marked(key string) (map[int]string, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	prefix := []byte(key + "=")
	out := map[int]string{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if strings.HasPrefix(kv, string(prefix)) {
				out[pid] = kv[len(prefix):]
				break
			}
		}
	}
	return out, nil
}
