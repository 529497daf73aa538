package customer

import "github.com/smecrm/crm/app/sheet"

// importLimits bound an uploaded import file as app/sheet reads it.
var importLimits = sheet.Limits{MaxFileBytes: MaxImportFileSize, MaxUnzipBytes: MaxImportUnzipBytes,
	MaxRows: MaxImportRows, MaxColumns: MaxImportColumns, MaxCellBytes: MaxImportCellBytes}
