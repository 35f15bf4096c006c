//go:build linux

package netns

import (
	"strings"
	"testing"
)

func TestProcOvermount(t *testing.T) {
	for _, tc := range []struct {
		name, mountinfo, want string
	}{
		{"host", `22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
23 22 0:22 / /proc/sys/fs/binfmt_misc rw,relatime shared:6 - autofs systemd-1 rw
24 23 0:40 / /proc/sys/fs/binfmt_misc rw,nosuid,nodev,noexec,relatime shared:14 - binfmt_misc binfmt_misc rw
25 1 0:5 / /dev rw,nosuid - devtmpfs udev rw`, ""},
		{"docker", `600 580 0:60 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
601 600 0:60 /bus /proc/bus ro,nosuid,nodev,noexec,relatime - proc proc rw
606 600 0:64 / /proc/acpi ro,relatime - tmpfs tmpfs ro
607 600 0:58 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755`, "/proc/bus"},
		{"procfs lookalike", `30 1 0:33 / /procfs rw - tmpfs tmpfs rw`, ""},
		{"garbage", "\n\nnot a mountinfo line\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := procOvermount(strings.NewReader(tc.mountinfo)); got != tc.want {
				t.Errorf("procOvermount = %q, want %q", got, tc.want)
			}
		})
	}
}
