package fakeaws_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/fakeaws"
)

// TestActionsDoc keeps docs/ec2-actions.md equal to what the code serves.
func TestActionsDoc(t *testing.T) {
	got, err := os.ReadFile("../docs/ec2-actions.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fakeaws.ActionsDoc(); !bytes.Equal(got, want) {
		t.Fatalf("docs/ec2-actions.md is out of date; regenerate it with\n\t%s", fakeaws.ActionsDocCommand)
	}
}

// TestActionsAnswerAsListed: every served action reaches its handler (whatever it makes of an
// empty request, it is not InvalidAction) and every refused one answers 400 InvalidAction.
func TestActionsAnswerAsListed(t *testing.T) {
	e := newEnv(t)
	for _, a := range fakeaws.Actions() {
		got := e.raw(form("Action", a.Name, "Version", "2016-11-15", "DryRun", "true"), customerKey, customerSecret, "ec2", customerRegion, time.Time{})
		invalid := got.Status == 400 && strings.Contains(got.Body, "<Code>InvalidAction</Code>")
		if invalid == a.Served {
			t.Errorf("%s (served=%v) answered %d %s", a.Name, a.Served, got.Status, got.Body)
		}
	}
}
