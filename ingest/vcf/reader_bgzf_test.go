package vcf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gentre/gentre/internal/bgzf"
)

// TestBGZFErrors: each kind of BGZF corruption internal/bgzf detects comes
// out as an ErrFormat error naming the file and what is wrong, whatever
// the number of threads and whichever inflater the build has.
func TestBGZFErrors(t *testing.T) {
	bg := bgzfBytes(t, genVCF(400, 60, 3))
	ends := blockEnds(bg)
	b1, e1 := ends[0], ends[1] // the second block
	flip := func(at int, mask byte) []byte {
		c := bytes.Clone(bg)
		c[at] ^= mask
		return c
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"CRC32", flip(e1-8, 0x01), "CRC32 mismatch"},
		{"ISIZE", flip(e1-4, 0x01), "ISIZE mismatch"},
		{"ISIZE over 64 KiB", flip(e1-2, 0x02), "bad block header"},
		{"ID1", flip(b1, 0xff), "bad block header"},
		{"BC subfield", flip(b1+12, 0x01), "bad block header"},
		{"deflate data", flip(b1+30, 0xff), "BGZF data (bgzf: block at byte " + fmt.Sprint(b1)},
		{"garbage after the EOF block", append(bytes.Clone(bg), make([]byte, 40)...), "bad block header"},
	}
	for _, c := range cases {
		for _, threads := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/threads=%d", c.name, threads), func(t *testing.T) {
				r, err := NewReader(bytes.NewReader(c.data), Options{Name: "bad.vcf.gz", Threads: threads})
				if err == nil {
					_, err = digest(r)
					r.Close()
				}
				if !errors.Is(err, ErrFormat) || !strings.HasPrefix(err.Error(), "bad.vcf.gz") ||
					!strings.Contains(err.Error(), "truncated or corrupt BGZF data") || !strings.Contains(err.Error(), c.want) {
					t.Errorf("err = %v, want ErrFormat naming the file and %q", err, c.want)
				}
			})
		}
	}
	t.Logf("inflater: %s", bgzf.Implementation)
}
