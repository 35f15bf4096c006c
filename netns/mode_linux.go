//go:build linux

package netns

import (
	"bufio"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// envUserNS overrides the choice of sandboxMode: "1" always makes a user namespace, "0" never
// (the latter only works as root with CAP_SYS_ADMIN and CAP_NET_ADMIN).
const envUserNS = "SPACELAB_SANDBOX_USERNS"

// mode is how the sandbox is started.
type mode struct {
	userns bool   // create a new user namespace
	reason string // why not, when userns is false
}

// sandboxMode decides whether the sandbox needs its own user namespace.
//
// A normal user always needs one: it is what gives the sandbox CAP_NET_ADMIN and CAP_SYS_ADMIN
// over its namespaces. Root needs none, and on a host gets one anyway (ids mapped to
// themselves). In a container (Docker, Podman, …) the runtime masks parts of /proc by mounting
// over them (/proc/kcore, /proc/sys read-only, …); the kernel then refuses a fresh proc mount
// from any user namespace but the initial one ("mount too revealing", EPERM), and without its
// own /proc the sandbox can neither open its namespaces by pid nor write per-namespace sysctls.
// So as root with a masked /proc and the capabilities (CAP_SYS_ADMIN, CAP_NET_ADMIN) the sandbox
// is made of network, mount, PID, UTS and IPC namespaces only. It stays just as sealed: its
// network namespace has only lo, it is PID 1 of its PID namespace, and it dies with its parent.
func sandboxMode() mode {
	switch os.Getenv(envUserNS) {
	case "1":
		return mode{userns: true}
	case "0":
		return mode{reason: envUserNS + "=0"}
	}
	if os.Getuid() != 0 || !hasCaps(unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN) {
		return mode{userns: true}
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return mode{userns: true}
	}
	defer f.Close()
	if m := procOvermount(f); m != "" {
		return mode{reason: "/proc is masked (" + m + " is mounted over), as in a container"}
	}
	return mode{userns: true}
}

// procOvermount returns the first mount point strictly below /proc in a mountinfo table, except
// binfmt_misc (mounted on an empty directory, which the kernel tolerates), or "".
func procOvermount(r io.Reader) string {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional fields] - fstype source super
		f := strings.Fields(sc.Text())
		if len(f) < 5 || !strings.HasPrefix(f[4], "/proc/") {
			continue
		}
		fstype := ""
		for i, x := range f {
			if x == "-" && i+1 < len(f) {
				fstype = f[i+1]
				break
			}
		}
		if fstype == "binfmt_misc" || fstype == "autofs" {
			continue
		}
		return f[4]
	}
	return ""
}

// hasCaps reports whether the calling process has every capability in its effective set.
func hasCaps(caps ...int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	for _, c := range caps {
		if data[c/32].Effective&(1<<(uint(c)%32)) == 0 {
			return false
		}
	}
	return true
}
