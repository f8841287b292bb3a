package scalar

import (
	"bytes"
	"math"
	"testing"
)

func TestMarshalFloat(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{1427241.79961753, "1427241.79961753"},
		{0.1, "0.1"},
		{-117.12142433782154, "-117.12142433782154"},
		{0, "0"},
		{2e21, "2000000000000000000000"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		MarshalFloat(c.in).MarshalGQL(&b)
		if b.String() != c.want {
			t.Errorf("MarshalFloat(%v) = %s, want %s", c.in, b.String(), c.want)
		}
	}
}
