package server_test

import (
	"encoding/binary"
	"fmt"
	"math"
)

// A Mapbox Vector Tile decoder (spec 2.1), just enough for the tests to read
// what a map library would: layers, features with their ids, attributes and
// vertices in tile units. Protocol buffers are read by hand, with no generated
// code: the tile format uses only varints, 64-bit doubles and length-prefixed
// fields.

type mvtTile map[string]*mvtLayer

type mvtLayer struct {
	Name     string
	Extent   int
	Features []mvtFeature
}

type mvtFeature struct {
	ID    uint64
	Type  int // 1 point, 2 line, 3 polygon
	Props map[string]any
	// Points are every vertex, in tile units (0..extent, with the buffer around).
	Points [][2]int
}

// decodeMVT decodes a whole tile.
func decodeMVT(b []byte) (mvtTile, error) {
	t := mvtTile{}
	err := fields(b, func(num int, wire int, v uint64, data []byte) error {
		if num != 3 || wire != 2 {
			return nil
		}
		l, err := decodeLayer(data)
		if err != nil {
			return err
		}
		if t[l.Name] != nil {
			return fmt.Errorf("layer %q twice", l.Name)
		}
		t[l.Name] = l
		return nil
	})
	return t, err
}

func decodeLayer(b []byte) (*mvtLayer, error) {
	l := &mvtLayer{Extent: 4096}
	var keys []string
	var values []any
	var raw [][]byte
	err := fields(b, func(num, wire int, v uint64, data []byte) error {
		switch num {
		case 1:
			l.Name = string(data)
		case 2:
			raw = append(raw, data)
		case 3:
			keys = append(keys, string(data))
		case 4:
			val, err := decodeValue(data)
			if err != nil {
				return err
			}
			values = append(values, val)
		case 5:
			l.Extent = int(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, data := range raw {
		f, err := decodeFeature(data, keys, values)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Name, err)
		}
		l.Features = append(l.Features, f)
	}
	return l, nil
}

func decodeValue(b []byte) (any, error) {
	var val any
	err := fields(b, func(num, wire int, v uint64, data []byte) error {
		switch num {
		case 1:
			val = string(data)
		case 2:
			val = float64(math.Float32frombits(uint32(v)))
		case 3:
			val = math.Float64frombits(v)
		case 4, 5:
			val = int64(v)
		case 6:
			val = int64(v>>1) ^ -int64(v&1)
		case 7:
			val = v != 0
		}
		return nil
	})
	return val, err
}

func decodeFeature(b []byte, keys []string, values []any) (mvtFeature, error) {
	f := mvtFeature{Props: map[string]any{}}
	var tags, geometry []uint64
	err := fields(b, func(num, wire int, v uint64, data []byte) error {
		var err error
		switch num {
		case 1:
			f.ID = v
		case 2:
			tags, err = packed(data)
		case 3:
			f.Type = int(v)
		case 4:
			geometry, err = packed(data)
		}
		return err
	})
	if err != nil {
		return f, err
	}
	for i := 0; i+1 < len(tags); i += 2 {
		if int(tags[i]) >= len(keys) || int(tags[i+1]) >= len(values) {
			return f, fmt.Errorf("feature %d: tag out of range", f.ID)
		}
		f.Props[keys[tags[i]]] = values[tags[i+1]]
	}
	// Commands: id in the low 3 bits, count above; parameters are zigzag deltas.
	var x, y int64
	for i := 0; i < len(geometry); {
		cmd, count := geometry[i]&7, int(geometry[i]>>3)
		i++
		if cmd == 7 { // ClosePath
			continue
		}
		for ; count > 0; count-- {
			if i+1 >= len(geometry) {
				return f, fmt.Errorf("feature %d: geometry cut short", f.ID)
			}
			x += zigzag(geometry[i])
			y += zigzag(geometry[i+1])
			i += 2
			f.Points = append(f.Points, [2]int{int(x), int(y)})
		}
	}
	return f, nil
}

func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// packed reads a packed repeated varint field.
func packed(b []byte) ([]uint64, error) {
	var out []uint64
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad packed varint")
		}
		out = append(out, v)
		b = b[n:]
	}
	return out, nil
}

// fields calls fn with each field of a protobuf message: its number, wire type
// and either its varint or fixed value (v) or its bytes (data).
func fields(b []byte, fn func(num, wire int, v uint64, data []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("bad field key")
		}
		b = b[n:]
		num, wire := int(key>>3), int(key&7)
		var v uint64
		var data []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return fmt.Errorf("field %d: bad varint", num)
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return fmt.Errorf("field %d: short fixed64", num)
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return fmt.Errorf("field %d: bad length", num)
			}
			data, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return fmt.Errorf("field %d: short fixed32", num)
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return fmt.Errorf("field %d: wire type %d", num, wire)
		}
		if err := fn(num, wire, v, data); err != nil {
			return err
		}
	}
	return nil
}

// tileLonLat converts a point in tile units of tile z/x/y back to WGS84.
func tileLonLat(z, x, y, extent int, p [2]int) (lon, lat float64) {
	n := float64(int(1) << z)
	fx := (float64(x) + float64(p[0])/float64(extent)) / n
	fy := (float64(y) + float64(p[1])/float64(extent)) / n
	lon = fx*360 - 180
	lat = math.Atan(math.Sinh(math.Pi*(1-2*fy))) * 180 / math.Pi
	return lon, lat
}

// tileOf returns the tile at zoom z holding lon/lat.
func tileOf(z int, lon, lat float64) (x, y int) {
	n := float64(int(1) << z)
	x = int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y = int((1 - math.Asinh(math.Tan(r))/math.Pi) / 2 * n)
	return x, y
}
