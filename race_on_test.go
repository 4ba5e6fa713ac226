//go:build race

package execkit

// raceEnabled: the race detector slows the pipeline several times over, so
// the flood tests stream less under it (the memory bound is what they check).
const raceEnabled = true
