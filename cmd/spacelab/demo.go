package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/scenarios"
)

func demoCmd() *cobra.Command {
	var debug bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Replay the Private Space Peering walkthrough on the default topology and check it with packets",
		Long: `Start a private emulator on the built-in topology, replay the seed procedure through the two
APIs (peering-info, create the peering in AWS, see it pending in Heroku, accept it, add the AWS
route, open the security group, check HTTP and DNS from the instance, delete the peering, see
traffic blocked again) and print each step with its result. Exits non-zero if any check fails.
It does not touch a running "spacelab up".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenarios([]string{"peering"}, debug, nil)
		},
	}
	cmd.Flags().BoolVar(&debug, "debug", false, "log everything")
	return cmd
}

func runCmd() *cobra.Command {
	var debug bool
	rep := &runReport{}
	cmd := &cobra.Command{
		Use:               "run SCENARIO...",
		Short:             "Run scenario files (or shipped scenarios by name: `spacelab scenarios` lists them), each on a fresh emulator",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeScenarios,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenarios(args, debug, rep)
		},
	}
	cmd.Flags().BoolVar(&debug, "debug", false, "log everything")
	rep.flags(cmd)
	return cmd
}

func runScenarios(names []string, debug bool, rep *runReport) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := 0
	for _, name := range names {
		start := time.Now()
		s, _, err := scenarios.Load(name)
		if err != nil {
			return err
		}
		top, err := s.LoadTopology()
		if err != nil {
			return err
		}
		fmt.Printf("=== %s\n", s.Name)
		if s.Description != "" {
			fmt.Printf("%s\n\n", s.Description)
		}
		l, err := lab.Start(ctx, lab.Options{Topology: top, Logger: logger(debug), Debug: debug})
		if err != nil {
			return explainStartError(err, "", "")
		}
		ready := l.ReadyIn
		r := &scenarios.Runner{Lab: l, Out: os.Stdout, CaptureDir: rep.dir()}
		res, err := r.Run(ctx, s)
		l.Close()
		if err != nil {
			return err
		}
		failed += res.Failed
		rep.add(s, res, time.Since(start))
		verdict := "PASS"
		if res.Failed > 0 {
			verdict = fmt.Sprintf("FAIL (%d of %d steps)", res.Failed, len(res.Steps))
		}
		fmt.Printf("\n--- %s: %s in %s (emulator ready in %s)\n\n", s.Name, verdict, time.Since(start).Round(time.Millisecond), ready.Round(time.Millisecond))
	}
	if err := rep.write(); err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d step(s) failed", failed)}
	}
	return nil
}
