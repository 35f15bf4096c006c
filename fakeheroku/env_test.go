package fakeheroku

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	heroku "github.com/heroku/heroku-go/v5"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

// The seed walkthrough's world: its peering request was made at this time (it expires
// 2019-02-11T05:46:14Z, seven days later).
var seedTime = time.Date(2019, 2, 4, 5, 46, 14, 0, time.UTC)

const (
	testToken     = "tok-user-example"
	customerAcct  = "435886841536"
	customerVPC   = "vpc-0cb1a66017eed9372"
	spaceVPC      = "vpc-b39527d4"
	herokuAcct    = "884226375513"
	seedSpace     = "enablement-jp"
	seedApp       = "test-vpn-compute"
	seedTeam      = "enablement"
	customerCIDR  = "172.16.0.0/16"
	customerRegio = "us-east-1"
)

// clock is a settable time source for the world: frozen until run is called, then moving
// with the wall clock.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	started time.Time // zero while frozen
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started.IsZero() {
		return c.t
	}
	return c.t.Add(time.Since(c.started))
}

// run lets the clock follow real time from now on (for waits such as spaces:wait).
func (c *clock) run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = time.Now()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one fake Heroku API on a loopback port over the default topology, with every
// response checked against the schema.
type env struct {
	t     testing.TB
	world *emulator.World
	clock *clock
	srv   *Server
	http  *httptest.Server
	URL   string
}

// newEnv starts a server over topology.Default(); configure adjusts the Server before start.
func newEnv(t testing.TB, configure ...func(*Server)) *env {
	t.Helper()
	top := topology.Default()
	clk := &clock{t: seedTime}
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 7, Now: clk.Now}))
	if err := top.Apply(w, func(string) string { return testToken }); err != nil {
		t.Fatalf("apply topology: %v", err)
	}
	srv := &Server{World: w, Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, c := range configure {
		c(srv)
	}
	hs := httptest.NewServer(checked(t, srv))
	t.Cleanup(hs.Close)
	return &env{t: t, world: w, clock: clk, srv: srv, http: hs, URL: hs.URL}
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// requestPeering asks for a peering from the customer VPC to the space's VPC, as the seed's
// step 2 does in the AWS console, and returns its id.
func (e *env) requestPeering() string {
	e.t.Helper()
	var id string
	err := e.world.Update(func(tx *emulator.Tx) error {
		p, err := tx.CreatePeering(emulator.Caller{Account: customerAcct, Region: customerRegio}, emulator.PeeringRequest{
			VPCID: customerVPC, PeerVPCID: spaceVPC, PeerOwner: herokuAcct, PeerRegion: "ap-northeast-1"})
		if err != nil {
			return err
		}
		id = p.ID
		return nil
	})
	if err != nil {
		e.t.Fatalf("request peering: %v", err)
	}
	return id
}

// dataPeering is the id of the space's heroku-managed peering.
func (e *env) dataPeering() string {
	var id string
	_ = e.world.View(func(tx *emulator.Tx) error {
		id = tx.Space(seedSpace).DataPeeringID
		return nil
	})
	return id
}

// response is a served answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// do sends a request with the test token and the CLI's Accept. headers are name/value pairs
// that override or (with an empty value) remove defaults.
func (e *env) do(method, path, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// herokuGo is a heroku-go client for the server with the given token.
func (e *env) herokuGo(token string) *heroku.Service {
	svc := heroku.NewService(&http.Client{Transport: &heroku.Transport{BearerToken: token}})
	svc.URL = e.URL
	return svc
}

// snapshot renders what the Heroku API shows of the seed space and app, to compare before and
// after a refused request.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range []string{"/spaces/" + seedSpace, "/spaces/" + seedSpace + "/peerings", "/spaces/" + seedSpace + "/vpn-connections",
		"/spaces/" + seedSpace + "/topology",
		"/apps/" + seedApp, "/apps/" + seedApp + "/formation"} {
		r := e.do("GET", p, "")
		b.WriteString(p + " " + string(r.Body) + "\n")
	}
	return b.String()
}
