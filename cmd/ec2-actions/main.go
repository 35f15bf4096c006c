// Command ec2-actions prints docs/ec2-actions.md: the EC2 actions spacelab serves and the
// well-known networking actions it refuses, from package fakeaws's handler table.
//
//	go run ./cmd/ec2-actions > docs/ec2-actions.md
package main

import (
	"os"

	"github.com/spacelab-dev/spacelab/fakeaws"
)

func main() {
	if _, err := os.Stdout.Write(fakeaws.ActionsDoc()); err != nil {
		os.Stderr.WriteString("ec2-actions: " + err.Error() + "\n")
		os.Exit(1)
	}
}
