// Package spacelabcontainer is a testcontainers-go module for spacelab: it runs the spacelab
// image (see the repository's Dockerfile and scripts/build-image.sh) and hands a test what the
// in-process lab package does — an aws-sdk-go-v2 configuration, the Heroku API URL, token and a
// heroku-go client, commands inside the emulated hosts, reachability checks with real packets:
//
//	c, err := spacelabcontainer.Run(ctx, "spacelab:dev")
//	defer c.Terminate(ctx)
//	cfg, _ := c.AWSConfig(ctx)             // EC2/STS of the emulated customer account
//	svc := c.HerokuClient()                // heroku-go v5 on the fake Platform API
//	code, out, _ := c.Exec(ctx, "ip-172-16-0-8", "curl", "-s", "http://test-vpn-compute.herokuapp.com/")
//
// The container runs with the capabilities NET_ADMIN and SYS_ADMIN and /dev/net/tun, never
// privileged; its APIs are published on the Docker host's 127.0.0.1 only and the container
// cuts its own default route. Nothing needs pulling: run it with Ryuk disabled
// (TESTCONTAINERS_RYUK_DISABLED=true) and terminate it yourself, as above.
package spacelabcontainer

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	heroku "github.com/heroku/heroku-go/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Ports of the two APIs inside the container.
const (
	HerokuPort = "5400/tcp"
	AWSPort    = "5401/tcp"
)

// HealthPath answers 200 on both API ports once the data plane has converged.
const HealthPath = "/_spacelab/health"

// Container is a running spacelab container.
type Container struct {
	// Container is the generic testcontainers container (logs, inspect, the container's own
	// Exec; testcontainers.CleanupContainer(t, c.Container) terminates it at a test's end).
	testcontainers.Container

	herokuURL, awsURL, token string
	env                      map[string]string
}

// Run starts the image and waits until both APIs report the data plane converged. Options are
// testcontainers' (WithEnv, WithLogConsumers, …) and this package's (WithTopology). The ports
// are published on the Docker host's 127.0.0.1; as with every module, Run returns the container
// even with an error when one was created, so that it can be terminated.
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	token := randomToken()
	loopback := netip.MustParseAddr("127.0.0.1")
	moduleOpts := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(HerokuPort, AWSPort),
		testcontainers.WithCmd("up", "--listen-any", "--heroku-listen", "0.0.0.0:5400", "--aws-listen", "0.0.0.0:5401",
			"--token", token, "--no-route-out"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.CapAdd = append(hc.CapAdd, "NET_ADMIN", "SYS_ADMIN")
			hc.Devices = append(hc.Devices, container.DeviceMapping{PathOnHost: "/dev/net/tun", PathInContainer: "/dev/net/tun", CgroupPermissions: "rwm"})
			hc.PortBindings = network.PortMap{
				network.MustParsePort(HerokuPort): {{HostIP: loopback}},
				network.MustParsePort(AWSPort):    {{HostIP: loopback}},
			}
		}),
		testcontainers.WithWaitStrategy(
			health{ports: []string{HerokuPort, AWSPort}, timeout: 3 * time.Minute},
			wait.ForLog("# spacelab is up"), // printed after the export lines
		),
	}
	ctr, err := testcontainers.Run(ctx, img, append(moduleOpts, opts...)...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr, token: token}
	}
	if err != nil {
		if strings.Contains(err.Error(), "reaper") && os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
			// testcontainers starts its Ryuk reaper from a registry image; where nothing can be
			// pulled, that is the whole failure. Say the one setting that avoids it.
			return c, fmt.Errorf("spacelabcontainer: run %s: %w (testcontainers' Ryuk reaper image could not be started; "+
				"where no registry is reachable set TESTCONTAINERS_RYUK_DISABLED=true and call Terminate yourself)", img, err)
		}
		return c, fmt.Errorf("spacelabcontainer: run %s: %w", img, err)
	}
	if c.herokuURL, err = c.url(ctx, HerokuPort); err == nil {
		c.awsURL, err = c.url(ctx, AWSPort)
	}
	if err == nil {
		c.env, err = c.exports(ctx)
	}
	if err != nil {
		return c, fmt.Errorf("spacelabcontainer: %w", err)
	}
	return c, nil
}

// WithTopology runs the emulator with a topology file of the caller's (copied into the
// container) instead of the built-in Private Space Peering world.
func WithTopology(path string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		const target = "/etc/spacelab/topology.yaml"
		req.Files = append(req.Files, testcontainers.ContainerFile{HostFilePath: path, ContainerFilePath: target, FileMode: 0o644})
		req.Cmd = append(req.Cmd, "--topology", target)
		return nil
	}
}

// HerokuURL is the fake Heroku Platform API, http://127.0.0.1:PORT on the Docker host.
func (c *Container) HerokuURL() string { return c.herokuURL }

// HerokuToken is the bearer token of the topology's first Heroku user.
func (c *Container) HerokuToken() string { return c.token }

// AWSURL is the fake EC2/STS endpoint.
func (c *Container) AWSURL() string { return c.awsURL }

// HerokuClient returns a heroku-go v5 client of the fake Platform API, authenticated as the
// topology's first Heroku user.
func (c *Container) HerokuClient() *heroku.Service {
	svc := heroku.NewService(&http.Client{Transport: &heroku.Transport{BearerToken: c.token}})
	svc.URL = c.herokuURL
	return svc
}

// AWSConfig returns an aws-sdk-go-v2 configuration for the topology's first AWS account (the
// customer's in the built-in world): its static credentials and default region, and the
// container's endpoint for every service. Nothing is read from the environment or ~/.aws.
func (c *Container) AWSConfig(ctx context.Context) (aws.Config, error) {
	id, secret, region := c.env["AWS_ACCESS_KEY_ID"], c.env["AWS_SECRET_ACCESS_KEY"], c.env["AWS_REGION"]
	if id == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("spacelabcontainer: the container's environment has no AWS credentials")
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, "")),
		config.WithBaseEndpoint(c.awsURL),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("spacelabcontainer: %w", err)
	}
	return cfg, nil
}

// Terminate stops and removes the container; the sandbox and every emulated host go with it.
func (c *Container) Terminate(ctx context.Context, opts ...testcontainers.TerminateOption) error {
	if c == nil || c.Container == nil {
		return nil
	}
	if err := c.Container.Terminate(ctx, opts...); err != nil {
		return fmt.Errorf("spacelabcontainer: terminate: %w", err)
	}
	return nil
}

// url is http://HOST:PORT of a published port (see publishedHost).
func (c *Container) url(ctx context.Context, port string) (string, error) {
	host, err := publishedHost(ctx, c)
	if err != nil {
		return "", err
	}
	p, err := c.MappedPort(ctx, port)
	if err != nil {
		return "", err
	}
	return "http://" + net.JoinHostPort(host, p.Port()), nil
}

// exports reads the `export` lines spacelab up printed on its standard output when it became
// ready.
func (c *Container) exports(ctx context.Context) (map[string]string, error) {
	rc, err := c.Logs(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(rc)
	for sc.Scan() {
		line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		env[k] = v
	}
	if len(env) == 0 {
		return nil, fmt.Errorf("spacelab up printed no environment (%v)", sc.Err())
	}
	return env, nil
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "spacelab-" + hex.EncodeToString(b)
}
