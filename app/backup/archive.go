// Package backup writes and restores whole-installation backups: a consistent snapshot of the
// database (SQLite: VACUUM INTO on the live file; PostgreSQL: pg_dump in the custom format,
// inside one exported snapshot) plus the files folders, in one tar.gz archive whose last
// member, manifest.json, lists every other member with its size and SHA-256 and the row count
// of every table. A restore extracts into a staging folder, refuses the archive when a member
// is missing, extra, truncated or altered, restores beside the live data, checks the row
// counts, and only then switches.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// FormatVersion is the archive layout's version; a restore refuses layouts it does not know.
const FormatVersion = 1

// Member names inside the archive.
const (
	ManifestName   = "manifest.json"
	sqliteMember   = "database/crm.db"
	postgresMember = "database/crm.pgdump"
	filesPrefix    = "files/"
)

// ErrDamaged wraps every reason an archive is refused: a checksum or size mismatch, a
// truncated stream, a member the manifest does not list or one it lists that is missing.
var ErrDamaged = errors.New("backup archive is damaged")

// Manifest describes one archive.
type Manifest struct {
	Format    int       `json:"format"`
	Version   string    `json:"version"` // the server build that wrote it
	Dialect   string    `json:"dialect"` // sqlite or postgres
	CreatedAt time.Time `json:"created_at"`
	// SchemaVersion is the last applied migration (goose), so a restore can tell an older
	// schema (migrated forward after the restore) from a newer one (refused).
	SchemaVersion int64 `json:"schema_version"`
	// Tables holds the row count of every table at the snapshot.
	Tables map[string]int64 `json:"tables"`
	// FileRoots names the folders backed up under files/<root>/.
	FileRoots []string `json:"file_roots"`
	Members   []Member `json:"members"`
}

// Member is one file of the archive.
type Member struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// archiveWriter streams members into a tar.gz and records their checksums for the manifest.
type archiveWriter struct {
	gz      *gzip.Writer
	tw      *tar.Writer
	members []Member
}

func newArchiveWriter(w io.Writer) *archiveWriter {
	gz := gzip.NewWriter(w)
	return &archiveWriter{gz: gz, tw: tar.NewWriter(gz)}
}

// addFile copies the file at src into the archive as name.
func (a *archiveWriter) addFile(name, src string, mode fs.FileMode, modTime time.Time) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: int64(mode.Perm()), Size: fi.Size(), ModTime: modTime.UTC(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	h := sha256.New()
	// Exactly Size bytes: a file that grows while it is read (a log, say) would otherwise break
	// the tar stream; one that shrinks fails here rather than writing a short member.
	n, err := io.Copy(io.MultiWriter(a.tw, h), io.LimitReader(f, fi.Size()))
	if err != nil {
		return fmt.Errorf("archive %s: %w", src, err)
	}
	if n != fi.Size() {
		return fmt.Errorf("archive %s: it shrank while being read", src)
	}
	a.members = append(a.members, Member{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// addTree archives every regular file under dir as files/<root>/<relative path>, skipping the
// paths skip reports (the live database, the backups folder).
func (a *archiveWriter) addTree(root, dir string, skip func(path string) bool) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip(p) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // folders are implied by their files; sockets and links are not data
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return a.addFile(filesPrefix+root+"/"+filepath.ToSlash(rel), p, fi.Mode(), fi.ModTime())
	})
}

// finish writes the manifest as the last member and closes the streams.
func (a *archiveWriter) finish(m *Manifest) error {
	sort.Slice(a.members, func(i, j int) bool { return a.members[i].Name < a.members[j].Name })
	m.Members = a.members
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := a.tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(b)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	if _, err := a.tw.Write(b); err != nil {
		return err
	}
	if err := a.tw.Close(); err != nil {
		return err
	}
	return a.gz.Close()
}

// Extracted is an archive unpacked into a staging folder and checked against its manifest.
type Extracted struct {
	Dir      string
	Manifest Manifest
}

// Path is where member name was extracted.
func (e *Extracted) Path(name string) string { return filepath.Join(e.Dir, filepath.FromSlash(name)) }

