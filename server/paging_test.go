package server_test

import (
	"testing"
)

// TestPagingWalksEveryPlatformOnce follows endCursor through all platforms and
// the nested township lists, for several page sizes.
func TestPagingWalksEveryPlatformOnce(t *testing.T) {
	h := newHandler(t, nil)
	type page struct {
		Platforms struct {
			TotalCount int
			PageInfo   pageInfo
			Edges      []struct {
				Cursor string
				Node   struct{ ID string }
			}
		}
	}
	for _, first := range []int{1, 50, 206, 207, 500} {
		seen := map[string]bool{}
		var after *string
		for n := 0; ; n++ {
			var p page
			data(t, h, `query($first: Int, $after: String) { platforms(first: $first, after: $after) {
				totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } } } }`,
				map[string]any{"first": first, "after": after}, &p)
			c := p.Platforms
			if c.TotalCount != 207 {
				t.Fatalf("first=%d: totalCount %d, want 207 on every page", first, c.TotalCount)
			}
			if c.PageInfo.HasPreviousPage != (after != nil) {
				t.Errorf("first=%d page %d: hasPreviousPage %v", first, n, c.PageInfo.HasPreviousPage)
			}
			for _, e := range c.Edges {
				if seen[e.Node.ID] {
					t.Fatalf("first=%d: %s seen twice", first, e.Node.ID)
				}
				seen[e.Node.ID] = true
			}
			if !c.PageInfo.HasNextPage {
				break
			}
			if len(c.Edges) != first || *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
				t.Fatalf("first=%d: a full page ends with its last edge's cursor", first)
			}
			after = c.PageInfo.EndCursor
		}
		if len(seen) != 207 {
			t.Errorf("first=%d: walked %d platforms, want 207", first, len(seen))
		}
	}
}

// TestNestedPaging pages through one county's townships inside county.
func TestNestedPaging(t *testing.T) {
	h := newHandler(t, nil)
	var codes []string
	var after *string
	for {
		var d struct {
			County struct {
				Townships struct {
					TotalCount int
					PageInfo   struct {
						HasNextPage bool
						EndCursor   *string
					}
					Nodes []struct{ Code string }
				}
			}
		}
		data(t, h, `query($after: String) { county(code: "350425") {
			townships(first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { code } } } }`,
			map[string]any{"after": after}, &d)
		ts := d.County.Townships
		if ts.TotalCount != 18 {
			t.Fatalf("大田县 has 18 townships, totalCount says %d", ts.TotalCount)
		}
		for _, n := range ts.Nodes {
			if len(codes) > 0 && n.Code <= codes[len(codes)-1] {
				t.Fatalf("townships out of order: %s after %s", n.Code, codes[len(codes)-1])
			}
			codes = append(codes, n.Code)
		}
		if !ts.PageInfo.HasNextPage {
			break
		}
		after = ts.PageInfo.EndCursor
	}
	if len(codes) != 18 {
		t.Errorf("walked %d townships of 大田县, want 18", len(codes))
	}
}
