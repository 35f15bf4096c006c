package fakeaws_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/fakeaws"
	"github.com/spacelab-dev/spacelab/topology"
)

// The default topology's identities (topology/default.yaml) plus a test key for Heroku's account.
const (
	customerAccount = "435886841536"
	customerKey     = "AKIAWNSPACELAB435886"
	customerSecret  = "spacelab/customer/secret/key/435886841536"
	customerVPC     = "vpc-0cb1a66017eed9372"
	customerSubnet  = "subnet-0a8e2d3c5b7f91e04"
	customerInst    = "i-0f3c2b1a998877665"
	customerRegion  = "us-east-1"

	herokuAccount = "884226375513"
	herokuKey     = "AKIAHEROKUTESTKEY001"
	herokuSecret  = "spacelab/heroku/test/secret"
	herokuRegion  = "ap-northeast-1"
	spaceVPC      = "vpc-b39527d4"
)

// tlog writes log records to the test's log.
type tlog struct {
	mu sync.Mutex
	t  testing.TB
}

func (w *tlog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(&tlog{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newWorld loads the default topology and adds an access key for Heroku's AWS account.
func newWorld(t testing.TB) *emulator.World {
	t.Helper()
	topo := topology.Default()
	w := emulator.NewWorld(topo.WorldOptions(emulator.Options{Seed: 42, Logger: testLogger(t)}))
	if err := topo.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Update(func(tx *emulator.Tx) error {
		tx.AddAccessKey(emulator.AccessKey{ID: herokuKey, Secret: herokuSecret, Account: herokuAccount, User: "heroku-ops"})
		// These tests pin the topology's own resources (counts, pages, filters); the default
		// VPC every account gets is tested on its own (defaultvpc_test.go).
		tx.SetNoDefaultVPC(customerAccount)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// env is a running server with the default world.
type env struct {
	t     testing.TB
	srv   *fakeaws.Server
	url   string
	world *emulator.World
}

// newEnv starts a server on the default world; configure sets its fields (test hooks,
// clock) before it serves, as a Server's fields must not change while it runs.
func newEnv(t testing.TB, configure ...func(*fakeaws.Server)) *env {
	t.Helper()
	w := newWorld(t)
	s := &fakeaws.Server{World: w, Logger: testLogger(t)}
	for _, f := range configure {
		f(s)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &env{t: t, srv: s, url: hs.URL, world: w}
}

func (e *env) cfg(key, secret, region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:     connectionRetryer,
	}
}

// connectionRetryer sends a request a second time only after a connection error, never after
// an API error (the tests assert those). Go's HTTP transport can close a connection under a
// response it is still reading, when the SDK closes the request body just as the transport's
// write loop reads it one last time (aws/aws-sdk-go-v2#2737): the SDK's own retryer sends the
// request again then, and so does this one.
func connectionRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// ec2 returns an SDK client for an identity and region.
func (e *env) ec2(key, secret, region string) *ec2.Client {
	return ec2.NewFromConfig(e.cfg(key, secret, region), func(o *ec2.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *env) customer() *ec2.Client { return e.ec2(customerKey, customerSecret, customerRegion) }
func (e *env) heroku() *ec2.Client   { return e.ec2(herokuKey, herokuSecret, herokuRegion) }

func (e *env) sts(key, secret, region string) *sts.Client {
	return sts.NewFromConfig(e.cfg(key, secret, region), func(o *sts.Options) { o.BaseEndpoint = aws.String(e.url) })
}

// apiErr is what a failed call came back with: EC2 code, message and HTTP status.
type apiErr struct {
	Code    string
	Message string
	Status  int
}

func asAPIErr(t testing.TB, err error) apiErr {
	t.Helper()
	if err == nil {
		t.Fatal("call succeeded; want an error")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	out := apiErr{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		out.Status = re.HTTPStatusCode()
	}
	return out
}

// rawResponse is a raw HTTP answer.
type rawResponse struct {
	Status int
	Body   string
}

// raw sends a form body signed with SigV4 for service/region at time at (zero: now).
func (e *env) raw(form url.Values, key, secret, service, region string, at time.Time) rawResponse {
	e.t.Helper()
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if key != "" {
		if at.IsZero() {
			at = time.Now()
		}
		h := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(h[:]), service, region, at); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) rawResponse {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return rawResponse{Status: resp.StatusCode, Body: string(b)}
}

// form builds Query parameters from alternating names and values.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func ctx() context.Context { return context.Background() }

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func newHTTPTest(t testing.TB, h http.Handler) string {
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}
