package lab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Clock is the model's time: a base clock (real time unless Options.Now says otherwise) plus an
// offset that Advance moves forward. Everything the model times follows it (a pending peering
// expires 7 days after it was requested); the data plane's own timers, such as IPsec SA
// lifetimes, keep real time.
type Clock struct {
	base   func() time.Time
	mu     sync.Mutex
	offset time.Duration
}

// NewClock returns a clock on base (nil: time.Now).
func NewClock(base func() time.Time) *Clock {
	if base == nil {
		base = time.Now
	}
	return &Clock{base: base}
}

// Now is the model's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base().Add(c.offset)
}

// Offset is how far the clock has been advanced.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

func (c *Clock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// AdvanceClock moves the model's time forward by d and converges the data plane to what the
// model says at the new time (a peering that expired stops carrying traffic).
func (l *Lab) AdvanceClock(ctx context.Context, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("lab: the clock only moves forward (got %s)", d)
	}
	l.Clock.advance(d)
	// A new generation, so watchers and the reconciler see the world at its new time.
	if err := l.World.Update(func(*emulator.Tx) error { return nil }); err != nil {
		return err
	}
	return l.Sync(ctx)
}

// ParseDuration is time.ParseDuration with days (7d, 1d12h) as well.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		days, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		total = time.Duration(days * float64(24*time.Hour))
		s = s[i+1:]
		if s == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (e.g. 7d, 36h, 90m)", s)
	}
	return total + d, nil
}
