//go:build !unix

package vcf

import "time"

// bcfCPUTime is not measured on this platform.
func bcfCPUTime() time.Duration { return 0 }
