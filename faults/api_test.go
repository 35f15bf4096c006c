package faults

import (
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

// TestAWSFaultForNCalls: an action fails with the given error for exactly its next N calls;
// other actions are untouched; status counts them.
func TestAWSFaultForNCalls(t *testing.T) {
	a, err := NewAPI(1, APIRule{Service: "aws", Action: "CreateRoute", Code: "RequestLimitExceeded", Status: 503, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 4 {
		if e := a.AWS("CreateRoute", emulator.Caller{}); e != nil {
			got = append(got, e.Code)
		} else {
			got = append(got, "ok")
		}
	}
	if want := []string{"RequestLimitExceeded", "RequestLimitExceeded", "ok", "ok"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls: %v, want %v", got, want)
	}
	if e := a.AWS("DescribeVpcs", emulator.Caller{}); e != nil {
		t.Errorf("another action failed: %v", e)
	}
	st := a.Status()
	if len(st) != 1 || st[0].Failed != 2 || st[0].Remaining != 0 || st[0].Matched != 2 {
		t.Errorf("status %+v", st)
	}
}

// TestHerokuFault: a Heroku path pattern fails with the Heroku error id and status given.
func TestHerokuFault(t *testing.T) {
	a, _ := NewAPI(1, APIRule{Service: "heroku", Action: "PATCH /apps/*/formation/web", Code: "rate_limit", Status: 429, Count: 1})
	req := httptest.NewRequest("PATCH", "/apps/app1/formation/web", nil)
	var he *emulator.HerokuError
	if err := a.Heroku(req); !errors.As(err, &he) || he.Status != 429 || he.ID != "rate_limit" {
		t.Fatalf("first call: %v", err)
	}
	if err := a.Heroku(req); err != nil {
		t.Errorf("second call: %v", err)
	}
	if err := a.Heroku(httptest.NewRequest("GET", "/apps/app1/formation/web", nil)); err != nil {
		t.Errorf("another method failed: %v", err)
	}
}

// TestProbabilisticFaultsAreSeeded: the same seed fails the same calls.
func TestProbabilisticFaultsAreSeeded(t *testing.T) {
	run := func(seed uint64) []bool {
		a, _ := NewAPI(seed, APIRule{Service: "aws", Action: "RunInstances", Code: "InsufficientInstanceCapacity", Probability: 0.5})
		var out []bool
		for range 64 {
			out = append(out, a.AWS("RunInstances", emulator.Caller{}) != nil)
		}
		return out
	}
	a, b := run(7), run(7)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different failures")
	}
	n := 0
	for _, f := range a {
		if f {
			n++
		}
	}
	if n == 0 || n == len(a) {
		t.Errorf("probability 0.5 failed %d of %d calls", n, len(a))
	}
}

func TestBadRules(t *testing.T) {
	for _, r := range []APIRule{{Service: "gcp", Action: "x", Code: "y"}, {Service: "aws", Code: "y"}, {Service: "aws", Action: "x"},
		{Service: "heroku", Action: "/apps", Code: "y"}, {Service: "aws", Action: "x", Code: "y", Probability: 1}, {Service: "aws", Action: "x", Code: "y", Status: 200}} {
		if _, err := NewAPI(1, r); err == nil {
			t.Errorf("rule %+v accepted", r)
		}
	}
}

// A nil plan fails nothing.
func TestNilPlan(t *testing.T) {
	var a *API
	if a.AWS("x", emulator.Caller{}) != nil || a.Heroku(httptest.NewRequest("GET", "/", nil)) != nil || a.Status() != nil {
		t.Error("nil plan failed a call")
	}
}
