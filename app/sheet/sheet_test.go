package sheet_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/sheet"
)

// roomy are limits no test file reaches unless it means to.
var roomy = sheet.Limits{MaxFileBytes: 10 << 20, MaxUnzipBytes: 10 << 20, MaxRows: 1000, MaxColumns: 100, MaxCellBytes: 1000}

// fileError is the code of the validation error on field "file", or why err is not one.
func fileError(err error) string {
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != problem.Invalid || len(pe.Fields) != 1 || pe.Fields[0].Field != "file" {
		return fmt.Sprintf("not a file error: %v", err)
	}
	return pe.Fields[0].Code
}

func xlsx(t testing.TB, rows map[int][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for n, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustRead(t *testing.T, name string, data []byte, lim sheet.Limits) *sheet.Sheet {
	t.Helper()
	s, err := sheet.Read(name, data, lim)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return s
}

func rowsOf(s *sheet.Sheet) string {
	var parts []string
	for _, r := range s.Rows {
		parts = append(parts, fmt.Sprintf("%d:%s", r.Num, strings.Join(r.Cells, "|")))
	}
	return strings.Join(parts, " ")
}

func TestReadCSVEncodings(t *testing.T) {
	text := "客户名称,电话\n深圳华强电子有限公司,13800138000\n張三,+86 139\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(gb, "客户") {
		t.Fatal("GB18030 text equals UTF-8")
	}
	for name, data := range map[string]string{"utf-8": text, "utf-8 with BOM": "\ufeff" + text, "gb18030": gb} {
		t.Run(name, func(t *testing.T) {
			s := mustRead(t, "c.csv", []byte(data), roomy)
			if s.Format != sheet.CSV || strings.Join(s.Header, "|") != "客户名称|电话" {
				t.Errorf("format %q header %q", s.Format, s.Header)
			}
			if got := rowsOf(s); got != "2:深圳华强电子有限公司|13800138000 3:張三|+86 139" {
				t.Errorf("rows %q", got)
			}
		})
	}
	// A binary file is refused as unreadable.
	if _, err := sheet.Read("c.csv", []byte("a,b\n\x00\x01"), roomy); fileError(err) != "invalid_format" {
		t.Errorf("binary: %v", err)
	}
}

func TestReadCSVSeparators(t *testing.T) {
	for name, data := range map[string]string{
		"comma":     "name,phone,city\n\"A; B\",1,深圳\n",
		"semicolon": "name;phone;city\n\"A; B\";1;深圳\n",
		"tab":       "name\tphone\tcity\n\"A; B\"\t1\t深圳\n",
		// The first line decides: a comma there wins over tabs and semicolons further on.
		"comma first": "name,phone,city\nA; B,1,深圳\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := mustRead(t, "c.csv", []byte(data), roomy)
			if strings.Join(s.Header, "|") != "name|phone|city" || rowsOf(s) != "2:A; B|1|深圳" {
				t.Errorf("header %q rows %q", s.Header, rowsOf(s))
			}
		})
	}
}

// Blank rows are skipped but keep their numbers, as the user sees them; empty cells at the end
// of a row are dropped; the header is trimmed.
func TestReadRowNumbers(t *testing.T) {
	data := ",,\n  name , phone ,\n,,\nA,1,\n\nB,,\n"
	s := mustRead(t, "c.csv", []byte(data), roomy)
	if strings.Join(s.Header, "|") != "name|phone" {
		t.Errorf("header %q", s.Header)
	}
	// The CSV reader skips empty lines altogether; ",," is a blank row and is counted.
	if got := rowsOf(s); got != "4:A|1 5:B" {
		t.Errorf("rows %q", got)
	}
	x := mustRead(t, "c.xlsx", xlsx(t, map[int][]any{2: {"name", "phone"}, 3: {"A", 1}, 6: {"B", "2"}}), roomy)
	if x.Format != sheet.XLSX || strings.Join(x.Header, "|") != "name|phone" || rowsOf(x) != "3:A|1 6:B|2" {
		t.Errorf("xlsx: %q %q %q", x.Format, x.Header, rowsOf(x))
	}
	h, err := sheet.ReadHeader("c.csv", []byte(data), roomy)
	if err != nil || strings.Join(h.Header, "|") != "name|phone" || len(h.Rows) != 0 {
		t.Errorf("ReadHeader: %v %+v", err, h)
	}
}

