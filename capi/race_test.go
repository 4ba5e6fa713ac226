//go:build race

package main

// raceEnabled shortens the long loops: the race detector makes each call
// many times slower.
const raceEnabled = true
