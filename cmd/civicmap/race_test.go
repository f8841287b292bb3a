//go:build race

package main

// raceDetector is set in a build with the race detector, whose shadow memory
// and ten-fold slower Go code make the load and memory tests measure it rather
// than civicmap: they skip, and `make test` runs them again without it.
const raceDetector = true
