package lab

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spacelab-dev/spacelab/netns"
)

// ErrNoDynos is returned by AppLogs for an app none of whose dynos is in the data plane.
type ErrNoDynos struct{ App string }

func (e *ErrNoDynos) Error() string {
	return fmt.Sprintf("lab: no running dyno of an app named %q", e.App)
}

// AppLogs is what an app's dynos wrote (their processes' output, starts and exits) and the
// router lines of requests for the app's host, merged in time order, in Heroku's log format
// (TIMESTAMP SOURCE[NAME]: text). It reads the output logs the sandbox keeps for each host.
func (l *Lab) AppLogs(ctx context.Context, app string) ([]string, error) {
	spec := l.Reconciler.Spec()
	if spec == nil {
		return nil, fmt.Errorf("lab: logs: no data plane yet")
	}
	var lines []string
	found := false
	read := func(host string) []string {
		// The file lives in the sandbox's own mount namespace: read it from inside the host.
		var buf bytes.Buffer
		if code, err := l.Exec(ctx, host, []string{"cat", netns.OutputLog(l.Sandbox.Dir(), host)}, nil, &buf, io.Discard); err != nil || code != 0 {
			return nil
		}
		var out []string
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
		return out
	}
	for _, h := range spec.Hosts {
		if h.Kind != "dyno" || !strings.HasPrefix(h.Name, "dyno/"+app+"/") {
			continue
		}
		found = true
		lines = append(lines, read(h.Name)...)
	}
	if !found {
		return nil, &ErrNoDynos{App: app}
	}
	// Router lines: the routers log each request with the host name it was for.
	webHost := " host=" + strings.ToLower(app) + ".herokuapp.com "
	for _, h := range spec.Hosts {
		if h.Kind != "space-router" && h.Kind != "app-router" {
			continue
		}
		for _, line := range read(h.Name) {
			if strings.Contains(line, " heroku[router]: ") && strings.Contains(line, webHost) {
				lines = append(lines, line)
			}
		}
	}
	stamp := func(s string) string { t, _, _ := strings.Cut(s, " "); return t }
	sort.SliceStable(lines, func(i, j int) bool { return stamp(lines[i]) < stamp(lines[j]) })
	return lines, nil
}
