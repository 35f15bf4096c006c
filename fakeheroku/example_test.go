package fakeheroku_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	heroku "github.com/heroku/heroku-go/v5"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/fakeheroku"
	"github.com/spacelab-dev/spacelab/topology"
)

// A fake Heroku API over the built-in topology (the seed walkthrough's space enablement-jp),
// driven by heroku-go. Point the heroku CLI at the same URL with HEROKU_HOST and
// HEROKU_API_KEY.
func ExampleServer() {
	top := topology.Default()
	world := emulator.NewWorld(top.WorldOptions(emulator.Options{}))
	if err := top.Apply(world, func(email string) string { return "my-token" }); err != nil {
		panic(err)
	}
	api := httptest.NewServer(&fakeheroku.Server{World: world})
	defer api.Close()

	svc := heroku.NewService(&http.Client{Transport: &heroku.Transport{BearerToken: "my-token"}})
	svc.URL = api.URL
	info, err := svc.PeeringInfoInfo(context.Background(), "enablement-jp")
	if err != nil {
		panic(err)
	}
	fmt.Println(info.AwsAccountID, info.AwsRegion, info.VpcID, info.VpcCIDR)
	fmt.Println(info.SpaceCIDRBlocks)
	// Output:
	// 884226375513 ap-northeast-1 vpc-b39527d4 10.0.0.0/16
	// [10.0.144.0/20 10.0.128.0/20 10.0.0.0/20 10.0.16.0/20]
}
