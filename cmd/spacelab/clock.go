package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
)

// clockState is GET/POST /clock's answer.
type clockState struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
	Error  string    `json:"error,omitempty"`
}

func clockRoutes(mux *http.ServeMux, l *lab.Lab) {
	state := func() clockState { return clockState{Now: l.Clock.Now().UTC(), Offset: l.Clock.Offset().String()} }
	mux.HandleFunc("GET /clock", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, state()) })
	mux.HandleFunc("POST /clock", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Advance string `json:"advance"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, clockState{Error: "bad request: " + err.Error()})
			return
		}
		d, err := lab.ParseDuration(req.Advance)
		if err == nil {
			err = l.AdvanceClock(r.Context(), d)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, clockState{Error: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, state())
	})
}

func clockCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clock [advance DURATION]",
		Short: "Show or move the emulator's time (a pending peering expires after 7 days)",
		Long: `Show the running emulator's time, or move it forward: "spacelab clock advance 7d" makes a
pending peering expired, as AWS does after 7 days, in both the AWS and the Heroku APIs, and
everything else the model times follows. The data plane's own timers (IPsec SA lifetimes) keep
real time. DURATION: 7d, 36h, 90m, 1d12h.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			var resp *http.Response
			var err error
			switch {
			case len(args) == 0:
				resp, err = control(st).Get("http://spacelab/clock")
			case len(args) == 2 && args[0] == "advance":
				b, _ := json.Marshal(map[string]string{"advance": args[1]})
				resp, err = control(st).Post("http://spacelab/clock", "application/json", bytes.NewReader(b))
			default:
				return fmt.Errorf("usage: spacelab clock [advance DURATION]")
			}
			if err != nil {
				return fmt.Errorf("clock: %w", err)
			}
			defer resp.Body.Close()
			var cs clockState
			if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
				return fmt.Errorf("clock: %w", err)
			}
			if cs.Error != "" {
				return fmt.Errorf("clock: %s", cs.Error)
			}
			fmt.Printf("%s (advanced by %s)\n", cs.Now.Format(time.RFC3339), cs.Offset)
			return nil
		},
	}
	return cmd
}
