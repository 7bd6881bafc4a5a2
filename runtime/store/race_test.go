//go:build race

package store_test

// raceEnabled is set when the race detector is on, which slows every
// operation of the scenario matrix several times.
const raceEnabled = true
