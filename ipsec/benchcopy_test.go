package ipsec

import "os"

// The "copy" mode of TestIperfThroughput runs the gateways with ESP's cryptography replaced by
// a copy (benchCopyOnly). The gateways run in the sandbox process, a re-execution of this test
// binary; this package's initialisation runs there before netns starts the sandbox, and reads
// the variable the test set for it.
func init() {
	if os.Getenv("SPACELAB_IPSEC_BENCH_COPY_ONLY") == "1" {
		benchCopyOnly = true
	}
}
