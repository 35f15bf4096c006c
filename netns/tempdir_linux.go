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

	"github.com/spacelab-dev/spacelab/internal/proc"
)

// A sandbox started without a directory makes a temporary one ($TMPDIR/spacelab-*) and
// removes it when it closes. A caller killed with SIGKILL cannot remove it, so the directory
// records its maker (pid and start time, in the file "owner"), and every sandbox start removes
// the temporary directories of makers that are gone: nothing a killed `spacelab run` or test
// made is left once the next one has started. The name (spacelab-PID.START-…) names the maker
// too, for a maker killed before it wrote the file. Directories naming no maker (not made this
// way) and directories of other users are never touched.

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
	me, err := proc.Self()
	if err != nil {
		return "", err
	}
	// The name carries the maker too: a maker killed between making the directory and writing
	// its owner file still leaves a directory the sweep can attribute.
	d, err := os.MkdirTemp("", fmt.Sprintf("%s%d.%d-*", tempPrefix, me.PID, me.Start))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(d, ownerName), []byte(fmt.Sprintf("%d %d\n", me.PID, me.Start)), 0o600); err != nil {
		os.RemoveAll(d)
		return "", err
	}
	return d, nil
}

// ownerOfName reads the maker from a directory name made by makeTempDir
// (spacelab-PID.START-RANDOM).
func ownerOfName(name string) (pid int, start uint64, err error) {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	id, _, ok2 := strings.Cut(rest, "-")
	p, st, ok3 := strings.Cut(id, ".")
	if !ok || !ok2 || !ok3 {
		return 0, 0, errors.New("netns: no owner in the name")
	}
	if pid, err = strconv.Atoi(p); err != nil || pid <= 0 {
		return 0, 0, errors.New("netns: no owner in the name")
	}
	start, err = strconv.ParseUint(st, 10, 64)
	return pid, start, err
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
		if errors.Is(err, os.ErrNotExist) {
			pid, start, err = ownerOfName(e.Name())
		}
		if err != nil || (proc.ID{PID: pid, Start: start}).Alive() {
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
