//go:build !linux

package netns

import "context"

// Start is not supported off Linux.
func Start(ctx context.Context, o Options) (*Sandbox, error) { return nil, ErrNotSupported }

func sandboxMain() int { return 1 }
func shimMain() int    { return 1 }
