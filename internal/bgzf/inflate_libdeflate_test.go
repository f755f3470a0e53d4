//go:build cgo && libdeflate

package bgzf

func init() {
	testInflaters = append(testInflaters, namedInflater{"libdeflate", func() (inflater, error) {
		l, err := newLibdeflateInflater()
		if err != nil {
			return nil, err
		}
		return l, nil
	}})
}
