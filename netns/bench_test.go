package netns_test

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
	"github.com/spacelab-dev/spacelab/netns"
)

// BenchmarkSandboxStart measures starting and stopping an empty sandbox. Its peer is the
// kernel's floor for the same: /bin/true started in fresh network, mount, PID, UTS and IPC
// namespaces (and a user namespace when not root), waited for.
func BenchmarkSandboxStart(b *testing.B) {
	var peer benchpeer.Peer
	b.Run("namespaced-true", func(b *testing.B) {
		flags := uintptr(unix.CLONE_NEWNET | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
		attr := &syscall.SysProcAttr{Cloneflags: flags}
		if uid, gid := os.Getuid(), os.Getgid(); uid != 0 {
			attr.Cloneflags |= unix.CLONE_NEWUSER
			attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
			attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
		}
		for b.Loop() {
			cmd := exec.Command("/bin/true")
			cmd.SysProcAttr = attr
			if err := cmd.Run(); err != nil {
				b.Skipf("cannot start a process in new namespaces: %v", err)
			}
		}
		peer.Record(b, "namespaced-true")
	})
	b.Run("sandbox", func(b *testing.B) {
		for b.Loop() {
			s, err := netns.Start(context.Background(), netns.Options{})
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
		peer.Compare(b)
	})
}
