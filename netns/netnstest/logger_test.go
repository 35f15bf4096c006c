package netnstest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// TestLoggerOutput runs a test that logs through TestLogger in a child test binary and reads
// its -v output: one line per record, no blank lines between them, and no false "file:line"
// attribution (t.Log named slog's handler.go for every record).
func TestLoggerOutput(t *testing.T) {
	if os.Getenv("NETNSTEST_LOGGER_CHILD") == "1" {
		log := netnstest.TestLogger(t)
		log.Info("first record", "k", 1)
		log.Warn("second record", "component", "test")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLoggerOutput$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "NETNSTEST_LOGGER_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var records []string
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if strings.Contains(l, "msg=") {
			records = append(records, l)
			if i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "" {
				t.Errorf("blank line after a record:\n%s", out)
			}
		}
		if strings.Contains(l, "handler.go") {
			t.Errorf("a record attributed to slog's handler:\n%s", out)
		}
	}
	if len(records) != 2 || !strings.Contains(records[0], `msg="first record" k=1`) || !strings.Contains(records[1], "level=WARN") {
		t.Errorf("records: %q\n%s", records, out)
	}
}
