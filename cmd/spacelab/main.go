// Command spacelab emulates Heroku Private Space networking and AWS VPC networking on one Linux
// machine: fake Heroku Platform and AWS EC2/STS APIs for the real clients, and a real packet data
// plane in network namespaces behind them.
//
//	spacelab demo                 replay the Private Space Peering walkthrough and check it
//	spacelab up [--detach]        run the emulator; prints the env for the heroku and aws CLIs
//	spacelab env                  print that env again
//	spacelab exec HOST -- CMD…    run curl, dig, a shell… inside a host
//	spacelab hosts | status | down
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/netns"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	netns.Main() // the sandbox and exec shim are re-executions of this binary
	if err := root().Execute(); err != nil {
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit code (a failed demo, a command's own code under exec).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		if e.msg != "" {
			fmt.Fprintln(os.Stderr, "spacelab:", e.msg)
		}
		return e.code
	}
	fmt.Fprintln(os.Stderr, "spacelab:", err)
	return 1
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spacelab",
		Short: "Heroku Private Space and AWS VPC networking, emulated with real packets",
		Long: `spacelab emulates Heroku Private Space networking and AWS VPC networking on this machine: fake
Heroku Platform and AWS EC2/STS APIs for the real clients, and a real packet data plane behind them.

Start with "spacelab demo", or "spacelab up" and the commands it prints. "spacelab doctor" checks
what this machine lets you run; "spacelab help troubleshooting" explains the errors you may meet.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(upCmd(), downCmd(), demoCmd(), runCmd(), execCmd(), hostsCmd(), statusCmd(), versionCmd())
	cmd.AddCommand(envCmd())
	cmd.AddCommand(topologiesCmd(), scenariosCmd(), doctorCmd(), troubleshootingTopic())
	cmd.AddCommand(checkCmd())
	cmd.AddCommand(graphCmd())
	cmd.AddCommand(captureCmd())
	cmd.AddCommand(matrixCmd())
	cmd.AddCommand(clockCmd())
	cmd.AddCommand(labCmd(), logsCmd())
	cmd.AddCommand(faultCmd())
	completeAsRun(cmd)
	usageOnArgErrors(cmd)
	return cmd
}

// completeAsRun makes `completion bash` also complete the binary under the name it was run by:
// bash completes a command by the word typed, and the README runs ./spacelab, not spacelab.
func completeAsRun(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	self := selfName()
	if self == "spacelab" {
		return
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		for _, sh := range c.Commands() {
			if run := sh.RunE; sh.Name() == "bash" && run != nil {
				sh.RunE = func(cmd *cobra.Command, args []string) error {
					if err := run(cmd, args); err != nil {
						return err
					}
					_, err := fmt.Fprintf(cmd.OutOrStdout(), "complete -o default -F __start_spacelab %s\n", self)
					return err
				}
			}
		}
	}
}

// usageOnArgErrors makes a wrong number of arguments say the command's usage and where its help
// is, not only cobra's "accepts 1 arg(s), received 0".
func usageOnArgErrors(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return fmt.Errorf("%w\nusage: %s (%s --help says more)", err, cmd.UseLine(), cmd.CommandPath())
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageOnArgErrors(sub)
	}
}

func logger(debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
