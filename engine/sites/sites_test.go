package sites

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestParquetRoundTrip(t *testing.T) {
	in := []Site{
		{Chrom: "chr22", Pos: 16050075, ID: "rs1", Ref: "A", Alts: []string{"G"}, Qual: 50.5, Filter: "PASS", Info: "DP=10;AF=0.5"},
		{Chrom: "chr22", Pos: 16050076, ID: ".", Ref: "AT", Alts: []string{"A", "ATT", "<DEL>", "*"}, Qual: float32(math.NaN()), Filter: ".", Info: "."},
		{Chrom: "chr22", Pos: 16050077, ID: ".", Ref: "C", Alts: nil, Qual: 0, Filter: "q10;s50", Info: "FLAG"},
	}
	b := NewBuilder()
	for i := range in {
		b.Add(&in[i])
	}
	var buf bytes.Buffer
	if err := b.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := ReadParquet("t.parquet", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d rows, want %d", len(out), len(in))
	}
	for i := range in {
		a, b := in[i], out[i]
		if math.IsNaN(float64(a.Qual)) != math.IsNaN(float64(b.Qual)) || (!math.IsNaN(float64(a.Qual)) && a.Qual != b.Qual) {
			t.Fatalf("row %d qual %v, want %v", i, b.Qual, a.Qual)
		}
		a.Qual, b.Qual = 0, 0
		if len(a.Alts) == 0 {
			a.Alts = nil
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, b, a)
		}
	}
	// A damaged file is an error, not a panic.
	data := buf.Bytes()
	data[len(data)/2] ^= 0xff
	if _, err := ReadParquet("t.parquet", data[:len(data)-10]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated table: %v", err)
	}
}
