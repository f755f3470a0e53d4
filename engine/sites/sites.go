// Package sites keeps the variant site table (chrom, pos, id, ref, alts,
// qual, filter, info) of a chunk as an Apache Parquet file written through
// Apache Arrow, so that other tools (pyarrow, pandas, DuckDB, Spark) can
// read the store's sites without gentre. Schema in docs/format.md.
package sites

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ErrCorrupt is wrapped by errors about a site table that cannot be read.
var ErrCorrupt = errors.New("corrupt site table")

// Schema is the Arrow schema of a site table. QUAL is null when missing.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "chrom", Type: arrow.BinaryTypes.String},
	{Name: "pos", Type: arrow.PrimitiveTypes.Int64},
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "ref", Type: arrow.BinaryTypes.String},
	{Name: "alts", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "qual", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "filter", Type: arrow.BinaryTypes.String},
	{Name: "info", Type: arrow.BinaryTypes.String},
}, &siteMeta)

var siteMeta = arrow.NewMetadata([]string{"gentre.site_table.version"}, []string{"1"})

// Site is one row of the table.
type Site struct {
	Chrom  string
	Pos    int64
	ID     string
	Ref    string
	Alts   []string
	Qual   float32 // NaN when missing
	Filter string
	Info   string
}

// Builder accumulates sites for one table.
type Builder struct {
	b    *array.RecordBuilder
	n    int
	alts *array.StringBuilder
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	b := array.NewRecordBuilder(memory.DefaultAllocator, Schema)
	return &Builder{b: b, alts: b.Field(4).(*array.ListBuilder).ValueBuilder().(*array.StringBuilder)}
}

// Len returns the number of sites added.
func (b *Builder) Len() int { return b.n }

// Add appends one site.
func (b *Builder) Add(s *Site) {
	f := b.b.Fields()
	f[0].(*array.StringBuilder).Append(s.Chrom)
	f[1].(*array.Int64Builder).Append(s.Pos)
	f[2].(*array.StringBuilder).Append(s.ID)
	f[3].(*array.StringBuilder).Append(s.Ref)
	f[4].(*array.ListBuilder).Append(true)
	for _, a := range s.Alts {
		b.alts.Append(a)
	}
	if math.IsNaN(float64(s.Qual)) {
		f[5].AppendNull()
	} else {
		f[5].(*array.Float32Builder).Append(s.Qual)
	}
	f[6].(*array.StringBuilder).Append(s.Filter)
	f[7].(*array.StringBuilder).Append(s.Info)
	b.n++
}

// WriteParquet writes the sites added so far as a zstd-compressed Parquet
// file to w and releases the builder's memory.
func (b *Builder) WriteParquet(w io.Writer) error {
	rec := b.b.NewRecordBatch()
	defer rec.Release()
	defer b.b.Release()
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(1), // fastest: the table is small next to the chunks
		parquet.WithDictionaryFor("chrom", true),
		parquet.WithStats(true),
	)
	fw, err := pqarrow.NewFileWriter(Schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// ReadParquet reads a whole site table written by WriteParquet.
func ReadParquet(name string, data []byte) ([]Site, error) {
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data), parquet.NewReaderProperties(memory.DefaultAllocator), pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrCorrupt)
	}
	defer tbl.Release()
	if !tbl.Schema().Equal(Schema) && !sameFields(tbl.Schema(), Schema) {
		return nil, fmt.Errorf("%s: unexpected schema: %w", name, ErrCorrupt)
	}
	out := make([]Site, tbl.NumRows())
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	row := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		chrom := rec.Column(0).(*array.String)
		pos := rec.Column(1).(*array.Int64)
		id := rec.Column(2).(*array.String)
		ref := rec.Column(3).(*array.String)
		alts := rec.Column(4).(*array.List)
		altv := alts.ListValues().(*array.String)
		qual := rec.Column(5).(*array.Float32)
		filter := rec.Column(6).(*array.String)
		info := rec.Column(7).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			s := &out[row]
			s.Chrom, s.Pos, s.ID, s.Ref = chrom.Value(i), pos.Value(i), id.Value(i), ref.Value(i)
			lo, hi := alts.ValueOffsets(i)
			for j := lo; j < hi; j++ {
				s.Alts = append(s.Alts, altv.Value(int(j)))
			}
			if qual.IsNull(i) {
				s.Qual = float32(math.NaN())
			} else {
				s.Qual = qual.Value(i)
			}
			s.Filter, s.Info = filter.Value(i), info.Value(i)
			row++
		}
	}
	return out, tr.Err()
}

func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		if a.Field(i).Name != b.Field(i).Name || !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
}
