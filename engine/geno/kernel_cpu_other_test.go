//go:build !unix

package geno

// cpuSeconds is not available here; benchmarks then report wall-clock
// throughput only.
func cpuSeconds() float64 { return 0 }
