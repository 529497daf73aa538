package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Scheduled backups are named crm-backup-<UTC time>.tar.gz, so their names sort by age.
const (
	scheduledPrefix = "crm-backup-"
	scheduledSuffix = ".tar.gz"
)

// ScheduledName is the file name of a scheduled backup taken at t.
func ScheduledName(t time.Time) string {
	return scheduledPrefix + t.UTC().Format("20060102T150405.000Z") + scheduledSuffix
}

// WriteFile writes a backup archive to path, readable by the owner only (it holds every
// tenant's data and the secret key file). It is written as path.partial and renamed when
// complete, so a crash never leaves a file that looks like a finished backup.
func WriteFile(ctx context.Context, path string, opt Options) (*Manifest, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	m, err := Create(ctx, f, opt)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return m, nil
}

// Rotate keeps the keep newest scheduled backups in dir and removes the older ones; keep 0
// keeps all. Other files in dir are never touched. It returns the removed paths.
func Rotate(dir string, keep int) ([]string, error) {
	if keep <= 0 {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, scheduledPrefix) && strings.HasSuffix(n, scheduledSuffix) {
			names = append(names, n)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	var removed []string
	for _, n := range names[min(keep, len(names)):] {
		p := filepath.Join(dir, n)
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("rotate: %w", err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}