// DatabasePath is the extracted database member.
func (e *Extracted) DatabasePath() string {
	if e.Manifest.Dialect == "postgres" {
		return e.Path(postgresMember)
	}
	return e.Path(sqliteMember)
}

// Extract unpacks the archive at src into dir (which must be empty or missing) and checks it:
// every member the manifest lists is present with its size and SHA-256, and nothing else is.
// Any mismatch, a truncated or corrupt stream, or an unsafe member name returns an error
// wrapping ErrDamaged; nothing outside dir is written.
func Extract(src, dir string) (*Extracted, error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrDamaged, src, fmt.Sprintf(format, args...))
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, damaged("not a gzip stream: %v", err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]Member{}
	var manifest *Manifest
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, damaged("%v", err)
		}
		if manifest != nil {
			return nil, damaged("member %q after the manifest", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg || !filepath.IsLocal(filepath.FromSlash(hdr.Name)) || path.Clean(hdr.Name) != hdr.Name {
			return nil, damaged("unexpected member %q", hdr.Name)
		}
		if hdr.Name == ManifestName {
			var m Manifest
			if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&m); err != nil {
				return nil, damaged("manifest: %v", err)
			}
			manifest = &m
			continue
		}
		if _, dup := seen[hdr.Name]; dup {
			return nil, damaged("member %q twice", hdr.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(hdr.Mode).Perm()|0o600)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(out, h), tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, damaged("member %q: %v", hdr.Name, err)
		}
		_ = os.Chtimes(dst, hdr.ModTime, hdr.ModTime)
		seen[hdr.Name] = Member{Name: hdr.Name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	}
	// The gzip trailer's CRC and length are checked once the stream is read to its end.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, damaged("%v", err)
	}
	if manifest == nil {
		return nil, damaged("no manifest (the archive is truncated or not a backup)")
	}
	if manifest.Format != FormatVersion {
		return nil, fmt.Errorf("backup archive format %d is not supported (this build reads %d)", manifest.Format, FormatVersion)
	}
	for _, m := range manifest.Members {
		got, ok := seen[m.Name]
		if !ok {
			return nil, damaged("member %q is missing", m.Name)
		}
		if got.Size != m.Size || got.SHA256 != m.SHA256 {
			return nil, damaged("member %q: checksum mismatch", m.Name)
		}
		delete(seen, m.Name)
	}
	for name := range seen {
		return nil, damaged("member %q is not in the manifest", name)
	}
	want := sqliteMember
	if manifest.Dialect == "postgres" {
		want = postgresMember
	} else if manifest.Dialect != "sqlite" {
		return nil, damaged("unknown dialect %q", manifest.Dialect)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(want))); err != nil {
		return nil, damaged("no database member %s", want)
	}
	return &Extracted{Dir: dir, Manifest: *manifest}, nil
}

// restoreFiles writes the archive's files/<root>/… members into the folders roots names, each
// file written beside its target and renamed over it, so a reader sees either the old or the
// new file. Files the archive does not hold are left alone. Roots the archive has but roots
// does not name are skipped.
func (e *Extracted) restoreFiles(roots map[string]string) (int, error) {
	n := 0
	for _, m := range e.Manifest.Members {
		rest, ok := strings.CutPrefix(m.Name, filesPrefix)
		if !ok {
			continue
		}
		root, rel, ok := strings.Cut(rest, "/")
		dstDir, named := roots[root]
		if !ok || !named || dstDir == "" {
			continue
		}
		dst := filepath.Join(dstDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return n, err
		}
		src := e.Path(m.Name)
		fi, err := os.Stat(src)
		if err != nil {
			return n, err
		}
		tmp := dst + ".restoring"
		if err := copyFile(src, tmp, fi.Mode().Perm()); err != nil {
			return n, err
		}
		if err := os.Rename(tmp, dst); err != nil {
			return n, err
		}
		_ = os.Chtimes(dst, fi.ModTime(), fi.ModTime())
		n++
	}
	return n, nil
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
