package netns_test

import "github.com/spacelab-dev/spacelab/netns"

func netnstestReq(host string, argv ...string) netns.ExecRequest {
	return netns.ExecRequest{Host: host, Argv: argv}
}
