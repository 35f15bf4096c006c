package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// containerFlags are the flags of `spacelab up` for running it in a container (the image's
// default command, docker-compose.yml): the API URLs and client directory that the exported
// environment gives the host's clients, and cutting the container's own way out.
type containerFlags struct {
	herokuURL, awsURL string // what the clients use instead of the listen addresses
	clientDir         string // where the env points the clients' config and cache directories
	noRouteOut        bool
}

func (c *containerFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.herokuURL, "heroku-url", "", "Heroku API URL the exported environment gives clients, when they reach it elsewhere than the listen address (a published container port: http://127.0.0.1:5400)")
	f.StringVar(&c.awsURL, "aws-url", "", "AWS API URL the exported environment gives clients (a published container port: http://127.0.0.1:5401)")
	f.StringVar(&c.clientDir, "client-dir", "", "directory the exported environment gives the heroku and aws CLIs for their config and cache (default: in the state directory)")
	f.BoolVar(&c.noRouteOut, "no-route-out", false, "in a container: first delete the default routes of its network namespace, so nothing in it reaches past its own link (published ports keep working)")
}

// isolate deletes every default route of the calling process's network namespace when asked,
// and checks none is left: the container then reaches only its own link's subnet (the
// runtime's port proxy), never beyond.
func (c *containerFlags) isolate() error {
	if !c.noRouteOut {
		return nil
	}
	routes, err := gatewayRoutes()
	if err != nil {
		return err
	}
	for _, r := range routes {
		if err := netlink.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("spacelab: --no-route-out: delete the default route via %s: %w (needs CAP_NET_ADMIN)", r.Gw, err)
		}
	}
	if left, err := gatewayRoutes(); err != nil || len(left) > 0 {
		return fmt.Errorf("spacelab: --no-route-out: a default route is left: %v %v", left, err)
	}
	return nil
}

// gatewayRoutes lists the default routes through a gateway, of every table and family.
func gatewayRoutes() ([]netlink.Route, error) {
	var out []netlink.Route
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return nil, fmt.Errorf("spacelab: --no-route-out: list routes: %w", err)
		}
		for _, r := range routes {
			if r.Dst != nil {
				if ones, _ := r.Dst.Mask.Size(); ones != 0 {
					continue
				}
			}
			if r.Gw == nil && len(r.MultiPath) == 0 {
				continue // no gateway: an on-link or local route
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// env rewrites the exported environment for clients outside the container: the API URLs
// they reach (the published ports) instead of the addresses the APIs listen on inside.
func (c *containerFlags) env(env []string, herokuListen, awsListen string) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case c.herokuURL != "" && v == herokuListen:
			v = c.herokuURL
		case c.awsURL != "" && v == awsListen:
			v = c.awsURL
		}
		out[i] = k + "=" + v
	}
	return out
}
