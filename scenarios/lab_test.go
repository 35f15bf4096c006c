package scenarios_test

import (
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/scenarios"
)

// TestShippedLabsParse: every shipped lab is well formed and only looks.
func TestShippedLabsParse(t *testing.T) {
	for _, name := range scenarios.ShippedLabs() {
		t.Run(name, func(t *testing.T) {
			l, _, err := scenarios.LoadLab(name)
			if err != nil {
				t.Fatal(err)
			}
			for i, task := range l.Tasks {
				for _, lang := range []string{"en", "ja"} {
					if task.Title[lang] == "" || task.Hint[lang] == "" || task.Do[lang] == "" {
						t.Errorf("task %d lacks a %s title, do or hint", i+1, lang)
					}
				}
			}
		})
	}
}

// TestLabChecksOnlyLook: a lab whose check would change the world is refused, naming it.
func TestLabChecksOnlyLook(t *testing.T) {
	for _, tc := range []struct{ name, check, want string }{
		{"heroku POST", "heroku: POST /spaces/x/peerings", "lab checks may only GET"},
		{"aws CreateRoute", "aws: {action: CreateRoute}", "lab checks may only Describe or Get"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.ParseLab([]byte("name: x\ntasks:\n  - title: {en: t}\n    checks:\n      - " + tc.check + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
