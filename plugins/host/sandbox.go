package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Plugins are untrusted code. Each launch gets a sandbox (Mattermost's and Vault's plugin
// isolation, taken further):
//
//   - a fresh run folder per launch, removed when the process ends: the verified executable
//     is copied into it (so the file that runs is the file whose SHA-256 was checked, and the
//     plugin user needs no access to the plugin folder), an empty working directory (its cwd)
//     and a temporary folder (its TMPDIR, where go-plugin puts the plugin's socket);
//   - no inherited environment: only go-plugin's handshake variables, PATH=/usr/bin:/bin and
//     TMPDIR;
//   - no inherited file descriptors: stdin is /dev/null, stdout and stderr are go-plugin's
//     pipes, everything else is closed on exec;
//   - an unprivileged user (CRM_PLUGIN_USER, default nobody) when the server runs as root;
//   - Landlock (through the launcher, LauncherMain): read-only access to the executable and
//     the system's libraries and certificates, read-write access to its working directory
//     and temporary folder, nothing else — not the database file, the secret key file or /proc of the server.

// EnvPluginUser names the user plugins run as when the server runs as root: a user name, a
// uid, or uid:gid.
const EnvPluginUser = "CRM_PLUGIN_USER"

// envLauncher marks a process started as the plugin launcher.
const envLauncher = "CRM_PLUGIN_LAUNCHER"

// launcherArg is the hidden subcommand of the launcher.
const launcherArg = "plugin-exec"

// launcherLinked is set by LauncherMain: the running executable can act as the launcher.
var launcherLinked bool

// systemReadOnly are the paths a plugin may read (and execute from): libraries, the dynamic
// loader, certificates, name resolution and time zones. Missing ones are skipped.
var systemReadOnly = []string{"/usr", "/lib", "/lib64", "/lib32", "/etc/ssl", "/etc/ca-certificates",
	"/etc/pki", "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/localtime", "/etc/ld.so.cache",
	"/dev/urandom", "/proc/self"}

// sandbox is how plugins of one supervisor are launched.
type sandbox struct {
	runDir   string // parent of the per-launch folders
	launcher string // the executable acting as launcher; "" launches directly (no Landlock)
	uid, gid int    // -1: the server's own
	log      *slog.Logger
}

var landlockWarn sync.Once

// newSandbox resolves the plugin user and the launcher. It fails when the server runs as root
// and the plugin user cannot be resolved or is root: plugins never run as root.
func newSandbox(runDir, userSpec, launcher string, log *slog.Logger) (*sandbox, error) {
	if runDir == "" {
		runDir = os.TempDir()
	}
	sb := &sandbox{runDir: runDir, launcher: launcher, uid: -1, gid: -1, log: log}
	if os.Geteuid() == 0 {
		if userSpec == "" {
			userSpec = os.Getenv(EnvPluginUser)
		}
		if userSpec == "" {
			userSpec = "nobody"
		}
		uid, gid, err := lookupUser(userSpec)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", EnvPluginUser, userSpec, err)
		}
		if uid == 0 {
			return nil, fmt.Errorf("%s=%q is root; plugins never run as root", EnvPluginUser, userSpec)
		}
		sb.uid, sb.gid = uid, gid
	}
	if sb.launcher == "" && launcherLinked {
		if exe, err := os.Executable(); err == nil {
			sb.launcher = exe
		}
	}
	landlockWarn.Do(func() {
		switch {
		case sb.launcher == "":
			log.Warn("plugins run without Landlock: this executable does not carry the plugin launcher (host.LauncherMain); the empty working directory, the bare environment and the plugin user still apply")
		case LandlockABI() == 0:
			log.Warn("plugins run without Landlock: the kernel does not offer it (Linux 5.13+ with landlock in the LSM list); the empty working directory, the bare environment and the plugin user still apply")
		}
	})
	return sb, nil
}

// lookupUser resolves "name", "uid" or "uid:gid".
func lookupUser(spec string) (uid, gid int, err error) {
	if u, g, ok := strings.Cut(spec, ":"); ok {
		uid, err1 := strconv.Atoi(u)
		gid, err2 := strconv.Atoi(g)
		if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
			return 0, 0, errors.New("want a user name, a uid or uid:gid")
		}
		return uid, gid, nil
	}
	var u *user.User
	if _, err := strconv.Atoi(spec); err == nil {
		u, err = user.LookupId(spec)
		if err != nil {
			return 0, 0, err
		}
	} else if u, err = user.Lookup(spec); err != nil {
		return 0, 0, err
	}
	uid, err = strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, err
	}
	gid, err = strconv.Atoi(u.Gid)
	return uid, gid, err
}

// launch is one prepared launch: the command to hand to go-plugin and its run folder.
type launch struct {
	cmd  *exec.Cmd
	root string
}

// remove deletes the launch's run folder (after the process ended).
func (l *launch) remove() {
	if l != nil && l.root != "" {
		_ = os.RemoveAll(l.root)
	}
}

// errChecksum is returned when the executable does not match its pinned checksum.
var errChecksum = errors.New("plugin executable does not match the checksum pinned at install")

// prepare makes the run folder of one launch of the executable at src, copying it there and
// verifying its SHA-256 against want on the way, and returns the command that runs it in the
// sandbox.
func (sb *sandbox) prepare(name, src string, want []byte) (*launch, error) {
	root, err := os.MkdirTemp(sb.runDir, "crm-plugin-"+name+"-")
	if err != nil {
		return nil, err
	}
	l := &launch{root: root}
	fail := func(err error) (*launch, error) {
		l.remove()
		return nil, err
	}
	// root and bin: the server's, traversable but not listable or writable by the plugin user.
	bin := filepath.Join(root, "bin")
	work := filepath.Join(root, "work")
	tmp := filepath.Join(root, "tmp")
	if err := os.Chmod(root, 0o711); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(bin, 0o711); err != nil {
		return fail(err)
	}
	for _, d := range []string{work, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fail(err)
		}
		if sb.uid >= 0 {
			if err := os.Chown(d, sb.uid, sb.gid); err != nil {
				return fail(err)
			}
		}
	}
	exe := filepath.Join(bin, name)
	sum, err := copyHashed(exe, src)
	if err != nil {
		return fail(err)
	}
	if !sameSum(sum, want) {
		return fail(errChecksum)
	}
	env := []string{"PATH=/usr/bin:/bin", "TMPDIR=" + tmp}
	if sb.launcher == "" {
		cmd := exec.Command(exe)
		cmd.Dir, cmd.Env = work, env
		if sb.uid >= 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(sb.uid), Gid: uint32(sb.gid), Groups: []uint32{}}}
		}
		l.cmd = cmd
		return l, nil
	}
	args := []string{launcherArg, "--cwd", work, "--rw", work, "--rw", tmp, "--ro", exe, "--sha256", hex.EncodeToString(want)}
	for _, p := range systemReadOnly {
		args = append(args, "--ro", p)
	}
	if sb.uid >= 0 {
		args = append(args, "--uid", strconv.Itoa(sb.uid), "--gid", strconv.Itoa(sb.gid))
	}
	args = append(args, "--", exe)
	cmd := exec.Command(sb.launcher, args...)
	cmd.Dir, cmd.Env = work, append([]string{envLauncher + "=1"}, env...)
	l.cmd = cmd
	return l, nil
}

// copyHashed copies src to dst (mode 0555) and returns the SHA-256 of what it wrote.
func copyHashed(dst, src string) ([]byte, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o555)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func sameSum(a, b []byte) bool {
	return len(a) == sha256.Size && string(a) == string(b)
}

// fileSHA256 is the SHA-256 of the file at path.
func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
