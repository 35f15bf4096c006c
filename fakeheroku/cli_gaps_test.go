package fakeheroku

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIRegions: heroku regions lists every region, Common Runtime first, and --private
// keeps the ten Private Space regions; GET /regions/{name} answers one, an unknown name 404.
func TestCLIRegions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.cli(testToken, "regions")
	for _, want := range []string{"tokyo", "Tokyo, Japan", "Private Spaces", "Common Runtime", "virginia"} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("regions: exit %d, no %q in\n%s%s", r.Code, want, r.Stdout, r.Stderr)
		}
	}
	if i, j := strings.Index(r.Stdout, "Common Runtime"), strings.Index(r.Stdout, "Private Spaces"); i < 0 || j < i {
		t.Errorf("regions: Common Runtime regions are not listed first:\n%s", r.Stdout)
	}
	r = e.cli(testToken, "regions", "--private", "--json")
	var regions []struct {
		Name           string `json:"name"`
		PrivateCapable bool   `json:"private_capable"`
		Provider       struct {
			Region string `json:"region"`
		} `json:"provider"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &regions); err != nil || r.Code != 0 {
		t.Fatalf("regions --private --json: exit %d, %v\n%s", r.Code, err, r.Stdout)
	}
	var names []string
	for _, rg := range regions {
		names = append(names, rg.Name)
		if !rg.PrivateCapable {
			t.Errorf("--private listed %s", rg.Name)
		}
		if rg.Name == "tokyo" && rg.Provider.Region != "ap-northeast-1" {
			t.Errorf("tokyo runs in %q", rg.Provider.Region)
		}
	}
	if got := strings.Join(names, " "); got != "dublin frankfurt london montreal mumbai oregon singapore sydney tokyo virginia" {
		t.Errorf("private regions: %s", got)
	}
	if res := e.do("GET", "/regions/tokyo", ""); res.Status != 200 || !strings.Contains(string(res.Body), `"name":"tokyo"`) {
		t.Errorf("GET /regions/tokyo: %d %s", res.Status, res.Body)
	}
	if res := e.do("GET", "/regions/atlantis", ""); res.Status != 404 || !strings.Contains(string(res.Body), `"id":"not_found"`) {
		t.Errorf("GET /regions/atlantis: %d %s", res.Status, res.Body)
	}
}
