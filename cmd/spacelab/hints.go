package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netns"
)

// upHints are the next steps `spacelab up` suggests, taken from what the lab actually holds, so
// each one works on the topology that was loaded. A detached up says how to stop it without
// Ctrl-C, which does not reach it.
func upHints(l *lab.Lab, envFile string, detached bool) []string {
	var try []string
	var host, app string
	l.World.View(func(tx *emulator.Tx) error {
		if sp := tx.Spaces(); len(sp) > 0 {
			name := sp[0].Name
			if l.Topology != nil && len(l.Topology.Spaces) > 0 {
				name = l.Topology.Spaces[0].Spec.Name // the file's first space, not the first by id
			}
			try = append(try, "heroku spaces:peering:info "+name)
		}
		if len(tx.VPCs()) > 0 && (l.Topology == nil || len(l.Topology.Accounts) > 0) { // the env holds AWS credentials
			try = append(try, `aws --endpoint-url "$AWS_ENDPOINT_URL" ec2 describe-vpcs`)
		}
		if in := tx.Instances(); len(in) > 0 {
			host = in[0].HostName()
			if l.Topology != nil {
				if id := firstInstanceID(l); id != "" && tx.Instance(id) != nil {
					host = tx.Instance(id).HostName()
				}
			}
		}
		if apps := tx.Apps(); len(apps) > 0 {
			app = apps[0].Name
			if l.Topology != nil && len(l.Topology.Spaces) > 0 && len(l.Topology.Spaces[0].Apps) > 0 {
				app = l.Topology.Spaces[0].Apps[0].Spec.Name
			}
		}
		return nil
	})
	out := []string{fmt.Sprintf(". %s", envFile)}
	if len(try) > 0 {
		out[0] += "   then: " + strings.Join(try, "; ")
	}
	self := selfName()
	line := self + " hosts"
	if host != "" {
		line += " | " + self + " exec " + host + " -- "
		if app != "" {
			line += "dig +short " + app + ".herokuapp.com" // DNS answers before any peering or route exists
		} else {
			line += "hostname"
		}
	}
	stop := " | Ctrl-C or " + self + " down to stop"
	if detached {
		stop = " | " + self + " down to stop"
	}
	return append(out, line+stop)
}

// selfName is how the user runs this binary, for commands spacelab suggests: "./spacelab"
// when they ran it so (the README builds it in the checkout, not on PATH), else "spacelab".
func selfName() string {
	a := os.Args[0]
	if filepath.Base(a) == "spacelab" && !filepath.IsAbs(a) && strings.Contains(a, "/") {
		return a
	}
	return "spacelab"
}

func firstInstanceID(l *lab.Lab) string {
	for _, a := range l.Topology.Accounts {
		for _, v := range a.VPCs {
			for _, s := range v.Subnets {
				for _, in := range s.Instances {
					return in.ID
				}
			}
		}
	}
	return ""
}

// explainStartError says what to do about the errors `spacelab up` meets most when starting.
func explainStartError(err error, herokuAddr, awsAddr string) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		which, flag := "an API address", "--heroku-listen ADDR or --aws-listen ADDR"
		if herokuAddr != "" && strings.Contains(err.Error(), herokuAddr) {
			which, flag = "the Heroku API address "+herokuAddr, "--heroku-listen ADDR"
		} else if awsAddr != "" && strings.Contains(err.Error(), awsAddr) {
			which, flag = "the AWS API address "+awsAddr, "--aws-listen ADDR"
		}
		return fmt.Errorf("%w\n%s is taken (by a spacelab up with another state directory, or another program): stop that, or choose another with %s (127.0.0.1:0 picks a free port)", err, which, flag)
	case errors.Is(err, netns.ErrNoUserNamespaces):
		return fmt.Errorf("%w\nspacelab doctor shows what this machine allows this user", err)
	}
	return err
}
