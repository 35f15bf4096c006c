package netns_test

import "spacelab/netns"

func netnstestReq(host string, argv ...string) netns.ExecRequest {
	return netns.ExecRequest{Host: host, Argv: argv}
}
