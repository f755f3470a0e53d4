// Package sealed encodes the records the TRE keeps in its bbolt database
// (disclosure's released person sets and settings, the airlock's requests)
// behind a CRC-32C, so that a damaged record is an error, never a wrong
// answer, and opens each package's versioned top-level bucket.
package sealed

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC is the CRC-32C of b.
func CRC(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// JSON encodes v as JSON behind a CRC-32C (big-endian) of the JSON bytes.
func JSON(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 4, 4+len(j))
	binary.BigEndian.PutUint32(out, CRC(j))
	return append(out, j...), nil
}

// UnJSON checks and decodes what JSON wrote; its errors wrap corrupt.
func UnJSON(b []byte, v any, corrupt error) error {
	if len(b) < 4 || binary.BigEndian.Uint32(b) != CRC(b[4:]) {
		return fmt.Errorf("%w: checksum mismatch", corrupt)
	}
	if err := json.Unmarshal(b[4:], v); err != nil {
		return errors.Join(corrupt, err)
	}
	return nil
}

// BitmapHeadSize is the header of an encoded bitmap: [0:4] CRC-32C of
// [8:] (big-endian), [4:8] zero.
const BitmapHeadSize = 8

// Bitmap encodes b (run-optimised) behind its header, then roaring's
// portable serialisation.
func Bitmap(b *roaring.Bitmap) ([]byte, error) {
	c := b.Clone()
	c.RunOptimize()
	w := bytes.NewBuffer(make([]byte, BitmapHeadSize, BitmapHeadSize+int(c.GetSerializedSizeInBytes())))
	if _, err := c.WriteTo(w); err != nil {
		return nil, err
	}
	v := w.Bytes()
	binary.BigEndian.PutUint32(v, CRC(v[BitmapHeadSize:]))
	return v, nil
}

// BitmapView checks an encoded bitmap and returns a zero-copy view of it,
// valid as long as v is (for bbolt, the transaction). Errors wrap corrupt
// and name what.
func BitmapView(v []byte, corrupt error, what string) (*roaring.Bitmap, error) {
	if len(v) < BitmapHeadSize || binary.BigEndian.Uint32(v) != CRC(v[BitmapHeadSize:]) {
		return nil, fmt.Errorf("%w: %s", corrupt, what)
	}
	b := roaring.New()
	if _, err := b.FromBuffer(v[BitmapHeadSize:]); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", corrupt, what, err)
	}
	return b, nil
}

// Top returns the top-level bucket name of a package's records in tx,
// creating it with the format's name and version (under key) when absent,
// and refusing one of another format (an error wrapping corrupt); then
// the sub-buckets subs, created when absent.
func Top(tx *bbolt.Tx, name, key []byte, format string, corrupt error, subs ...[]byte) (*bbolt.Bucket, error) {
	top, err := tx.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, err
	}
	switch f := top.Get(key); {
	case f == nil:
		if err := top.Put(key, []byte(format)); err != nil {
			return nil, err
		}
	case !bytes.Equal(f, []byte(format)):
		return nil, fmt.Errorf("%w: unknown format %q, want %q", corrupt, f, format)
	}
	for _, n := range subs {
		if _, err := top.CreateBucketIfNotExists(n); err != nil {
			return nil, err
		}
	}
	return top, nil
}

// AppendLP appends s with its length before it (a uvarint), so that keys
// made of several strings are unambiguous.
func AppendLP(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
