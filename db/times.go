package db

import (
	"time"

	"civicmap/errcode"
)

// EarliestTime is the floor of every date and time the directory takes: the
// first plenary session of the CPPCC, 21 September 1949 (Beijing time). No
// platform, and no record of one, can be older; a time before it is a typo or
// a zero value (0001-01-01, 1900-01-01) that a sync client would take for
// real history.
var EarliestTime = time.Date(1949, 9, 21, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// ClockSkew is how far in the future a time may lie: a writer's clock running
// a little ahead of the server's. A time later than that has not happened, and
// an updatedAt in 2999 would make every later change look older to a client
// that syncs by updatedAt.
const ClockSkew = 5 * time.Minute

// CheckTime refuses a time before EarliestTime or after now plus ClockSkew,
// with BAD_USER_INPUT naming field.
func CheckTime(field string, t, now time.Time) error {
	switch {
	case t.Before(EarliestTime):
		return errcode.Invalid(field, "%s is before %s, the founding of the CPPCC: no platform or record is older",
			t.Format(time.RFC3339), EarliestTime.Format("2006-01-02"))
	case t.After(now.Add(ClockSkew)):
		return errcode.Invalid(field, "%s is in the future (now is %s): give a time that has happened",
			t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
