package resolvers

import "civicmap/db"

// nearestPlatforms' limit: DefaultNearest when not given (the schema's default,
// also when null is passed), at most 100. The server prices the list by it.
const (
	DefaultNearest = 5
	maxNearest     = 100
)

// placeMessage says in a sentence where a place is and how sure that is: a
// derived township cell only approximates the township.
func placeMessage(p db.Place) string {
	switch {
	case p.Township != nil:
		msg := "in " + p.Township.Name
		if p.County != nil {
			msg += ", " + p.County.Name
		}
		if q := p.Township.BoundaryQuality; q != nil && *q == db.BoundaryOfficial {
			return msg + " — by its OFFICIAL boundary"
		}
		return msg + " — by its APPROXIMATE cell: near the edge the real township may be a neighbour"
	case p.County != nil:
		return "in " + p.County.Name + "; no township cell covers this point"
	case len(p.Nearest) == 0:
		return "outside Sanming: no county or township here, and no ACTIVE platform has a known position"
	}
	return "outside Sanming: no county or township here; nearest platforms are listed"
}
