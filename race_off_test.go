//go:build !race

package execkit

const raceEnabled = false
