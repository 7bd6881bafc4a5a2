//go:build !race

package serventis

const raceEnabled = false
