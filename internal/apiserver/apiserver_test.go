package apiserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve starts New(h, l) on a loopback port and returns its address.
func serve(t *testing.T, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusRequestTimeout)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	}), l, nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedByServer reads from c until the server closes it and returns what it sent.
func closedByServer(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if !errors.As(err, &ne) {
			t.Fatalf("read: %v", err)
		}
	}
	return string(b)
}

// TestStalledClientsAreCutOff: a client that stops in the middle of its headers, of its body,
// or sits idle after an answer is disconnected by the server. The limits are short so that
// the server's own timer is the event the test waits for.
func TestStalledClientsAreCutOff(t *testing.T) {
	l := Limits{ReadHeader: 50 * time.Millisecond, Read: 100 * time.Millisecond, Write: time.Second, Idle: 100 * time.Millisecond}
	addr := serve(t, l)
	tests := []struct {
		name, send string
		want       string // what the server answers before it closes ("" = nothing)
	}{
		{"stalled headers", "POST / HTTP/1.1\r\nHost: x\r\nContent-Le", ""},
		{"stalled body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789", "408"},
		{"idle keep-alive", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "200 OK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			got := closedByServer(t, c)
			if tc.want == "" && strings.Contains(got, "200 OK") || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("server sent %q before closing, want %q", got, tc.want)
			}
		})
	}
}

// TestOversizeHeaders: headers above MaxHeaderBytes get 431 and no handler runs.
func TestOversizeHeaders(t *testing.T) {
	addr := serve(t, Limits{MaxHeaderBytes: 1 << 10, ReadHeader: time.Second})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 8<<10)+"\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", res.StatusCode)
	}
}
