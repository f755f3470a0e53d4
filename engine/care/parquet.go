package care

import (
	"bytes"
	"context"
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

var tableMeta = arrow.NewMetadata([]string{"gentre.care_table.version"}, []string{"1"})

// PeopleSchema is the Arrow schema of the people table.
var PeopleSchema = arrow.NewSchema([]arrow.Field{
	{Name: "person", Type: arrow.PrimitiveTypes.Int32},
	{Name: "pseudonym", Type: arrow.BinaryTypes.String},
	{Name: "sex", Type: arrow.BinaryTypes.String},
	{Name: "birth_year", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "birth_month", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "area", Type: arrow.BinaryTypes.String},
	{Name: "refs", Type: arrow.ListOf(arrow.BinaryTypes.String)},
}, &tableMeta)

// EventsSchema is the Arrow schema of an events table.
var EventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "person", Type: arrow.PrimitiveTypes.Int32},
	{Name: "kind", Type: arrow.BinaryTypes.String},
	{Name: "system", Type: arrow.BinaryTypes.String},
	{Name: "code", Type: arrow.BinaryTypes.String},
	{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "unit", Type: arrow.BinaryTypes.String},
}, &tableMeta)

func writerProps(dict ...string) *parquet.WriterProperties {
	opts := []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Zstd), parquet.WithStats(true), parquet.WithDictionaryDefault(false)}
	for _, c := range dict {
		opts = append(opts, parquet.WithDictionaryFor(c, true))
	}
	return parquet.NewWriterProperties(opts...)
}

func writeRecord(w io.Writer, schema *arrow.Schema, rec arrow.RecordBatch, props *parquet.WriterProperties) error {
	fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// WritePeople writes the people table (row i = person index i).
func WritePeople(w io.Writer, people []Person) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, PeopleSchema)
	defer b.Release()
	f := b.Fields()
	refs := f[6].(*array.ListBuilder)
	refv := refs.ValueBuilder().(*array.StringBuilder)
	for i := range people {
		p := &people[i]
		f[0].(*array.Int32Builder).Append(int32(i))
		f[1].(*array.StringBuilder).Append(p.Pseudonym)
		f[2].(*array.StringBuilder).Append(p.Sex.String())
		if p.BirthYear == 0 {
			f[3].AppendNull()
		} else {
			f[3].(*array.Int16Builder).Append(p.BirthYear)
		}
		if p.BirthMonth == 0 {
			f[4].AppendNull()
		} else {
			f[4].(*array.Int8Builder).Append(p.BirthMonth)
		}
		f[5].(*array.StringBuilder).Append(p.Area)
		refs.Append(true)
		for _, r := range p.Refs {
			refv.Append(r)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return writeRecord(w, PeopleSchema, rec, writerProps("sex", "area"))
}

// EventWriter accumulates events for one events table.
type EventWriter struct {
	b *array.RecordBuilder
	n int
}

// NewEventWriter returns an empty events table builder.
func NewEventWriter() *EventWriter {
	return &EventWriter{b: array.NewRecordBuilder(memory.DefaultAllocator, EventsSchema)}
}

// Len returns the number of events added.
func (ew *EventWriter) Len() int { return ew.n }

// Add appends one event.
func (ew *EventWriter) Add(e *Event) {
	f := ew.b.Fields()
	f[0].(*array.Int32Builder).Append(e.Person)
	f[1].(*array.StringBuilder).Append(e.Kind.String())
	f[2].(*array.StringBuilder).Append(e.System)
	f[3].(*array.StringBuilder).Append(e.Code)
	if e.Date == NoDate {
		f[4].AppendNull()
	} else {
		f[4].(*array.Date32Builder).Append(arrow.Date32(e.Date))
	}
	if math.IsNaN(e.Value) {
		f[5].AppendNull()
	} else {
		f[5].(*array.Float64Builder).Append(e.Value)
	}
	f[6].(*array.StringBuilder).Append(e.Unit)
	ew.n++
}

// WriteParquet writes the events and releases the builder.
func (ew *EventWriter) WriteParquet(w io.Writer) error {
	rec := ew.b.NewRecordBatch()
	defer rec.Release()
	defer ew.b.Release()
	return writeRecord(w, EventsSchema, rec, writerProps("kind", "system", "code", "unit"))
}

func readTable(name string, data []byte, schema *arrow.Schema) (arrow.Table, error) {
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(data), parquet.NewReaderProperties(memory.DefaultAllocator), pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrCorrupt)
	}
	s := tbl.Schema()
	ok := s.NumFields() == schema.NumFields()
	for i := 0; ok && i < s.NumFields(); i++ {
		ok = s.Field(i).Name == schema.Field(i).Name && arrow.TypeEqual(s.Field(i).Type, schema.Field(i).Type)
	}
	if !ok {
		tbl.Release()
		return nil, fmt.Errorf("%s: unexpected schema: %w", name, ErrCorrupt)
	}
	return tbl, nil
}

// ReadPeople reads a people table written by WritePeople.
func ReadPeople(name string, data []byte) ([]Person, error) {
	tbl, err := readTable(name, data, PeopleSchema)
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	out := make([]Person, 0, tbl.NumRows())
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		idx := rec.Column(0).(*array.Int32)
		ps := rec.Column(1).(*array.String)
		sex := rec.Column(2).(*array.String)
		by := rec.Column(3).(*array.Int16)
		bm := rec.Column(4).(*array.Int8)
		area := rec.Column(5).(*array.String)
		refs := rec.Column(6).(*array.List)
		refv := refs.ListValues().(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			if int(idx.Value(i)) != len(out) {
				return nil, fmt.Errorf("%s: person index %d at row %d: %w", name, idx.Value(i), len(out), ErrCorrupt)
			}
			p := Person{Pseudonym: ps.Value(i), Sex: ParseSex(sex.Value(i)), Area: area.Value(i)}
			if !by.IsNull(i) {
				p.BirthYear = by.Value(i)
			}
			if !bm.IsNull(i) {
				p.BirthMonth = bm.Value(i)
			}
			lo, hi := refs.ValueOffsets(i)
			for j := lo; j < hi; j++ {
				p.Refs = append(p.Refs, refv.Value(int(j)))
			}
			out = append(out, p)
		}
	}
	return out, tr.Err()
}

// ReadEvents calls fn for every event of an events table, in order. The
// Event is reused between calls.
func ReadEvents(name string, data []byte, fn func(*Event) error) error {
	tbl, err := readTable(name, data, EventsSchema)
	if err != nil {
		return err
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	var e Event
	for tr.Next() {
		rec := tr.RecordBatch()
		person := rec.Column(0).(*array.Int32)
		kind := rec.Column(1).(*array.String)
		system := rec.Column(2).(*array.String)
		code := rec.Column(3).(*array.String)
		date := rec.Column(4).(*array.Date32)
		value := rec.Column(5).(*array.Float64)
		unit := rec.Column(6).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			k, ok := ParseKind(kind.Value(i))
			if !ok {
				return fmt.Errorf("%s: unknown event kind: %w", name, ErrCorrupt)
			}
			e = Event{Person: person.Value(i), Kind: k, System: system.Value(i), Code: code.Value(i), Date: NoDate, Value: math.NaN(), Unit: unit.Value(i)}
			if !date.IsNull(i) {
				e.Date = int32(date.Value(i))
			}
			if !value.IsNull(i) {
				e.Value = value.Value(i)
			}
			if err := fn(&e); err != nil {
				return err
			}
		}
	}
	return tr.Err()
}
