package faults_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/fakeheroku"
	"github.com/spacelab-dev/spacelab/faults"
)

// Make the fake Heroku API answer 429 rate_limit to the next two GET /account calls.
func Example() {
	plan, err := faults.NewAPI(1, faults.APIRule{Service: "heroku", Action: "GET /account", Code: "rate_limit", Status: 429, Count: 2})
	if err != nil {
		panic(err)
	}
	w := emulator.NewWorld(emulator.Options{Seed: 1})
	_ = w.Update(func(tx *emulator.Tx) error { tx.AddUser("user@example.com", "tok"); return nil })
	srv := httptest.NewServer(&fakeheroku.Server{World: w, Fault: plan.Heroku})
	defer srv.Close()
	for range 3 {
		req, _ := http.NewRequest("GET", srv.URL+"/account", nil)
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		res.Body.Close()
		fmt.Println(res.StatusCode)
	}
	st := plan.Status()[0]
	fmt.Printf("failed %d of %d, %d left\n", st.Failed, st.Matched, st.Remaining)
	// Output:
	// 429
	// 429
	// 200
	// failed 2 of 2, 0 left
}
