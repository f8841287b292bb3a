package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"civicmap/db"
	"civicmap/errcode"
	"civicmap/exchange"
	"civicmap/resolvers"
)

// cursorHeader carries an export's change feed cursor: changes(after:) with
// it returns exactly the changes the export does not hold.
const cursorHeader = "X-Civicmap-Cursor"

// exportPlatforms streams every live platform as /export/platforms.ndjson,
// .csv or .geojson, read from one snapshot, with the snapshot's cursor in
// cursorHeader and in the body (exchange.NewWriter says where). Exports are
// public like every read.
func (s *Server) exportPlatforms(w http.ResponseWriter, r *http.Request) {
	format, ok := strings.CutPrefix(r.PathValue("file"), "platforms.")
	mediaType, known := exchange.MediaType(format)
	if !ok || !known {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "exports are /export/platforms.ndjson, .csv, .geojson and .shp.zip, and /export/uncovered.csv and .xlsx"})
		return
	}
	c, err := crsParam(r.URL.Query(), nil)
	if err != nil {
		s.writeError(w, r, "export "+format, err)
		return
	}
	if r.Method == http.MethodHead {
		exportHead(w, mediaType, format)
		return
	}
	select {
	case s.exports <- struct{}{}:
		defer func() { <-s.exports }()
	default:
		if o := outcomeOf(r.Context()); o != nil {
			o.rejected = true
		}
		w.Header().Set("Retry-After", "10")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"code": string(errcode.ServiceUnavailable),
			"error": fmt.Sprintf("%d exports are streaming, the most at once: try again in a moment", cap(s.exports))})
		return
	}
	ctx := db.WithHeavy(r.Context())
	// The body goes through dw, which bounds each write and tells whether the
	// status is sent.
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{}) // the deadline would outlive the request on a kept-alive connection
	dw := &deadlineWriter{w: w, rc: rc, timeout: s.cfg.ExportWriteTimeout}
	var out exchange.Writer
	err = s.db.ExportPlatforms(ctx, func(seq int64) error {
		cursor := resolvers.ChangeCursor(seq)
		w.Header().Set("Content-Type", mediaType)
		w.Header().Set(cursorHeader, cursor)
		w.Header().Set("Content-Disposition", `attachment; filename="platforms.`+format+`"`)
		var err error
		out, err = exchange.NewWriter(format, dw, cursor, c)
		return err
	}, func(p *db.ExportedPlatform) error { return out.Write(p) })
	if err == nil {
		err = out.Close()
	}
	if err == nil {
		return
	}
	if dw.wrote {
		// The status is sent: abort the connection so that no client, not
		// even a CSV reader, takes a cut export for a whole one.
		s.log.ErrorContext(r.Context(), "export failed after its first row", "format", format, "err", err)
		panic(http.ErrAbortHandler)
	}
	// Nothing is sent: the error answers instead of the export.
	w.Header().Del(cursorHeader)
	w.Header().Del("Content-Disposition")
	s.writeError(w, r, "export "+format, err)
}

// exportHead answers a HEAD of an export without running it: an export is
// streamed from a snapshot, so its length is not known before it is written,
// and it is not kept, so it has no ranges. The cursor belongs to the snapshot
// a GET reads, and is not sent either.
func exportHead(w http.ResponseWriter, mediaType, format string) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Disposition", `attachment; filename="platforms.`+format+`"`)
	h.Set("Accept-Ranges", "none")
	w.WriteHeader(http.StatusOK)
}

// deadlineWriter writes an export's body, each write due within timeout: a
// client that stops reading fails the write, which ends the export and its
// transaction. wrote is set by the first write, which sends the status.
type deadlineWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	wrote   bool
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	// A writer without deadlines (httptest's recorder) is written without one.
	if err := d.rc.SetWriteDeadline(time.Now().Add(d.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	d.wrote = true
	return d.w.Write(p)
}
