package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildInfo is what `spacelab version` knows about this binary: only what the Go build recorded.
type buildInfo struct {
	Version  string `json:"version"`
	Module   string `json:"module,omitempty"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	// NoVCS explains why there is no commit, when there is none.
	NoVCS string `json:"no_vcs,omitempty"`
}

// readBuildInfo reads the binary's build information: the -X main.version value if set, else
// the module version; the commit and its time when the build stamped them.
func readBuildInfo(bi *debug.BuildInfo, ok bool) buildInfo {
	b := buildInfo{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok {
		b.NoVCS = "no build information in this binary"
		return b
	}
	b.Module = bi.Main.Path
	if bi.GoVersion != "" {
		b.Go = bi.GoVersion
	}
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if b.Commit == "" {
		b.NoVCS = "no VCS info: built with -buildvcs=false (go env GOFLAGS shows one set for every build), by go run, or outside a git checkout"
	}
	return b
}

func (b buildInfo) write(w io.Writer) {
	fmt.Fprintf(w, "spacelab %s\n", b.Version)
	if b.Module != "" {
		fmt.Fprintf(w, "  module  %s\n", b.Module)
	}
	if b.Commit != "" {
		c := b.Commit
		if b.Time != "" {
			c += " (" + b.Time + ")"
		}
		if b.Modified {
			c += " with uncommitted changes"
		}
		fmt.Fprintf(w, "  commit  %s\n", c)
	} else {
		fmt.Fprintf(w, "  commit  unknown (%s)\n", b.NoVCS)
	}
	fmt.Fprintf(w, "  go      %s %s\n", b.Go, b.Platform)
}

func versionCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit it was built from (when the build recorded it) and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := readBuildInfo(debug.ReadBuildInfo())
			switch format {
			case "text":
				b.write(cmd.OutOrStdout())
				return nil
			case "json":
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			return fmt.Errorf("--format %q: want text or json", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}
