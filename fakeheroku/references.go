package fakeheroku

import (
	"crypto/sha1"
	"fmt"

	"github.com/spacelab-dev/spacelab/emulator"
)

// idName is the {id, name} reference Heroku nests for teams, regions, stacks and generations.
type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// stableUUID names things the model knows only by name (stacks, generations, releases) with
// a UUID derived from kind and name (RFC 4122 version 5 layout), so the same name always gets
// the same id.
func stableUUID(kind, name string) string {
	h := sha1.Sum([]byte("spacelab/fakeheroku/" + kind + "/" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func stackRef(name string) idName { return idName{ID: stableUUID("stack", name), Name: name} }

func generationRef(name string) idName {
	if name == "" {
		name = "cedar"
	}
	return idName{ID: stableUUID("generation", name), Name: name}
}

func regionRef(r emulator.Region) idName { return idName{ID: r.ID, Name: r.Name} }

// teamRef is the {id, name} of a team id, or nil when there is none.
func teamRef(tx *emulator.Tx, id string) *idName {
	t := tx.TeamByID(id)
	if t == nil {
		return nil
	}
	return &idName{ID: t.ID, Name: t.Name}
}
