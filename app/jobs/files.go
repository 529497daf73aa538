package jobs

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// File is the upload a run was started with (an import's spreadsheet), kept until the run
// finishes so that the run survives restarts and retries. It goes with its run (ON DELETE
// CASCADE).
type File struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	JobID     uuid.UUID `gorm:"primaryKey"`
	Name      string
	Size      int64
	Data      []byte
	CreatedAt time.Time
}

func (File) TableName() string { return "import_files" }

// AttachFile keeps data as run's file, in the transaction that creates the run.
func AttachFile(tx *gorm.DB, run uuid.UUID, name string, data []byte, now time.Time) error {
	return tx.Create(&File{JobID: run, Name: name, Size: int64(len(data)), Data: data, CreatedAt: now.UTC()}).Error
}

// RunFile reads run's file (gorm.ErrRecordNotFound when there is none).
func RunFile(tx *gorm.DB, run uuid.UUID) (*File, error) {
	var f File
	if err := tx.Take(&f, "job_id = ?", run).Error; err != nil {
		return nil, err
	}
	return &f, nil
}

// DropFile removes run's file once the run has finished with it.
func DropFile(tx *gorm.DB, run uuid.UUID) error {
	return tx.Where("job_id = ?", run).Delete(&File{}).Error
}
