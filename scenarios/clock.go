package scenarios

import (
	"context"

	"github.com/spacelab-dev/spacelab/lab"
)

// ClockStep moves the emulator's time: advance: 7d.
type ClockStep struct {
	Advance string `yaml:"advance"`
}

func (r *Runner) clock(ctx context.Context, st Step) StepResult {
	d, err := lab.ParseDuration(r.subst(st.Clock.Advance))
	if err != nil {
		return StepResult{Detail: "clock: " + err.Error()}
	}
	if err := r.Lab.AdvanceClock(ctx, d); err != nil {
		return StepResult{Detail: "clock: " + err.Error()}
	}
	return StepResult{OK: true, Detail: "the emulator's time is now " + r.Lab.Clock.Now().UTC().Format("2006-01-02T15:04:05Z")}
}
