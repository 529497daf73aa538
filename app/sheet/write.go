package sheet

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// formulaStart reports whether a spreadsheet program could take a cell starting with c for a
// formula (OWASP, CSV injection): =, +, -, @, tab and carriage return.
func formulaStart(c byte) bool {
	return strings.IndexByte("=+-@\t\r", c) >= 0
}

// neutralise puts an apostrophe before a cell that starts like a formula, so that Excel,
// LibreOffice and Numbers show it as text instead of evaluating it.
func neutralise(s string) string {
	if s != "" && formulaStart(s[0]) {
		return "'" + s
	}
	return s
}

// unescape undoes neutralise for a cell read back.
func unescape(s string) string {
	if len(s) >= 2 && s[0] == '\'' && formulaStart(s[1]) {
		return s[1:]
	}
	return s
}

// Writer writes rows of text as a CSV (UTF-8 with BOM, which Excel needs to show Chinese) or
// as one worksheet of an XLSX workbook through excelize's StreamWriter, which keeps memory flat
// for large exports; the file goes to an io.Writer as it is made (CSV) or when it is closed
// (XLSX, whose worksheet excelize keeps in a temporary file once it grows). Every cell is text, so phone numbers and codes keep their digits, and a
// cell that starts like a formula (=, +, -, @, tab, CR) gets a leading apostrophe in both
// formats (Read removes it again).
type Writer struct {
	out    io.Writer
	buf    *bufio.Writer
	csv    *csv.Writer
	xlsx   *excelize.File
	stream *excelize.StreamWriter
	n      int
}

// NewWriter starts a file of format (CSV or XLSX) with its header row (bold in XLSX).
// sheetName names the worksheet of an XLSX file.
func NewWriter(out io.Writer, format, sheetName string, header []string) (*Writer, error) {
	w := &Writer{out: out}
	switch format {
	case CSV:
		w.buf = bufio.NewWriter(out)
		if _, err := w.buf.WriteString("\ufeff"); err != nil {
			return nil, err
		}
		w.csv = csv.NewWriter(w.buf)
		return w, w.Row(header)
	case XLSX:
		w.xlsx = excelize.NewFile()
		if err := w.xlsx.SetSheetName("Sheet1", sheetName); err != nil {
			return nil, err
		}
		sw, err := w.xlsx.NewStreamWriter(sheetName)
		if err != nil {
			return nil, err
		}
		w.stream = sw
		bold, err := w.xlsx.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		if err != nil {
			return nil, err
		}
		cells := make([]any, len(header))
		for i, h := range header {
			cells[i] = excelize.Cell{StyleID: bold, Value: neutralise(h)}
		}
		return w, w.xlsxRow(cells)
	}
	return nil, fmt.Errorf("sheet: unknown format %q", format)
}

// Row writes one row.
func (w *Writer) Row(values []string) error {
	if w.csv != nil {
		out := make([]string, len(values))
		for i, v := range values {
			out[i] = neutralise(v)
		}
		return w.csv.Write(out)
	}
	cells := make([]any, len(values))
	for i, v := range values {
		cells[i] = neutralise(v)
	}
	return w.xlsxRow(cells)
}

func (w *Writer) xlsxRow(cells []any) error {
	w.n++
	cell, err := excelize.CoordinatesToCellName(1, w.n)
	if err != nil {
		return err
	}
	return w.stream.SetRow(cell, cells)
}

// Close finishes the file; the Writer is done.
func (w *Writer) Close() error {
	if w.csv != nil {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
		return w.buf.Flush()
	}
	if err := w.stream.Flush(); err != nil {
		return err
	}
	if _, err := w.xlsx.WriteTo(w.out); err != nil {
		return err
	}
	if err := w.xlsx.Close(); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	return nil
}
