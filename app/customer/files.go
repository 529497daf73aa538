package customer

import (
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/sheet"
)

// importFile is an uploaded import file, kept until its run finishes so that the run
// survives restarts.
type importFile struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	JobID     uuid.UUID `gorm:"primaryKey"`
	Name      string
	Size      int64
	Data      []byte
	CreatedAt time.Time
}

func (importFile) TableName() string { return "import_files" }

// importLimits bound an uploaded import file as app/sheet reads it.
var importLimits = sheet.Limits{MaxFileBytes: MaxImportFileSize, MaxUnzipBytes: MaxImportUnzipBytes,
	MaxRows: MaxImportRows, MaxColumns: MaxImportColumns, MaxCellBytes: MaxImportCellBytes}
