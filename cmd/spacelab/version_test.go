package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionSaysOnlyWhatTheBuildRecorded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bi      *debug.BuildInfo
		ok      bool
		want    []string
		mustNot []string
	}{
		{"vcs stamped", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/spacelab-dev/spacelab", Version: "v0.0.0-20261202054920-7812a38f892f"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "7812a38f892f6dea3f5c1bdc092a3f6070a5c48a"}, {Key: "vcs.time", Value: "2026-12-02T05:49:20Z"}, {Key: "vcs.modified", Value: "true"}}}, true,
			[]string{"spacelab v0.0.0-20261202054920-7812a38f892f\n", "commit  7812a38f892f6dea3f5c1bdc092a3f6070a5c48a (2026-12-02T05:49:20Z) with uncommitted changes", "go      go1.26.8 "},
			[]string{"no VCS"}},
		{"-buildvcs=false", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/spacelab-dev/spacelab", Version: "(devel)"}}, true,
			[]string{"spacelab dev\n", "commit  unknown (no VCS info: built with -buildvcs=false (go env GOFLAGS shows one set for every build)", "go      go1.26.8 "},
			[]string{"(devel)", "uncommitted"}},
		{"no build info", nil, false, []string{"spacelab dev\n", "no build information"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			readBuildInfo(tc.bi, tc.ok).write(&out)
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.mustNot {
				if strings.Contains(out.String(), w) {
					t.Errorf("claims %q:\n%s", w, out.String())
				}
			}
		})
	}
}
