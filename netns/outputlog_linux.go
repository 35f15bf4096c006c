package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// outputLog is the file where a host's command services write their output, one line per
// line of output in Heroku's log format (TIMESTAMP SOURCE[NAME]: text), for `spacelab logs`.
type outputLog struct {
	mu sync.Mutex
	f  *os.File
}

func openOutputLog(hostDir string) *outputLog {
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		return &outputLog{}
	}
	f, err := os.OpenFile(filepath.Join(hostDir, outputLogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return &outputLog{}
	}
	return &outputLog{f: f}
}

func (o *outputLog) line(source, name, text string) {
	if o == nil || o.f == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.f, "%s %s[%s]: %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000-07:00"), source, name, text)
}

func (o *outputLog) close() {
	if o == nil || o.f == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.f.Close()
	o.f = nil
}
