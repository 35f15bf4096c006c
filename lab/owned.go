package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Files a run writes outside its state directory (the --env-file of `spacelab up`) are
// recorded in it with a digest of what was written, so that `down` and the next start remove
// them, and only while they still hold what spacelab wrote (a file the user has changed since
// is theirs and stays).

type ownedFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

func (s State) ownedFile() string { return filepath.Join(s.Dir, "owned.json") }

// RecordOwnedFiles notes files this run wrote outside the state directory, as they are now.
func (s State) RecordOwnedFiles(paths ...string) error {
	var list []ownedFile
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		if filepath.Dir(abs) == filepath.Clean(s.Dir) {
			continue // inside the state directory: removed with it
		}
		sum, err := fileDigest(abs)
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		list = append(list, ownedFile{Path: abs, SHA256: sum})
	}
	b, _ := json.Marshal(list)
	return os.WriteFile(s.ownedFile(), b, 0o600)
}

// removeOwnedFiles removes the recorded files that still hold what was written.
func (s State) removeOwnedFiles() []string {
	b, err := os.ReadFile(s.ownedFile())
	if err != nil {
		return nil
	}
	var list []ownedFile
	_ = json.Unmarshal(b, &list)
	var did []string
	for _, o := range list {
		if sum, err := fileDigest(o.Path); err == nil && sum == o.SHA256 {
			if os.Remove(o.Path) == nil {
				did = append(did, "removed "+o.Path)
			}
		}
	}
	os.Remove(s.ownedFile())
	return did
}

func fileDigest(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}