func TestReadLimits(t *testing.T) {
	lim := sheet.Limits{MaxFileBytes: 1 << 20, MaxUnzipBytes: 1 << 20, MaxRows: 3, MaxColumns: 3, MaxCellBytes: 6}
	small := lim
	small.MaxFileBytes = 20
	for _, tc := range []struct {
		name string
		file string
		data []byte
		lim  sheet.Limits
		want string // "" reads
	}{
		{"rows at the limit", "c.csv", []byte("h\n1\n2\n3\n"), lim, ""},
		{"a row too many", "c.csv", []byte("h\n1\n2\n3\n4\n"), lim, "too_many_rows"},
		{"blank rows count", "c.csv", []byte("h\n1\n ,\n,\n2\n"), lim, "too_many_rows"},
		{"blank rows above the header count", "c.csv", []byte(",\n,\n,\nh\n1\n"), lim, "too_many_rows"},
		{"xlsx rows at the limit", "c.xlsx", xlsx(t, map[int][]any{1: {"h"}, 4: {"3"}}), lim, ""},
		{"xlsx empty rows count", "c.xlsx", xlsx(t, map[int][]any{1: {"h"}, 5000: {"x"}}), lim, "too_many_rows"},
		{"columns at the limit", "c.csv", []byte("a,b,c,,,\n1,2,3,,\n"), lim, ""},
		{"a column too many", "c.csv", []byte("a,b,c\n1,2,3,4\n"), lim, "too_many_columns"},
		{"xlsx column too many", "c.xlsx", xlsx(t, map[int][]any{1: {"a", "b", "c"}, 2: {nil, nil, nil, "x"}}), lim, "too_many_columns"},
		{"cell at the limit", "c.csv", []byte("h\n深圳\n"), lim, ""},
		{"cell too long", "c.csv", []byte("h\n深圳a\n"), lim, "too_long"},
		{"xlsx cell too long", "c.xlsx", xlsx(t, map[int][]any{1: {"h"}, 2: {"1234567"}}), lim, "too_long"},
		{"file at the limit", "c.csv", []byte("h\n12345\n123456\n12345"), small, ""},
		{"file too large", "c.csv", []byte("h\n12345\n123456\n123456"), small, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sheet.Read(tc.file, tc.data, tc.lim)
			if tc.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
			} else if got := fileError(err); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	// Limits are the caller's: none may be left out.
	for _, l := range []sheet.Limits{{}, {MaxFileBytes: 1, MaxUnzipBytes: 1, MaxRows: 1, MaxColumns: 1}} {
		var pe *problem.Error
		if _, err := sheet.Read("c.csv", []byte("h\n"), l); err == nil || errors.As(err, &pe) {
			t.Errorf("incomplete limits %+v: %v", l, err)
		}
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"legacy excel", "c.xls", []byte("h\n1\n"), "invalid_format"},
		{"numbers", "c.numbers", []byte("h\n1\n"), "invalid_format"},
		{"broken zip", "c.xlsx", []byte("PK\x03\x04 not really"), "invalid_format"},
		{"no header", "c.csv", []byte(",,\n \n"), "empty"},
		{"empty", "c.csv", nil, "empty"},
	} {
		if _, err := sheet.Read(tc.file, tc.data, roomy); fileError(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
}

// unzipped is what a workbook's parts unpack to.
func unzipped(t *testing.T, data []byte) int64 {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range zr.File {
		n += int64(f.UncompressedSize64)
	}
	return n
}

// A workbook is read only when it unpacks within MaxUnzipBytes, all parts together.
func TestReadXLSXUnzipLimit(t *testing.T) {
	data := xlsx(t, map[int][]any{1: {"name"}, 2: {"A"}})
	size := unzipped(t, data)
	lim := roomy
	lim.MaxUnzipBytes = size
	if s, err := sheet.Read("c.xlsx", data, lim); err != nil || rowsOf(s) != "2:A" {
		t.Fatalf("within the limit: %v", err)
	}
	lim.MaxUnzipBytes = size - 1
	if _, err := sheet.Read("c.xlsx", data, lim); fileError(err) != "too_large" {
		t.Errorf("one byte over: %v", err)
	}
}

// bombXLSX is a small workbook whose worksheet part unpacks to about size bytes.
func bombXLSX(t *testing.T, size int) []byte {
	src := xlsx(t, map[int][]any{1: {"name"}})
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != "xl/worksheets/sheet1.xml" {
			r, _ := f.Open()
			io.Copy(w, r)
			r.Close()
			continue
		}
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		row := []byte(`<row><c t="inlineStr"><is><t>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</t></is></c></row>`)
		block := bytes.Repeat(row, 1<<20/len(row))
		for n := 0; n < size; n += len(block) {
			w.Write(block)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A workbook whose worksheet unpacks beyond the limit is refused before it is inflated: fast,
// and with memory far below the part's size.
func TestReadXLSXRefusesHugePart(t *testing.T) {
	const part = 64 << 20
	data := bombXLSX(t, part)
	if len(data) > 2<<20 {
		t.Fatalf("the test workbook is %d bytes; it should compress well", len(data))
	}
	lim := roomy
	lim.MaxFileBytes, lim.MaxUnzipBytes = 4<<20, 8<<20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := sheet.Read("bomb.xlsx", data, lim)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if fileError(err) != "too_large" {
		t.Fatalf("huge part: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("refusing took %d bytes of allocation", alloc)
	}
	if took > 2*time.Second {
		t.Errorf("refusing took %v", took)
	}
}

// Cells that start like a formula are written with a leading apostrophe in CSV and XLSX, and
// read back without it.
func TestWriterNeutralisesFormulas(t *testing.T) {
	header := []string{"=HYPERLINK(\"http://x\")", "电话", "c", "d", "e", "f", "g", "h", "i"}
	row := []string{"=1+1", "+86 138 0013 8000", "-5", "@SUM(A1)", "\tx", "\rx", "a=b", "", "'plain"}
	wantRow := []string{"'=1+1", "'+86 138 0013 8000", "'-5", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "", "'plain"}
	for _, format := range []string{sheet.CSV, sheet.XLSX} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			w, err := sheet.NewWriter(&out, format, "客户", header)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Row(row); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			data := out.Bytes()
			var got [][]string
			if format == sheet.CSV {
				if !bytes.HasPrefix(data, []byte("\ufeff")) {
					t.Error("CSV without BOM")
				}
				if got, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll(); err != nil {
					t.Fatal(err)
				}
			} else {
				f, err := excelize.OpenReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if l := f.GetSheetList(); len(l) != 1 || l[0] != "客户" {
					t.Errorf("sheets %q", l)
				}
				if got, err = f.GetRows("客户"); err != nil {
					t.Fatal(err)
				}
				for len(got[1]) < len(wantRow) {
					got[1] = append(got[1], "") // GetRows drops empty cells at the end
				}
				if f, _ := f.GetCellFormula("客户", "A2"); f != "" {
					t.Errorf("A2 is a formula: %q", f)
				}
			}
			if len(got) != 2 || got[0][0] != "'"+header[0] || got[0][1] != "电话" {
				t.Fatalf("header: %q", got)
			}
			if strings.Join(got[1], "|") != strings.Join(wantRow, "|") {
				t.Errorf("row %q, want %q", got[1], wantRow)
			}
			s := mustRead(t, "out."+format, data, roomy)
			back := append(append([]string{}, s.Rows[0].Cells...), make([]string, len(row)-len(s.Rows[0].Cells))...)
			if s.Header[0] != header[0] || strings.Join(back, "|") != strings.Join(row, "|") {
				t.Errorf("read back %q %q, want %q", s.Header[0], back, row)
			}
		})
	}
}
