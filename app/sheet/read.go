// Package sheet reads and writes the spreadsheets users upload and download: CSV and the
// first worksheet of an XLSX workbook.
//
// Reading is for files from outside, so every bound comes from the caller (Limits) and a file
// that exceeds one is refused with a validation error on the form field "file" — never read
// without end. Writing neutralises cells that a spreadsheet program would take for a formula.
package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/smecrm/crm/app/problem"
)

// Formats of a sheet.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// Limits bound what Read accepts. Each must be positive: there are no defaults, because what
// is reasonable depends on what the caller does with the rows.
type Limits struct {
	// MaxFileBytes bounds the uploaded file.
	MaxFileBytes int64
	// MaxUnzipBytes bounds what an XLSX workbook unpacks to, any one part and all together
	// (excelize's UnzipSizeLimit). Worksheets larger than 16 MiB are unpacked into
	// temporary files rather than memory.
	MaxUnzipBytes int64
	// MaxRows bounds the rows below the header. Blank rows count (and so do blank rows above
	// the header), so that a file of empty rows is refused rather than walked to its end.
	MaxRows int
	// MaxColumns bounds the cells of a row, not counting empty cells at its end.
	MaxColumns int
	// MaxCellBytes bounds one cell's text, in bytes of UTF-8.
	MaxCellBytes int
}

func (l Limits) check() error {
	for _, v := range []struct {
		name string
		n    int64
	}{{"MaxFileBytes", l.MaxFileBytes}, {"MaxUnzipBytes", l.MaxUnzipBytes}, {"MaxRows", int64(l.MaxRows)},
		{"MaxColumns", int64(l.MaxColumns)}, {"MaxCellBytes", int64(l.MaxCellBytes)}} {
		if v.n <= 0 {
			return fmt.Errorf("sheet: Limits.%s is not set", v.name)
		}
	}
	return nil
}

// Row is one data row with its number as the user sees it (the header is row 1 when it is the
// first line). Empty cells at its end are dropped: a column beyond len(Cells) is empty.
type Row struct {
	Num   int
	Cells []string
}

// Sheet is a file as read: its format (CSV or XLSX), its header (the first non-blank row,
// cells trimmed) and its non-blank data rows.
type Sheet struct {
	Format string
	Header []string
	Rows   []Row
}

// xmlInMemory is the size above which excelize unpacks a worksheet or the shared strings into
// a temporary file instead of memory (excelize's own default, StreamChunkSize).
const xmlInMemory = 16 << 20

// Read reads a CSV or the first worksheet of an XLSX workbook. A CSV may be UTF-8 with or
// without BOM, or GB18030 as older Excel saves it; it may be separated by commas, semicolons
// or tabs (the first line decides). A cell that starts with an apostrophe before =, +, -, @,
// tab or CR is read without it: that is how Writer neutralised a formula-like value, so an
// export reads back as it was.
//
// Errors: validation_failed on field "file" with code invalid_format (not CSV or XLSX, .xls or
// .numbers, unreadable), empty (no header), too_large (the file or the unpacked workbook),
// too_many_rows, too_many_columns or too_long (a cell); a plain error when lim is incomplete.
func Read(name string, data []byte, lim Limits) (*Sheet, error) {
	return read(name, data, lim, false)
}

// ReadHeader is Read stopping after the header: Rows is empty. It checks a file's columns
// before the rows are worked on.
func ReadHeader(name string, data []byte, lim Limits) (*Sheet, error) {
	return read(name, data, lim, true)
}

var errBadFile = problem.Field("file", "invalid_format", "import.bad_file")

func read(name string, data []byte, lim Limits, headerOnly bool) (*Sheet, error) {
	if err := lim.check(); err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, problem.Field("file", "too_large", "import.file_too_large", lim.MaxFileBytes>>20)
	}
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".xls" || ext == ".numbers" {
		return nil, errBadFile
	}
	b := &builder{lim: lim, headerOnly: headerOnly}
	var err error
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		b.s.Format = XLSX
		err = readXLSX(data, b)
	} else {
		b.s.Format = CSV
		err = readCSV(data, b)
	}
	if err != nil {
		return nil, err
	}
	if b.s.Header == nil {
		return nil, problem.Field("file", "empty", "import.empty_file")
	}
	return &b.s, nil
}

// builder takes a file's records one by one and applies the limits.
type builder struct {
	lim        Limits
	headerOnly bool
	s          Sheet
	num        int
}

// errDone stops reading once the header is all that was wanted.
var errDone = errors.New("done")

// add takes the next record: the first non-blank one is the header, the others are data
// rows.
func (b *builder) add(rec []string) error {
	b.num++
	if b.num > b.lim.MaxRows+1 {
		return problem.Field("file", "too_many_rows", "import.too_many_rows", b.lim.MaxRows)
	}
	n := len(rec)
	for n > 0 && rec[n-1] == "" {
		n--
	}
	rec = rec[:n]
	if n > b.lim.MaxColumns {
		return problem.Field("file", "too_many_columns", "import.too_many_columns", b.lim.MaxColumns)
	}
	blank := true
	for i, c := range rec {
		if len(c) > b.lim.MaxCellBytes {
			return problem.Field("file", "too_long", "import.cell_too_long", b.num)
		}
		rec[i] = unescape(c)
		blank = blank && strings.TrimSpace(c) == ""
	}
	if blank {
		return nil
	}
	if b.s.Header == nil {
		b.s.Header = make([]string, n)
		for i, c := range rec {
			b.s.Header[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		}
		if b.headerOnly {
			return errDone
		}
		return nil
	}
	b.s.Rows = append(b.s.Rows, Row{Num: b.num, Cells: rec})
	return nil
}

func readCSV(data []byte, b *builder) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || !utf8.Valid(dec) {
			return errBadFile
		}
		data = dec
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return errBadFile // a binary file
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	if first, _, _ := bytes.Cut(data, []byte("\n")); !bytes.ContainsRune(first, ',') {
		if bytes.ContainsRune(first, '\t') {
			r.Comma = '\t'
		} else if bytes.ContainsRune(first, ';') {
			r.Comma = ';'
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errBadFile
		}
		if err := b.add(rec); err != nil {
			if err == errDone {
				return nil
			}
			return err
		}
	}
}

func readXLSX(data []byte, b *builder) error {
	// The central directory declares each part's unpacked size (archive/zip refuses a part
	// that inflates beyond it), so a workbook too large to unpack is refused here, before
	// anything is inflated. excelize checks the same limit again.
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return errBadFile
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(b.lim.MaxUnzipBytes) || total > uint64(b.lim.MaxUnzipBytes) {
			return problem.Field("file", "too_large", "import.unzipped_too_large", b.lim.MaxUnzipBytes>>20)
		}
	}
	opts := excelize.Options{RawCellValue: true, UnzipSizeLimit: b.lim.MaxUnzipBytes,
		UnzipXMLSizeLimit: min(b.lim.MaxUnzipBytes, xmlInMemory)}
	f, err := excelize.OpenReader(bytes.NewReader(data), opts)
	if err != nil {
		return errBadFile
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return errBadFile
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := rows.Columns(opts)
		if err != nil {
			return errBadFile
		}
		if err := b.add(rec); err != nil {
			if err == errDone {
				return nil
			}
			return err
		}
	}
	if rows.Error() != nil {
		return errBadFile
	}
	return nil
}
