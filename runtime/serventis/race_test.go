//go:build race

package serventis

// raceEnabled is set when the race detector is on, which makes the
// simulations of the scenario matrix many times slower.
const raceEnabled = true
