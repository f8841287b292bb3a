package crs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// SystemMember is the foreign member by which a GeoJSON text that civicmap
// writes says which system its positions are in. It is not "crs": GeoJSON
// 2008's crs member, which RFC 7946 removed, is an object that GDAL still
// reads, and no EPSG code names GCJ-02 or BD-09.
const SystemMember = "coordinateSystem"

// FromWGS84GeoJSON returns the GeoJSON text src, whose positions are WGS84,
// with them in c: every position of a "coordinates" member, and the "lon"
// and "lat" members of any object that has both (the seat of a township
// feature). A SystemMember member of src is set to c. Members keep their
// order; converted numbers have 6 decimals, as PostGIS writes them. src is
// returned as it is for WGS84.
func (c CRS) FromWGS84GeoJSON(src []byte) ([]byte, error) {
	if c == WGS84 {
		return src, nil
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	rw := rewriter{dec: dec, to: c}
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/8)
	if err := rw.value(&out); err != nil {
		return nil, fmt.Errorf("convert GeoJSON to %s: %w", c, err)
	}
	return out.Bytes(), nil
}

// rewriter copies JSON tokens from dec, converting positions to the system to.
type rewriter struct {
	dec *json.Decoder
	to  CRS
}

func (r *rewriter) value(out *bytes.Buffer) error {
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return r.object(out)
		}
		return r.array(out)
	case json.Number:
		out.WriteString(t.String())
	case string:
		b, _ := json.Marshal(t)
		out.Write(b)
	case bool:
		out.WriteString(strconv.FormatBool(t))
	case nil:
		out.WriteString("null")
	}
	return nil
}

func (r *rewriter) array(out *bytes.Buffer) error {
	out.WriteByte('[')
	for i := 0; r.dec.More(); i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := r.value(out); err != nil {
			return err
		}
	}
	out.WriteByte(']')
	_, err := r.dec.Token()
	return err
}

// member is one member of an object, its value already written.
type member struct {
	key   string
	value []byte
}

// object writes an object's members in their order, converting what
// FromWGS84GeoJSON says.
func (r *rewriter) object(out *bytes.Buffer) error {
	var members []member
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var v bytes.Buffer
		switch key {
		case "coordinates":
			err = r.coordinates(&v)
		case SystemMember:
			var ignored any
			err = r.dec.Decode(&ignored)
			v.WriteString(strconv.Quote(string(r.to)))
		default:
			err = r.value(&v)
		}
		if err != nil {
			return err
		}
		members = append(members, member{key, v.Bytes()})
	}
	if _, err := r.dec.Token(); err != nil {
		return err
	}
	r.seat(members)
	out.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(m.value)
	}
	out.WriteByte('}')
	return nil
}

// seat converts the lon and lat members of an object that has both as numbers.
func (r *rewriter) seat(members []member) {
	lonAt, latAt := -1, -1
	for i, m := range members {
		switch m.key {
		case "lon":
			lonAt = i
		case "lat":
			latAt = i
		}
	}
	if lonAt < 0 || latAt < 0 {
		return
	}
	lon, err1 := strconv.ParseFloat(string(members[lonAt].value), 64)
	lat, err2 := strconv.ParseFloat(string(members[latAt].value), 64)
	if err1 != nil || err2 != nil {
		return // null: no position
	}
	lon, lat = r.to.FromWGS84(lon, lat)
	members[lonAt].value = formatDegrees(lon)
	members[latAt].value = formatDegrees(lat)
}

// coordinates writes a "coordinates" value with each position converted.
func (r *rewriter) coordinates(out *bytes.Buffer) error {
	var v any
	if err := r.dec.Decode(&v); err != nil {
		return err
	}
	return r.positions(out, v)
}

// positions writes v, nested arrays whose innermost arrays are positions.
func (r *rewriter) positions(out *bytes.Buffer, v any) error {
	arr, ok := v.([]any)
	if !ok {
		return fmt.Errorf("coordinates: want arrays of positions, got %v", v)
	}
	if len(arr) > 0 {
		if _, isNumber := arr[0].(json.Number); isNumber {
			return r.position(out, arr)
		}
	}
	out.WriteByte('[')
	for i, item := range arr {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := r.positions(out, item); err != nil {
			return err
		}
	}
	out.WriteByte(']')
	return nil
}

// position writes one position [lon, lat, …] converted; other values (an
// altitude) are kept.
func (r *rewriter) position(out *bytes.Buffer, pos []any) error {
	nums := make([]float64, len(pos))
	for i, p := range pos {
		n, ok := p.(json.Number)
		if !ok {
			return fmt.Errorf("coordinates: a position holds numbers, got %v", pos)
		}
		f, err := n.Float64()
		if err != nil {
			return fmt.Errorf("coordinates: %w", err)
		}
		nums[i] = f
	}
	if len(nums) < 2 {
		return fmt.Errorf("coordinates: a position has at least 2 numbers, got %v", pos)
	}
	nums[0], nums[1] = r.to.FromWGS84(nums[0], nums[1])
	out.WriteByte('[')
	for i, f := range nums {
		if i > 0 {
			out.WriteByte(',')
		}
		if i < 2 {
			out.Write(formatDegrees(f))
		} else {
			out.WriteString(pos[i].(json.Number).String())
		}
	}
	out.WriteByte(']')
	return nil
}

// formatDegrees writes degrees with at most 6 decimals (about 0.1 m).
func formatDegrees(f float64) []byte {
	return strconv.AppendFloat(nil, math.Round(f*1e6)/1e6, 'f', -1, 64)
}
