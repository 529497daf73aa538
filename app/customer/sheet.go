package customer

// SheetRow is one data row of an uploaded sheet with its number as the user sees it (the
// header is row 1 when it is the first line).
type SheetRow struct {
	Num   int
	Cells []string
}

// ReadSheet reads an uploaded CSV or XLSX file exactly as the customer import does — UTF-8
// with or without BOM or GB18030, comma, tab or semicolon separated, the first sheet of a
// workbook, blank rows skipped, at most MaxImportRows rows — and returns its header and data
// rows, so other imports (leads) read files the same way. Errors are validation_failed on
// field "file".
func ReadSheet(name string, data []byte) ([]string, []SheetRow, error) {
	t, err := readTable(name, data, false)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]SheetRow, len(t.rows))
	for i, r := range t.rows {
		rows[i] = SheetRow{Num: r.num, Cells: r.cells}
	}
	return t.header, rows, nil
}
