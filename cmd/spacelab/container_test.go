package main

import (
	"slices"
	"testing"
)

func TestContainerEnvForTheHost(t *testing.T) {
	env := []string{"HEROKU_HOST=http://[::]:5400", "HEROKU_PARTICLEBOARD_URL=http://[::]:5400", "AWS_ENDPOINT_URL=http://[::]:5401", "AWS_REGION=us-east-1"}
	for _, tc := range []struct {
		name string
		c    containerFlags
		want []string
	}{
		{"no URLs given: unchanged", containerFlags{}, env},
		{"published ports", containerFlags{herokuURL: "http://127.0.0.1:5630", awsURL: "http://127.0.0.1:5631"},
			[]string{"HEROKU_HOST=http://127.0.0.1:5630", "HEROKU_PARTICLEBOARD_URL=http://127.0.0.1:5630", "AWS_ENDPOINT_URL=http://127.0.0.1:5631", "AWS_REGION=us-east-1"}},
		{"only heroku", containerFlags{herokuURL: "http://127.0.0.1:5630"},
			[]string{"HEROKU_HOST=http://127.0.0.1:5630", "HEROKU_PARTICLEBOARD_URL=http://127.0.0.1:5630", "AWS_ENDPOINT_URL=http://[::]:5401", "AWS_REGION=us-east-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.env(env, "http://[::]:5400", "http://[::]:5401"); !slices.Equal(got, tc.want) {
				t.Errorf("env = %v, want %v", got, tc.want)
			}
		})
	}
}
