package topology_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

// Every error from a topology file names the file, and a line or the object's path.
func TestLoadErrorsNameTheFileAndPlace(t *testing.T) {
	acct := "aws:\n  accounts:\n    - id: '123456789012'\n      access_key_id: a\n      secret_access_key: b\n      vpcs:\n        - id: vpc-1\n          region: us-east-1\n"
	tests := []struct {
		name, doc string
		want      []string
		not       []string
	}{
		{"empty", "", []string{"bad.yaml: the file is empty"}, nil},
		{"only comments", "# nothing\n", []string{"bad.yaml: the file is empty"}, nil},
		{"syntax", "heroku:\n  spaces: [\n", []string{"bad.yaml:2: "}, []string{"yaml: line"}},
		{"unknown key", "heroku:\n  spacez: []\n", []string{"bad.yaml:2: unknown key spacez (misspelt"}, nil},
		{"not a mapping", "root:x:0:0:root:/root:/bin/bash\n", []string{"bad.yaml: not a topology"}, []string{"root:x"}},
		{"bad cidr", acct + "          cidr: nope\n", []string{"bad.yaml:9: aws.accounts[0].vpcs[0].cidr (vpc-1): cidr \"nope\""}, nil},
		{"router ips", "heroku:\n  spaces:\n    - name: s\n      apps:\n        - name: a\n          router_ips: [10.0.0.9]\n",
			[]string{"bad.yaml:6: heroku.spaces[0].apps[0].router_ips (a): router_ips needs internal_routing: true"}, nil},
		{"subnet outside its vpc", acct + "          cidr: 10.0.0.0/16\n          subnets:\n            - id: subnet-1\n              cidr: 10.9.0.0/24\n",
			[]string{"bad.yaml:11: aws.accounts[0].vpcs[0].subnets[0] (subnet-1): "}, nil},
		{"instance outside its subnet", acct + "          cidr: 10.0.0.0/16\n          subnets:\n            - id: subnet-1\n              cidr: 10.0.1.0/24\n              instances:\n                - id: i-1\n                  private_ip: 10.0.2.5\n",
			[]string{"bad.yaml:14: aws.accounts[0].vpcs[0].subnets[0].instances[0] (i-1): "}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(f, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			top, err := topology.Load(f)
			if err == nil {
				err = top.Apply(emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 1})), nil)
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.ReplaceAll(err.Error(), filepath.Dir(f)+"/", "")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("lacks %q:\n%s", w, msg)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(msg, w) {
					t.Errorf("must not contain %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestLoadUnknownName(t *testing.T) {
	_, err := topology.Load("nosuch")
	if err == nil || !strings.Contains(err.Error(), "nosuch: no such file, and no built-in topology of that name (built-in: default, lab;") {
		t.Fatalf("got %v", err)
	}
}
