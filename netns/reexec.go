package netns

import "os"

// Environment variables that turn a re-executed binary into one of the package's helpers.
const (
	envSandbox = "SPACELAB_SANDBOX" // run as the sandbox process (value: its directory)
	envNSExec  = "SPACELAB_NSEXEC"  // run as the exec shim inside a host (value: JSON config)
)

func init() { Main() }

// Main runs the package's helper roles when the current process is one of its re-executions,
// and never returns in that case. Otherwise it returns at once. The package calls it from init,
// so importing netns is enough; calling it again first thing in main is harmless.
func Main() {
	switch {
	case os.Getenv(envSandbox) != "":
		os.Exit(sandboxMain())
	case os.Getenv(envNSExec) != "":
		os.Exit(shimMain())
	}
}
