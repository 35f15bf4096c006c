//go:build linux

package netns

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A sandbox started without a directory makes a temporary one ($TMPDIR/spacelab-*) and
// removes it when it closes. A caller killed with SIGKILL cannot remove it, so the directory
// records its maker (pid and start time, in the file "owner"), and every sandbox start removes
// the temporary directories of makers that are gone: nothing a killed `spacelab run` or test
// made is left once the next one has started. Directories without an owner file (not made
// this way) and directories of other users are never touched.

const (
	tempPrefix = "spacelab-"
	ownerName  = "owner"
)

// sweepStale removes the temporary sandbox directories of makers that are gone (every Start
// does, whether or not it makes one itself).
func sweepStale(log *slog.Logger) {
	for _, d := range sweepTempDirs(os.TempDir()) {
		log.Info("removed the directory of a sandbox whose maker died", "dir", d)
	}
}

// makeTempDir makes a temporary sandbox directory owned by this process.
func makeTempDir(log *slog.Logger) (string, error) {
	d, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return "", err
	}
	me := os.Getpid()
	st, err := procStart(me)
	if err == nil {
		err = os.WriteFile(filepath.Join(d, ownerName), []byte(fmt.Sprintf("%d %d\n", me, st)), 0o600)
	}
	if err != nil {
		os.RemoveAll(d)
		return "", err
	}
	return d, nil
}

// sweepTempDirs removes the temporary sandbox directories in tmp whose maker is gone, and
// returns them.
func sweepTempDirs(tmp string) []string {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if info, err := e.Info(); err != nil || !ownedByMe(info) {
			continue
		}
		pid, start, err := readOwner(filepath.Join(dir, ownerName))
		if err != nil || makerAlive(pid, start) {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}

func ownedByMe(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

func readOwner(path string) (pid int, start uint64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, errors.New("netns: bad owner file")
	}
	if pid, err = strconv.Atoi(f[0]); err != nil || pid <= 0 {
		return 0, 0, errors.New("netns: bad owner file")
	}
	start, err = strconv.ParseUint(f[1], 10, 64)
	return pid, start, err
}

// makerAlive reports whether pid is still the process that started at start (and not a
// zombie).
func makerAlive(pid int, start uint64) bool {
	st, err := procStart(pid)
	if err != nil || st != start {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && len(b) > i+2 && b[i+2] != 'Z'
}

// procStart reads a process's start time (clock ticks since boot) from /proc.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("netns: bad /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, errors.New("netns: bad /proc stat")
	}
	return strconv.ParseUint(f[19], 10, 64)
}
