package lab

import (
	"slices"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/topology"
)

// A topology with no AWS account (Heroku only) still gets an environment: the heroku CLI's
// variables and the AWS endpoint, and no AWS credentials or region; with an account, its
// credentials and region.
func TestEnvWithAndWithoutAWSAccount(t *testing.T) {
	herokuOnly := `
heroku:
  users: [{email: alice@alpha.example, teams: {alpha: admin}}]
  spaces:
    - {name: alpha-space, team: alpha, region: virginia, cidr: 10.0.0.0/16, data_cidr: 10.1.0.0/16}
`
	for _, tc := range []struct {
		name    string
		yaml    string
		wantKey string // AWS_ACCESS_KEY_ID, or "" for none
	}{
		{"heroku only", herokuOnly, ""},
		{"default", "", "AKIAWNSPACELAB435886"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top := topology.Default()
			if tc.yaml != "" {
				raw, err := topology.Parse([]byte(tc.yaml))
				if err != nil {
					t.Fatal(err)
				}
				if top, err = raw.Resolve(); err != nil {
					t.Fatal(err)
				}
			}
			l := &Lab{Topology: top, HerokuURL: "http://127.0.0.1:1", AWSURL: "http://127.0.0.1:2"}
			env, err := l.Env(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var key string
			for _, kv := range env {
				if v, ok := strings.CutPrefix(kv, "AWS_ACCESS_KEY_ID="); ok {
					key = v
				}
			}
			if key != tc.wantKey {
				t.Errorf("AWS_ACCESS_KEY_ID = %q, want %q (env %q)", key, tc.wantKey, env)
			}
			for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:2", "HEROKU_HOST=http://127.0.0.1:1"} {
				if !slices.Contains(env, want) {
					t.Errorf("env lacks %s: %q", want, env)
				}
			}
		})
	}
}
