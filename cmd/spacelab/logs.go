package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
)

// logsControl adds GET /logs?app=APP to the control socket: the output of the app's dyno
// processes (and their start and exit) and its router lines, merged in time order, in
// Heroku's log format (lab.AppLogs; `heroku logs` reads the same lines).
func logsControl(mux *http.ServeMux, l *lab.Lab) {
	mux.HandleFunc("GET /logs", func(w http.ResponseWriter, r *http.Request) {
		lines, err := l.AppLogs(r.Context(), r.URL.Query().Get("app"))
		var none *lab.ErrNoDynos
		switch {
		case errors.As(err, &none):
			http.Error(w, strings.TrimPrefix(err.Error(), "lab: "), http.StatusNotFound)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
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
exits, and the router's line for each request to the app, in Heroku's log format
(TIMESTAMP app[web.1]: …, TIMESTAMP heroku[router]: at=info …). The built-in web process
writes nothing. The real CLI shows the same lines: heroku logs -a APP [--tail].`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeApps,
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
			n, err := io.Copy(os.Stdout, resp.Body)
			if err == nil && n == 0 {
				// Say why nothing is printed rather than print nothing.
				fmt.Fprintf(os.Stderr, "# spacelab logs: nothing from %s yet: the built-in web process writes nothing, and no request has reached the app (the router logs each one)\n", args[0])
			}
			return err
		},
	}
}
