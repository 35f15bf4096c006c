package lab

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	heroku "github.com/heroku/heroku-go/v5"

	"github.com/spacelab-dev/spacelab/emulator"
)

// AccessKeyFor returns the credentials and default region of a topology account; an empty
// account means the first one.
func (l *Lab) AccessKeyFor(account string) (emulator.AccessKey, string, error) {
	for _, a := range l.Topology.Accounts {
		if account == "" || a.Key.Account == account {
			return a.Key, a.DefaultRegion, nil
		}
	}
	if account == "" {
		return emulator.AccessKey{}, "", fmt.Errorf("lab: the topology has no AWS account")
	}
	return emulator.AccessKey{}, "", fmt.Errorf("lab: the topology has no AWS account %s", account)
}

// AWSConfig returns an aws-sdk-go-v2 configuration for an account of the topology (empty means
// the first): its static credentials, its default region and the lab's endpoint for every
// service. Nothing is read from the environment or ~/.aws.
func (l *Lab) AWSConfig(ctx context.Context, account string) (aws.Config, error) {
	key, region, err := l.AccessKeyFor(account)
	if err != nil {
		return aws.Config{}, err
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key.ID, key.Secret, "")),
		config.WithBaseEndpoint(l.AWSURL),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("lab: %w", err)
	}
	return cfg, nil
}

// HerokuClient returns a heroku-go v5 client for the lab's Platform API, authenticated as the
// topology's first Heroku user (HerokuToken). Its requests go to HerokuURL only.
func (l *Lab) HerokuClient() *heroku.Service {
	svc := heroku.NewService(&http.Client{Transport: &heroku.Transport{BearerToken: l.HerokuToken}})
	svc.URL = l.HerokuURL
	return svc
}

// Env returns the environment that points the real clients at the lab: the heroku CLI fully
// offline (its cache, config and data directories under dir, telemetry, update checks and
// autoupdate off) and the AWS CLI / SDKs with the first account's credentials, region and
// endpoint. Debian's AWS CLI 2.9 ignores AWS_ENDPOINT_URL: pass --endpoint-url "$AWS_ENDPOINT_URL".
// A topology with no AWS account (Heroku only) gets no AWS credentials or region: an AWS
// client then says it has none. It prepares dir (the heroku CLI's cache files) as a side effect.
func (l *Lab) Env(dir string) ([]string, error) {
	var awsCreds []string
	if len(l.Topology.Accounts) > 0 {
		key, region, err := l.AccessKeyFor("")
		if err != nil {
			return nil, err
		}
		awsCreds = []string{
			"AWS_ACCESS_KEY_ID=" + key.ID,
			"AWS_SECRET_ACCESS_KEY=" + key.Secret,
			"AWS_DEFAULT_REGION=" + region,
			"AWS_REGION=" + region,
		}
	}
	cache := filepath.Join(dir, "heroku", "cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	for name, content := range map[string]string{"terms-of-service": "", "version": `{"current":"0.0.0"}`} {
		if err := os.WriteFile(filepath.Join(cache, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	env := []string{
		"HEROKU_HOST=" + l.HerokuURL,
		"HEROKU_API_KEY=" + l.HerokuToken,
		"HEROKU_PARTICLEBOARD_URL=" + l.HerokuURL,
		"HEROKU_CACHE_DIR=" + cache,
		"HEROKU_CONFIG_DIR=" + filepath.Join(dir, "heroku", "config"),
		"HEROKU_DATA_DIR=" + filepath.Join(dir, "heroku", "data"),
		"HEROKU_SKIP_NEW_VERSION_CHECK=true",
		"HEROKU_DISABLE_AUTOUPDATE=true",
		"HEROKU_SKIP_ANALYTICS=1",
		"DISABLE_TELEMETRY=true",
		"IS_HEROKU_TEST_ENV=true",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(dir, "heroku", "gitconfig"),
	}
	env = append(env, awsCreds...)
	return append(env,
		"AWS_ENDPOINT_URL="+l.AWSURL,
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "aws", "credentials"),
	), nil
}

// ShellExports renders Env as `export` lines for a POSIX shell.
func ShellExports(env []string) string {
	var b strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
