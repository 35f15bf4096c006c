package settle_test

import (
	"fmt"
	"time"

	"github.com/spacelab-dev/spacelab/bench/settle"
)

// A benchmark waits between sizes so each size pays only for itself.
func ExampleWait() {
	_, ended := settle.Wait(30 * time.Second)
	fmt.Println(ended)
}
