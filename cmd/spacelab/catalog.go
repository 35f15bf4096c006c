package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/scenarios"
	"github.com/spacelab-dev/spacelab/topology"
)

func topologiesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "topologies",
		Short: "List the built-in topologies (for spacelab up --topology NAME)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSPACES\tAPPS\tVPCS\tINSTANCES")
			for _, name := range topology.Builtin() {
				t, err := topology.Load(name)
				if err != nil {
					return err
				}
				var spaces, apps, vpcs, instances []string
				for _, s := range t.Spaces {
					spaces = append(spaces, s.Spec.Name)
					for _, a := range s.Apps {
						apps = append(apps, a.Spec.Name)
					}
				}
				for _, a := range t.Accounts {
					for _, v := range a.VPCs {
						vpcs = append(vpcs, v.CIDR.String())
						for _, s := range v.Subnets {
							for _, in := range s.Instances {
								n := in.ID
								if in.PrivateIP.IsValid() {
									n = "ip-" + strings.ReplaceAll(in.PrivateIP.String(), ".", "-")
								}
								instances = append(instances, n)
							}
						}
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, list(spaces), list(apps), list(vpcs), list(instances))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "\nspacelab up --topology NAME runs one; --topology FILE loads your own (start from a copy of topology/default.yaml).")
			return nil
		},
	}
}

func scenariosCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the shipped scenarios (for spacelab run NAME)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTOPOLOGY\tSTEPS\tWHAT IT CHECKS")
			for _, name := range scenarios.Shipped() {
				s, _, err := scenarios.Load(name)
				if err != nil {
					return err
				}
				topo := s.Topology
				if topo == "" {
					topo = "default"
				}
				desc, _, _ := strings.Cut(strings.Join(strings.Fields(s.Description), " "), ": ")
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", name, topo, len(s.Steps), desc)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "\nspacelab run NAME (or FILE.yaml) replays one on a fresh emulator; spacelab demo is spacelab run peering.")
			return nil
		},
	}
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "-"
	}
	if len(xs) > 3 {
		return strings.Join(xs[:3], ", ") + fmt.Sprintf(" (+%d)", len(xs)-3)
	}
	return strings.Join(xs, ", ")
}

// completeTopologies completes --topology: the built-in names, then files.
func completeTopologies(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(topology.Builtin(), toComplete), cobra.ShellCompDirectiveDefault
}

// completeScenarios completes `spacelab run`: the shipped scenarios, then files.
func completeScenarios(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(scenarios.Shipped(), toComplete), cobra.ShellCompDirectiveDefault
}

// completeHosts completes `spacelab exec HOST`: every host name and alias of the emulator
// running in this state directory (nothing when none runs); after the host, files.
func completeHosts(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return hostNames(toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeTwoHosts completes `spacelab check FROM TARGET`: a host name for both.
func completeTwoHosts(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 1 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return hostNames(toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeApps completes `spacelab logs APP`: the apps whose dynos run in the emulator.
func completeApps(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	hs := runningHosts()
	seen := map[string]bool{}
	var apps []string
	for _, h := range hs {
		// A dyno host is named dyno/APP/PROCESS.N.
		if parts := strings.Split(h.Name, "/"); h.Kind == "dyno" && len(parts) == 3 && !seen[parts[1]] {
			seen[parts[1]] = true
			apps = append(apps, parts[1])
		}
	}
	return withPrefix(apps, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// runningHosts lists the hosts of the emulator running in this state directory (none when none
// runs).
func runningHosts() []netns.HostInfo {
	st := lab.DefaultState()
	if st.Running() == 0 {
		return nil
	}
	hs, err := netns.ListHosts(st.SandboxSocket())
	if err != nil {
		return nil
	}
	return hs
}

// hostNames are the names and aliases of the running emulator's hosts that start with prefix,
// each with what it is as the description.
func hostNames(prefix string) []string {
	var names []string
	for _, h := range runningHosts() {
		names = append(names, h.Name+"\t"+h.Kind)
		for _, a := range h.Aliases {
			names = append(names, a+"\t"+h.Name)
		}
	}
	return withPrefix(names, prefix)
}

func withPrefix(xs []string, prefix string) []string {
	var out []string
	for _, x := range xs {
		if strings.HasPrefix(x, prefix) {
			out = append(out, x)
		}
	}
	return out
}
