package ipsec

import (
	"fmt"
	"strings"
)

// maxSuites bounds how many suites one proposal string may expand to. Brace alternatives
// multiply ("{a,b}" ten times is 1,024 suites), so without a bound a short string could ask
// for more memory than the machine has; strongSwan configurations list a handful.
const maxSuites = 256

// checkSuiteCount refuses a proposal string whose brace alternatives expand to more than
// maxSuites suites, counting without expanding.
func checkSuiteCount(s string) error {
	total := 0
	for _, item := range splitTop(s) {
		n := 1
		rest := item
		for {
			i := strings.IndexByte(rest, '{')
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				break
			}
			n *= strings.Count(rest[i:i+j], ",") + 1
			if n > maxSuites {
				break
			}
			rest = rest[i+j+1:]
		}
		total += n
		if total > maxSuites {
			return fmt.Errorf("ipsec: proposal %q expands to more than %d suites", truncate(s, 80), maxSuites)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
