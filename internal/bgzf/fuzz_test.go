package bgzf

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"testing"
)

// FuzzBGZF reads arbitrary input with 1 and 3 workers and every inflater
// of the build: all must agree exactly (data, error and its place); an
// error must wrap ErrCorrupt; and a stream read without error must be
// what compress/gzip (multistream) makes of it.
func FuzzBGZF(f *testing.F) {
	data := vcfLike(3000, 11)[:3000]
	f.Add(biogoBytes(f, data, gzip.DefaultCompression, 1000, 2000))
	f.Add(biogoBytes(f, data[:50], gzip.NoCompression))
	f.Add(biogoBytes(f, nil, gzip.DefaultCompression))
	f.Add([]byte(eofBlock))
	f.Add(append(rawBlock(storedDeflate([]byte("x")), []byte("x")), eofBlock...))
	f.Add(append(rawBlock(nil, nil), eofBlock...))
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(data[:100])
	w.Close()
	f.Add(gz.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := readAll(t, in, 1, 1<<16, testInflaters[0].new)
		if wantErr != nil {
			var e *Error
			if !errors.Is(wantErr, ErrCorrupt) || !errors.As(wantErr, &e) {
				t.Fatalf("error %v does not wrap ErrCorrupt", wantErr)
			}
		} else {
			zr, err := gzip.NewReader(bytes.NewReader(in))
			if err != nil {
				t.Fatalf("accepted, but compress/gzip says %v", err)
			}
			ref, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(ref, want) {
				t.Fatalf("accepted %d bytes; compress/gzip reads %d bytes, %v", len(want), len(ref), err)
			}
		}
		for _, inf := range testInflaters {
			for _, threads := range []int{1, 3} {
				got, err := readAll(t, in, threads, 777, inf.new)
				if !bytes.Equal(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Fatalf("%s threads=%d: %d bytes, %v; go threads=1: %d bytes, %v", inf.name, threads, len(got), err, len(want), wantErr)
				}
			}
		}
	})
}
