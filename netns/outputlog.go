package netns

import "path/filepath"

const outputLogName = "output.log"

// OutputLog is the file where the command services of host (its full name) in the sandbox
// whose directory is dir write their output, in Heroku's log format.
func OutputLog(dir, host string) string {
	return filepath.Join(dir, "run", "hosts", fileNameOf(host), outputLogName)
}

// fileNameOf is the file name of a host's directory.
func fileNameOf(name string) string {
	out := []rune(name)
	for i, r := range out {
		if r == '/' || r == ':' || r == ' ' {
			out[i] = '_'
		}
	}
	return string(out)
}
