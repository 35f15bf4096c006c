package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
)

// errNotRunning is what every command that needs a running `spacelab up` returns without one.
var errNotRunning = errors.New("spacelab is not running")

// notRunning names the state directory that was looked in and what to do.
func notRunning(st lab.State) error {
	return fmt.Errorf("%w in %s%s: no `spacelab up` holds it. Start one with `spacelab up --detach`, or point SPACELAB_STATE_DIR at the state directory of the one you started (its env file exports it)",
		errNotRunning, st.Dir, stateDirSource())
}

// stateDirSource says where the state directory came from.
func stateDirSource() string {
	switch {
	case os.Getenv("SPACELAB_STATE_DIR") != "":
		return " (from SPACELAB_STATE_DIR)"
	case os.Getenv("XDG_RUNTIME_DIR") != "":
		return " (the default under XDG_RUNTIME_DIR; SPACELAB_STATE_DIR is not set)"
	}
	return " (the default; SPACELAB_STATE_DIR is not set)"
}

func envCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print the export lines of the running emulator again",
		Long: `Print the export lines "spacelab up" printed when it became ready (its env file), for
eval "$(spacelab env)" in another shell. SPACELAB_STATE_DIR selects which running emulator.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			b, err := os.ReadFile(st.EnvFile())
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("spacelab in %s is starting and has not written %s yet; `spacelab up --detach` returns when it has", st.Dir, st.EnvFile())
			}
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(b)
			return err
		},
	}
}
