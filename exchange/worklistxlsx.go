package exchange

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// worklistSheet names the one sheet of the workbook.
const worklistSheet = "uncovered"

// WriteXLSX writes the worklist as an Excel workbook of one sheet laid out as
// the CSV is: the definition in the first row (merged across the columns and
// wrapped), the column names in bold in the second, frozen, then the
// townships, with numbers as numbers.
func (wl Worklist) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := fillWorklist(f, wl); err != nil {
		return fmt.Errorf("write worklist workbook: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write worklist workbook: %w", err)
	}
	return nil
}

// fillWorklist lays the worklist out on the workbook's first sheet.
func fillWorklist(f *excelize.File, wl Worklist) error {
	if err := f.SetSheetName("Sheet1", worklistSheet); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(len(worklistHeader), 1)
	if err != nil {
		return err
	}
	if err := titleRow(f, wl.Definition, last); err != nil {
		return err
	}
	if err := headerRow(f); err != nil {
		return err
	}
	for i, r := range wl.Rows {
		if err := f.SetSheetRow(worklistSheet, fmt.Sprintf("A%d", i+3), r.values()); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(worklistSheet, "B", "L", 16); err != nil {
		return err
	}
	return f.SetPanes(worklistSheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"})
}

// titleRow puts the definition in A1, merged to the last column and wrapped.
func titleRow(f *excelize.File, definition, lastCell string) error {
	if err := f.SetSheetRow(worklistSheet, "A1", &[]any{definition}); err != nil {
		return err
	}
	if err := f.MergeCell(worklistSheet, "A1", lastCell); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(worklistSheet, "A1", lastCell, wrap); err != nil {
		return err
	}
	return f.SetRowHeight(worklistSheet, 1, 75)
}

// headerRow puts the column names in bold in the second row.
func headerRow(f *excelize.File) error {
	header := make([]any, len(worklistHeader))
	for i, h := range worklistHeader {
		header[i] = h
	}
	if err := f.SetSheetRow(worklistSheet, "A2", &header); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	return f.SetRowStyle(worklistSheet, 2, 2, bold)
}

// values returns the row's cells for a spreadsheet: numbers as numbers, an
// absent value as an empty cell.
func (r WorklistRow) values() *[]any {
	v := []any{r.Rank, r.TownshipCode, r.TownshipName, r.CountyCode, r.CountyName, optionalNumber(r.Lon),
		optionalNumber(r.Lat), string(r.CoordinateSystem), r.PlatformID, r.PlatformName, string(r.PlatformKind),
		optionalNumber(r.DistanceMetres)}
	return &v
}

// optionalNumber is *f, or nil (an empty cell) when f is nil.
func optionalNumber(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
