// Package golden holds storegen's golden cases: under testdata/<case>/, an
// input package and either the files the generator must write (want/) or
// the errors it must report (want/stderr.txt). The tests generate each
// case, compare, and then compile, vet and run the generated code with each
// case's smoke tests against the in-memory backend.
//
//	go test ./golden           # check
//	go test ./golden -update   # rewrite want/ from the generator's output
package golden
