package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The Heroku Platform API kinds of writes, on the fleet's space "big".

func init() {
	register(kind{name: "heroku PUT inbound-ruleset", prepare: func(e *env) func(int) error {
		return func(i int) error {
			body := fmt.Sprintf(`{"rules":[{"action":"allow","source":"0.0.0.0/0"},{"action":"deny","source":"198.51.100.%d/32"}]}`, i%250)
			return herokuCall(e, http.MethodPut, "/spaces/big/inbound-ruleset", body, http.StatusOK)
		}
	}})
	register(kind{name: "heroku POST /teams/apps + DELETE /apps", most: 1000, prepare: func(e *env) func(int) error {
		return func(i int) error {
			if i%2 == 1 {
				return herokuCall(e, http.MethodDelete, "/apps/bench-app", "", http.StatusOK)
			}
			return herokuCall(e, http.MethodPost, "/teams/apps", `{"name":"bench-app","space":"big"}`, http.StatusCreated)
		}
	}})
}

// herokuCall sends one Platform API request as the topology's first user and wants status.
func herokuCall(e *env, method, path, body string, status int) error {
	req, err := http.NewRequestWithContext(e.ctx, method, e.lab.HerokuURL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+e.lab.HerokuToken)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	io.Copy(io.Discard, resp.Body)
	return nil
}
