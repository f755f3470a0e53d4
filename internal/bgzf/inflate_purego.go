//go:build !(cgo && libdeflate)

package bgzf

// Implementation names the inflater this build uses: "go" (compress/flate)
// here, "libdeflate" when built with cgo and -tags libdeflate.
const Implementation = "go"

func newInflater() (inflater, error) { return newGoInflater() }
