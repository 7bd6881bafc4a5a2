package serventis_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/substrates"
)

// A store times each operation with Begin and End, and reads the judgement
// with Status; subscribers of the Monitors conduit see each change.
func ExampleAssessor() {
	cortex := substrates.NewCortex()
	defer cortex.Close()
	circuit := cortex.Circuit("example")
	kit := serventis.NewKit(circuit)
	kit.Monitors().Subscribe(func(s substrates.Subject, r substrates.Registrar[serventis.Status]) {
		r.Register(substrates.PipeFunc[serventis.Status](func(st serventis.Status) {
			fmt.Println(s.Name(), "is", st)
		}))
	})

	// A simulated clock, so that the example is deterministic; a store
	// leaves Clock nil.
	now := time.Now()
	users := serventis.NewAssessor(serventis.AssessorConfig{
		Clock:   func() time.Time { return now },
		Monitor: kit.Monitor("store.users"),
	})
	get := func(fail bool) error {
		start := users.Begin()
		now = now.Add(time.Millisecond) // the operation takes a millisecond
		var err error
		if fail {
			err = errors.New("backend unavailable")
		}
		users.End(start, err != nil)
		return err
	}

	for range 500 { // half a second of a healthy store
		_ = get(false)
	}
	for range 500 { // then the backend goes away
		_ = get(true)
	}
	circuit.Await()
	fmt.Println(serventis.SituationOf(users.Status()))
	// Output:
	// store.users is STABLE/MEASURED
	// store.users is DEGRADED/TENTATIVE
	// store.users is DOWN/TENTATIVE
	// CRITICAL
}
