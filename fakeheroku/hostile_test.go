package fakeheroku

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestHostileInput: input the Platform API refuses gets its error document (id, status) and
// changes nothing: bodies that are not JSON by Content-Type, not UTF-8, oversize, of the wrong
// type (named without Go's type names) or with control characters, and paths that only a
// cleaning redirect would make valid.
func TestHostileInput(t *testing.T) {
	e := newEnv(t)
	before, gen := e.snapshot(), e.world.Generation()
	vpnBody := func(name string) string {
		return `{"name":"` + name + `","public_ip":"198.51.100.7","routable_cidrs":["192.168.7.0/24"]}`
	}
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		id, msg                  string
	}{
		{"text/plain body", "POST", "/spaces/" + seedSpace + "/vpn-connections", vpnBody("office"), []string{"Content-Type", "text/plain"}, 400, "bad_request", "must be JSON"},
		{"form body", "PATCH", "/apps/" + seedApp + "/formation/web", "quantity=0", []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, "bad_request", "must be JSON"},
		{"garbled Content-Type", "PATCH", "/apps/" + seedApp + "/formation/web", `{"quantity":0}`, []string{"Content-Type", ";;;"}, 400, "bad_request", "must be JSON"},
		{"invalid UTF-8 in a name", "POST", "/spaces/" + seedSpace + "/vpn-connections", vpnBody("off\xffice"), nil, 400, "bad_request", "not valid UTF-8"},
		{"control character in a name", "POST", "/spaces/" + seedSpace + "/vpn-connections", vpnBody(`off\u0000ice`), nil, 422, "invalid_params", "Invalid value for name: control characters"},
		{"escape in a rule source", "PUT", "/spaces/" + seedSpace + "/inbound-ruleset", `{"rules":[{"action":"allow","source":"0.0.0.0/0\u001b[2J"}]}`, nil, 422, "invalid_params", "rules[0].source"},
		{"size as a number", "PATCH", "/apps/" + seedApp + "/formation/web", `{"size":5}`, nil, 422, "invalid_params", "Invalid type for size: expected string, got number."},
		{"updates as an object", "PATCH", "/apps/" + seedApp + "/formation", `{"updates":{"type":"web"}}`, nil, 422, "invalid_params", "expected array, got object"},
		{"routable_cidrs as a string", "POST", "/spaces/" + seedSpace + "/vpn-connections", `{"name":"x","public_ip":"198.51.100.7","routable_cidrs":"192.168.7.0/24"}`, nil, 422, "invalid_params", "expected array, got string"},
		{"body not an object", "PATCH", "/spaces/" + seedSpace, `["name"]`, nil, 400, "bad_request", "must be a JSON object"},
		{"syntax error", "PATCH", "/spaces/" + seedSpace, `{"name":`, nil, 400, "bad_request", "Invalid JSON"},
		{"oversize body", "PATCH", "/spaces/" + seedSpace, `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, nil, 413, "request_entity_too_large", "larger than"},
		{"dot-dot path", "GET", "/spaces/../account", "", nil, 404, "not_found", "endpoint was not found"},
		{"dot-dot path to delete", "DELETE", "/apps/x/../" + seedApp, "", nil, 404, "not_found", "endpoint was not found"},
		{"doubled slash", "GET", "//spaces", "", nil, 404, "not_found", "endpoint was not found"},
		{"dot path", "GET", "/spaces/./" + seedSpace, "", nil, 404, "not_found", "endpoint was not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if strings.Contains(tc.path, "..") || strings.Contains(tc.path, "/./") || strings.HasPrefix(tc.path, "//") {
				r = e.rawPath(tc.method, tc.path)
			} else {
				r = e.do(tc.method, tc.path, tc.body, tc.headers...)
			}
			var body errorBody
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("%d %q is not a Heroku error document: %v", r.Status, r.Body, err)
			}
			if r.Status != tc.status || body.ID != tc.id || !strings.Contains(body.Message, tc.msg) {
				t.Errorf("%d %s, want %d %s %q", r.Status, r.Body, tc.status, tc.id, tc.msg)
			}
			for _, leak := range []string{"*string", "[]string", "int64", "struct {", "fakeheroku."} {
				if strings.Contains(body.Message, leak) {
					t.Errorf("message %q leaks the Go type %q", body.Message, leak)
				}
			}
		})
	}
	if g := e.world.Generation(); g != gen {
		t.Errorf("refused requests changed the world (generation %d → %d)", gen, g)
	}
	if after := e.snapshot(); after != before {
		t.Errorf("refused requests changed what the API shows:\nbefore %s\nafter  %s", before, after)
	}
}

// rawPath sends a request whose path is written on the wire as given (net/http's client would
// keep it, but say so explicitly).
func (e *env) rawPath(method, path string) response {
	e.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	req := method + " " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testToken +
		"\r\nAccept: application/vnd.heroku+json; version=3\r\nConnection: close\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		e.t.Fatal(err)
	}
	res, err := http.ReadResponse(bufioReader(c), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = ioCopy(&b, res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: []byte(b.String())}
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

func ioCopy(w io.Writer, r io.Reader) (int64, error) { return io.Copy(w, r) }
