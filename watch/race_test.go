//go:build race

package watch

func init() { raceEnabled = true }
