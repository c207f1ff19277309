//go:build race

package fleet

// raceEnabled is true under -race, where TestLab2000 checks a sample of the
// healthy hosts (the race detector makes each WinRM command ~10x slower).
const raceEnabled = true
