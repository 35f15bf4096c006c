// Package faults makes spacelab fail on purpose, for users who test their own resilience: an
// API action answers a given AWS or Heroku error for its next N calls (or, seeded, a share of
// them), deterministically, and reports what it did so that `status` can show it.
package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/spacelab-dev/spacelab/emulator"
)

// APIRule makes matching API calls fail.
type APIRule struct {
	// ID names the rule for `spacelab fault clear`; the lab gives one when empty.
	ID string `yaml:"id" json:"id,omitempty"`
	// Service is "aws" (EC2 and STS) or "heroku".
	Service string `yaml:"service" json:"service"`
	// Action is an EC2/STS action name (CreateRoute) for aws, or "METHOD /path" for heroku where
	// the path may hold * for one segment (PATCH /apps/*/formation/web).
	Action string `yaml:"action" json:"action"`
	// Code is the AWS error code (RequestLimitExceeded) or Heroku error id (rate_limit).
	Code string `yaml:"code" json:"code"`
	// Message is the error message; empty means a generic one naming the fault.
	Message string `yaml:"message" json:"message,omitempty"`
	// Status is the HTTP status; zero means 400 for AWS and 503 for Heroku.
	Status int `yaml:"status" json:"status,omitempty"`
	// Count is how many matching calls fail; zero means every one.
	Count int `yaml:"count" json:"count,omitempty"`
	// Probability, between 0 and 1 exclusive, fails that share of matching calls, drawn from
	// the plan's seeded generator; zero means every matching call (up to Count).
	Probability float64 `yaml:"probability" json:"probability,omitempty"`
}

// APIRuleStatus is a rule with what it has done.
type APIRuleStatus struct {
	APIRule
	Matched   int `json:"matched"`
	Failed    int `json:"failed"`
	Remaining int `json:"remaining"` // -1: unlimited
}

// API is a set of API fault rules. The zero value and nil fail nothing. It is safe for
// concurrent use.
type API struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rules []*APIRuleStatus
}

// NewAPI returns a plan with rules; seed makes probabilistic rules repeatable.
func NewAPI(seed uint64, rules ...APIRule) (*API, error) {
	a := &API{rng: rand.New(rand.NewPCG(seed, seed^0xfa017))}
	for _, r := range rules {
		if err := a.Add(r); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Add adds a rule.
func (a *API) Add(r APIRule) error {
	switch {
	case r.Service != "aws" && r.Service != "heroku":
		return fmt.Errorf("faults: service %q is neither aws nor heroku", r.Service)
	case r.Action == "":
		return errors.New("faults: a rule needs an action")
	case r.Code == "":
		return errors.New("faults: a rule needs an error code")
	case r.Count < 0 || r.Probability < 0 || r.Probability >= 1:
		return fmt.Errorf("faults: count %d / probability %v out of range", r.Count, r.Probability)
	case r.Status != 0 && (r.Status < 400 || r.Status > 599):
		return fmt.Errorf("faults: status %d is not an HTTP error status", r.Status)
	}
	if r.Service == "heroku" {
		m, p, ok := strings.Cut(r.Action, " ")
		if !ok || m == "" || !strings.HasPrefix(p, "/") {
			return fmt.Errorf("faults: heroku action %q is not \"METHOD /path\"", r.Action)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	remaining := r.Count
	if remaining == 0 {
		remaining = -1
	}
	a.rules = append(a.rules, &APIRuleStatus{APIRule: r, Remaining: remaining})
	return nil
}

// Remove removes the rule with id and reports whether there was one.
func (a *API) Remove(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, r := range a.rules {
		if r.ID == id {
			a.rules = append(a.rules[:i], a.rules[i+1:]...)
			return true
		}
	}
	return false
}

// fire finds the first live rule matching and decides whether this call fails.
func (a *API) fire(match func(APIRule) bool) *APIRuleStatus {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.rules {
		if r.Remaining == 0 || !match(r.APIRule) {
			continue
		}
		r.Matched++
		if r.Probability > 0 && a.rng.Float64() >= r.Probability {
			return nil
		}
		r.Failed++
		if r.Remaining > 0 {
			r.Remaining--
		}
		return r
	}
	return nil
}

// AWS is a fakeaws.Server Inject hook.
func (a *API) AWS(action string, _ emulator.Caller) *emulator.AWSError {
	r := a.fire(func(r APIRule) bool { return r.Service == "aws" && r.Action == action })
	if r == nil {
		return nil
	}
	status := r.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	msg := r.Message
	if msg == "" {
		msg = fmt.Sprintf("spacelab fault: %s fails with %s", action, r.Code)
	}
	return &emulator.AWSError{Code: r.Code, Message: msg, Status: status}
}

// Heroku is a fakeheroku.Server Fault hook.
func (a *API) Heroku(req *http.Request) error {
	r := a.fire(func(r APIRule) bool {
		m, p, _ := strings.Cut(r.Action, " ")
		if r.Service != "heroku" || !strings.EqualFold(m, req.Method) {
			return false
		}
		ok, err := path.Match(p, req.URL.Path)
		return err == nil && ok
	})
	if r == nil {
		return nil
	}
	status := r.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	msg := r.Message
	if msg == "" {
		msg = fmt.Sprintf("spacelab fault: %s fails with %s.", r.Action, r.Code)
	}
	return &emulator.HerokuError{Status: status, ID: r.Code, Message: msg}
}

// Status reports every rule with its counts.
func (a *API) Status() []APIRuleStatus {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]APIRuleStatus, len(a.rules))
	for i, r := range a.rules {
		out[i] = *r
	}
	return out
}
