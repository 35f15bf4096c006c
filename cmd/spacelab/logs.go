package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netns"
)

// logsControl adds GET /logs?app=APP to the control socket: the output of the app's dyno
// processes (and their start and exit), merged in time order, in Heroku's log format.
func logsControl(mux *http.ServeMux, l *lab.Lab) {
	mux.HandleFunc("GET /logs", func(w http.ResponseWriter, r *http.Request) {
		app := r.URL.Query().Get("app")
		spec := l.Reconciler.Spec()
		if spec == nil {
			http.Error(w, "no data plane yet", http.StatusServiceUnavailable)
			return
		}
		var lines []string
		found := false
		for _, h := range spec.Hosts {
			if h.Kind != "dyno" || !strings.HasPrefix(h.Name, "dyno/"+app+"/") {
				continue
			}
			found = true
			// The file lives in the sandbox's own mount namespace: read it from inside the host.
			var buf bytes.Buffer
			if code, err := l.Exec(r.Context(), h.Name, []string{"cat", netns.OutputLog(l.Sandbox.Dir(), h.Name)}, nil, &buf, io.Discard); err != nil || code != 0 {
				continue
			}
			sc := bufio.NewScanner(&buf)
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
		}
		if !found {
			http.Error(w, fmt.Sprintf("no running dyno of an app named %q", app), http.StatusNotFound)
			return
		}
		stamp := func(s string) string { t, _, _ := strings.Cut(s, " "); return t }
		sort.SliceStable(lines, func(i, j int) bool { return stamp(lines[i]) < stamp(lines[j]) })
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, line := range lines {
			fmt.Fprintln(w, line)
		}
	})
}

func logsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logs APP",
		Short: "Show the output of an app's dyno processes (the commands of its process types)",
		Long: `Show what the processes of an app's dynos wrote to stdout and stderr, with their starts and
exits, in Heroku's log format (TIMESTAMP app[web.1]: …). The built-in web process writes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			resp, err := control(st).Get("http://spacelab/logs?app=" + args[0])
			if err != nil {
				return fmt.Errorf("logs: %w", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				return fmt.Errorf("logs: %s", strings.TrimSpace(string(b)))
			}
			_, err = io.Copy(os.Stdout, resp.Body)
			return err
		},
	}
}
