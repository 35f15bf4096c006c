package main

import (
	_ "embed"

	"github.com/spf13/cobra"
)

//go:embed troubleshooting.md
var troubleshootingText string

// troubleshootingTopic is `spacelab help troubleshooting`: the errors a newcomer meets and their
// causes (the same text as docs/troubleshooting.md).
func troubleshootingTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "troubleshooting",
		Short: "The errors a newcomer meets, what causes them, and what to do (docs/troubleshooting.md)",
		Long:  troubleshootingText,
		// A help topic: no Run, so `spacelab help troubleshooting` prints Long.
	}
}
