package main

import (
	"bytes"
	"strings"
	"testing"
)

// The features' (missing: …) notes start in one column, whatever the names' lengths and
// whichever features work, and no line ends in spaces.
func TestDoctorFeaturesLineUp(t *testing.T) {
	r := doctorReport{Features: []doctorFeature{
		{Name: "packet captures with tcpdump (spacelab exec HOST -- tcpdump …)", Missing: []string{"ids"}},
		{Name: "the emulator", Works: true},
		{Name: "Docker", Missing: []string{"docker", "compose"}},
	}}
	var b bytes.Buffer
	r.write(&b)
	_, feats, _ := strings.Cut(b.String(), "Features:\n")
	lines := strings.Split(strings.Trim(strings.Split(feats, "\n\n")[0], "\n"), "\n")
	col := -1
	for _, l := range lines {
		if strings.TrimRight(l, " ") != l {
			t.Errorf("trailing spaces: %q", l)
		}
		if i := strings.Index(l, "(missing:"); i >= 0 {
			if c := len([]rune(l[:i])); col == -1 {
				col = c
			} else if c != col {
				t.Errorf("(missing: …) at column %d, want %d:\n%s", c, col, feats)
			}
		}
	}
	if col == -1 {
		t.Fatalf("no (missing: …) note:\n%s", b.String())
	}
}
