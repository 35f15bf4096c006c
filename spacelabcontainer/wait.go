package spacelabcontainer

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go/wait"
)

// health waits until GET HealthPath answers 200 on every port: the data plane has converged
// and both APIs serve. It stops early when the container exits.
type health struct {
	ports   []string
	timeout time.Duration
}

var _ wait.Strategy = health{}

func (h health) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	host, err := publishedHost(ctx, target)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for _, port := range h.ports {
		for ready := false; !ready; {
			select {
			case <-ctx.Done():
				return fmt.Errorf("spacelabcontainer: %s on %s: %s: %w", HealthPath, port, last, ctx.Err())
			case <-tick.C:
			}
			if st, err := target.State(ctx); err == nil && !st.Running {
				return fmt.Errorf("spacelabcontainer: the container stopped (exit code %d) before it was healthy", st.ExitCode)
			}
			p, err := target.MappedPort(ctx, port)
			if err != nil {
				last = err.Error()
				continue
			}
			resp, err := client.Get("http://" + net.JoinHostPort(host, p.Port()) + HealthPath)
			if err != nil {
				last = err.Error()
				continue
			}
			resp.Body.Close()
			ready = resp.StatusCode == http.StatusOK
			last = resp.Status
		}
	}
	return nil
}

// publishedHost is where the published ports are reached: 127.0.0.1 when the Docker daemon is
// local (a Unix socket: Run publishes on its loopback only), else what testcontainers says.
// testcontainers' own guess for a local daemon (the bridge gateway when it believes itself in
// a container) would miss ports published on 127.0.0.1.
func publishedHost(ctx context.Context, target interface {
	Host(context.Context) (string, error)
}) (string, error) {
	dh := os.Getenv("DOCKER_HOST")
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && (dh == "" || strings.HasPrefix(dh, "unix://") || strings.HasPrefix(dh, "npipe://")) {
		return "127.0.0.1", nil
	}
	host, err := target.Host(ctx)
	if err != nil {
		return "", fmt.Errorf("spacelabcontainer: docker host: %w", err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	return host, nil
}
