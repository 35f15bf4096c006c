// Command actions prints docs/ec2-actions.md: the EC2 actions spacelab serves and the
// well-known networking actions it refuses, from package fakeaws's handler table.
//
//	go run ./fakeaws/cmd/actions > docs/ec2-actions.md
package main

import (
	"os"

	"github.com/spacelab-dev/spacelab/fakeaws"
)

func main() {
	if _, err := os.Stdout.Write(fakeaws.ActionsDoc()); err != nil {
		os.Stderr.WriteString("actions: " + err.Error() + "\n")
		os.Exit(1)
	}
}
