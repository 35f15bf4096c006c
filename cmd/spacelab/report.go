package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/scenarios"
)

// runReport collects the results of `spacelab run` for --junit and --json.
type runReport struct {
	junit, json, captureDir string
	suites                  []suiteResult
}

type suiteResult struct {
	Name   string       `json:"name"`
	Passed bool         `json:"passed"`
	Failed int          `json:"failed"`
	TookMS int64        `json:"took_ms"`
	Steps  []stepReport `json:"steps"`
}

type stepReport struct {
	N       int         `json:"n"`
	Name    string      `json:"name"`
	OK      bool        `json:"ok"`
	Detail  string      `json:"detail,omitempty"`
	TookMS  float64     `json:"took_ms"`
	Check   *lab.Report `json:"check,omitempty"`
	Capture string      `json:"capture,omitempty"`
}

func (r *runReport) dir() string {
	if r == nil {
		return ""
	}
	return r.captureDir
}

func (r *runReport) add(s *scenarios.Scenario, res *scenarios.Result, took time.Duration) {
	if r == nil {
		return
	}
	sr := suiteResult{Name: s.Name, Passed: res.Failed == 0, Failed: res.Failed, TookMS: took.Milliseconds()}
	for _, st := range res.Steps {
		sr.Steps = append(sr.Steps, stepReport{N: st.N, Name: st.Name, OK: st.OK, Detail: st.Detail,
			TookMS: float64(st.Took.Microseconds()) / 1000, Check: st.Report, Capture: st.Capture})
	}
	r.suites = append(r.suites, sr)
}

// JUnit XML, as CI systems read it: one testsuite per scenario, one testcase per step.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// write writes the files asked for.
func (r *runReport) write() error {
	if r == nil {
		return nil
	}
	if r.json != "" {
		b, _ := json.MarshalIndent(map[string]any{"scenarios": r.suites}, "", "  ")
		if err := os.WriteFile(r.json, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if r.junit != "" {
		var js junitSuites
		for _, s := range r.suites {
			su := junitSuite{Name: s.Name, Tests: len(s.Steps), Failures: s.Failed, Time: fmt.Sprintf("%.3f", float64(s.TookMS)/1000)}
			for _, st := range s.Steps {
				c := junitCase{Name: fmt.Sprintf("%02d %s", st.N, st.Name), Classname: s.Name, Time: fmt.Sprintf("%.3f", st.TookMS/1000)}
				if !st.OK {
					msg := firstLine(st.Detail)
					typ := "failed"
					if st.Check != nil && st.Check.Code != "" {
						typ = st.Check.Code
						if st.Check.Reason != "" {
							msg = st.Check.Code + ": " + st.Check.Reason
						}
					}
					c.Failure = &junitFailure{Message: msg, Type: typ, Text: st.Detail}
				} else if st.Detail != "" {
					c.SystemOut = st.Detail
				}
				su.Cases = append(su.Cases, c)
			}
			js.Suites = append(js.Suites, su)
		}
		b, err := xml.MarshalIndent(js, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(r.junit, append([]byte(xml.Header), append(b, '\n')...), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func (r *runReport) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.junit, "junit", "", "write a JUnit XML report (one testcase per step; a failure's text is its explanation)")
	f.StringVar(&r.json, "json", "", "write a JSON report (every step, with each check's path and packets)")
	f.StringVar(&r.captureDir, "capture", "", "keep a pcap of the source host's packets for each failed check in this directory")
}
