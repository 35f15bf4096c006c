package main_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// TestDynoStartingUntilItListens: a web dyno is starting in heroku ps (GET /apps/{app}/dynos)
// while its process has not bound $PORT, up once it has; heroku ps:restart makes it starting
// again until the new process binds. The process here binds only when told to (a datagram
// inside the dyno), so each state is seen for certain.
func TestDynoStartingUntilItListens(t *testing.T) {
	heroku := testenv.HerokuCLI(t)
	testenv.Binary(t, "python3")
	u := startUp(t, "--topology", "testdata/dyno-boot.yaml")
	starting := regexp.MustCompile(`(?m)^web\.1: starting `)
	up := regexp.MustCompile(`(?m)^web\.1: up `)
	for round, step := range []string{"boot", "ps:restart"} {
		if step == "ps:restart" {
			u.heroku(heroku, "ps:restart", "--app", "test-vpn-compute")
		}
		if ps := u.heroku(heroku, "ps", "--app", "test-vpn-compute"); !starting.MatchString(ps) {
			t.Fatalf("%s: heroku ps before the process listens:\n%s", step, ps)
		}
		// Tell the process to bind $PORT (again until it has heard: it may not be reading yet).
		for state := ""; state != "up"; state = u.dynoState("test-vpn-compute", "web.1") {
			if out, code := u.run("exec", "test-vpn-compute/web.1", "--", "python3", "-c",
				`import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"go", ("127.0.0.1", 7777))`); code != 0 {
				t.Fatalf("%s: poke the process (%d): %s", step, code, out)
			}
			if state != "" && state != "starting" {
				t.Fatalf("%s: web.1 is %q, want starting then up", step, state)
			}
			time.Sleep(100 * time.Millisecond) // polling the API: the state has no event to wait on
		}
		if ps := u.heroku(heroku, "ps", "--app", "test-vpn-compute"); !up.MatchString(ps) {
			t.Fatalf("%s (round %d): heroku ps once the process listens:\n%s", step, round, ps)
		}
	}
}

// dynoState reads one dyno's state from GET /apps/{app}/dynos.
func (u *up) dynoState(app, dyno string) string {
	u.t.Helper()
	req, _ := http.NewRequest("GET", u.getenv("HEROKU_HOST")+"/apps/"+app+"/dynos", nil)
	req.Header.Set("Authorization", "Bearer "+u.getenv("HEROKU_API_KEY"))
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ds []struct{ Name, State string }
	if err := json.NewDecoder(resp.Body).Decode(&ds); err != nil {
		u.t.Fatalf("GET /apps/%s/dynos: %v", app, err)
	}
	for _, d := range ds {
		if d.Name == dyno {
			return d.State
		}
	}
	u.t.Fatalf("GET /apps/%s/dynos has no %s: %+v", app, dyno, ds)
	return ""
}
