//go:build linux

package netns

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// FuzzExecProtocol feeds arbitrary records to both ends of the exec socket protocol
// (SOCK_SEQPACKET, one JSON record per packet). The sandbox's side answers any first record
// with exactly one well-formed record (an error, or the host list) and never panics; the
// client's side (ListHosts) takes any answer without panicking.
func FuzzExecProtocol(f *testing.F) {
	for _, s := range []string{`{"op":"hosts"}`, `{"op":"exec","host":"x","argv":["true"]}`, `{"op":"signal","signal":9}`, `{"op":""}`, `{`, `null`, `[]`,
		`{"op":"hostlist","hosts":[{"Name":"a"}]}`, `{"op":"error","error":"x"}`, ``} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	sock := filepath.Join(dir, "exec.sock")
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { l.Close() })
	a := &Agent{log: slog.New(slog.DiscardHandler), hosts: map[string]*host{}, links: map[string]*netspec.Link{},
		spec: &netspec.Spec{Hosts: []*netspec.Host{{Name: "h1", Aliases: []string{"one"}}}}}
	f.Fuzz(func(t *testing.T, rec []byte) {
		if len(rec) == 0 || len(rec) > 64<<10 {
			return
		}
		// The sandbox's side.
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		client := os.NewFile(uintptr(fds[0]), "client")
		// FileConn dups the descriptor; close the original through its *os.File, never by
		// number, or the File's finalizer may later close a reused descriptor of another file.
		sf := os.NewFile(uintptr(fds[1]), "server")
		server, err := net.FileConn(sf)
		sf.Close()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); a.handleExec(server.(*net.UnixConn)) }()
		if _, err := client.Write(rec); err != nil {
			t.Fatal(err)
		}
		var replies []execMessage
		buf := make([]byte, 1<<20)
		for {
			n, err := client.Read(buf)
			if err == io.EOF || n == 0 {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			var m execMessage
			if err := json.Unmarshal(buf[:n], &m); err != nil {
				t.Fatalf("record %q answered with %q, not JSON", rec, buf[:n])
			}
			replies = append(replies, m)
		}
		<-done
		client.Close()
		if len(replies) != 1 || replies[0].Op != "error" && replies[0].Op != "hostlist" {
			t.Fatalf("record %q answered with %+v, want one error or hostlist", rec, replies)
		}

		// The client's side: a sandbox that answers rec.
		served := make(chan struct{})
		go func() {
			defer close(served)
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			defer c.Close()
			b := make([]byte, 4096)
			if _, err := c.Read(b); err != nil {
				return
			}
			_, _ = c.Write(rec)
		}()
		hosts, err := ListHosts(sock)
		<-served
		if err == nil {
			var m execMessage
			if json.Unmarshal(rec, &m) != nil || m.Op != "hostlist" || len(hosts) != len(m.Hosts) {
				t.Fatalf("ListHosts took %q as %v", rec, hosts)
			}
		}
	})
}
