// Command scanfixture is the input of the code-scan test: what it reaches
// and what it does not are both known.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/checkpoint-relay/checkpoint-relay/internal/samtemplate/testdata/scanfixture/envlib"
)

var direct = os.Getenv("FIXTURE_DIRECT")

func main() {
	var r envlib.Runner = envlib.Job{Box: envlib.Box{}}
	fmt.Println(direct, envlib.Load(os.Getenv), r.Run(context.Background()) != nil, envlib.Pick("used"))
}
