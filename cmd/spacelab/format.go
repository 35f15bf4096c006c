package main

import (
	"encoding/json"
	"os"

	"github.com/spacelab-dev/spacelab/netns"
)

// printJSON writes v as indented JSON on stdout.
func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// hostJSON is one host as `spacelab hosts --format json` prints it.
type hostJSON struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Addrs   []string `json:"addresses"`
	Aliases []string `json:"aliases"`
}

func hostsJSON(hs []netns.HostInfo) []hostJSON {
	out := []hostJSON{}
	for _, h := range hs {
		out = append(out, hostJSON{Name: h.Name, Kind: h.Kind, Addrs: append([]string{}, h.Addrs...), Aliases: append([]string{}, h.Aliases...)})
	}
	return out
}
