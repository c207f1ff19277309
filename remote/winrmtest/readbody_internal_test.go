package winrmtest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadRequestBody: the body is read as io.ReadAll over a LimitReader
// would, whatever Content-Length claims.
func TestReadRequestBody(t *testing.T) {
	body := strings.Repeat("x", 3000)
	for _, tt := range []struct {
		name      string
		size, max int64
		want      int
	}{
		{"exact length", 3000, 10000, 3000},
		{"unknown length", -1, 10000, 3000},
		{"length says less", 10, 10000, 3000},
		{"length says more", 5000, 10000, 3000},
		{"over the limit", 3000, 1001, 1001},
		{"length at the limit", 1001, 1001, 1001},
		{"empty", 0, 10000, 3000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readRequestBody(strings.NewReader(body), tt.size, tt.max)
			if err != nil || string(got) != body[:tt.want] {
				t.Fatalf("read %d bytes, %v; want %d", len(got), err, tt.want)
			}
		})
	}
	boom := errors.New("boom")
	got, err := readRequestBody(io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(boom)), 3, 100)
	if string(got) != "abc" || !errors.Is(err, boom) {
		t.Fatalf("read %q, %v; want abc, boom", got, err)
	}
}
