//go:build linux

package host

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/smecrm/crm/plugins/sdk"
)

// LauncherMain must be the first thing main (and TestMain of a package that launches
// plugins) does. In a process started as the plugin launcher (the hidden subcommand
// `plugin-exec`, marked by CRM_PLUGIN_LAUNCHER=1) it never returns: it drops to the plugin
// user, restricts the filesystem with Landlock, and executes the plugin, which inherits the
// restrictions. Go cannot run code between fork and exec, hence this second process. In any
// other process it returns at once and records that this executable can act as launcher.
func LauncherMain() {
	if os.Getenv(envLauncher) != "1" || len(os.Args) < 2 || os.Args[1] != launcherArg {
		launcherLinked = true
		return
	}
	if err := runLauncher(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "plugin launcher:", err)
		os.Exit(111)
	}
}

// LandlockABI is the Landlock ABI version the kernel offers; 0 when it has none.
func LandlockABI() int {
	v, err := llsys.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return v
}

// runLauncher: plugin-exec --cwd DIR --rw DIR… --ro PATH… [--uid N --gid N] --sha256 HEX --
// EXE [ARGS…]. The plugin's environment is PATH, TMPDIR (from the launcher's own) and
// go-plugin's handshake variables.
func runLauncher(args []string) error {
	var rw, ro []string
	var work string
	uid, gid := -1, -1
	var sum string
	for len(args) > 0 && args[0] != "--" {
		if len(args) < 2 {
			return fmt.Errorf("flag %s needs a value", args[0])
		}
		flag, val := args[0], args[1]
		args = args[2:]
		switch flag {
		case "--cwd":
			work = val
		case "--rw":
			rw = append(rw, val)
		case "--ro":
			ro = append(ro, val)
		case "--sha256":
			sum = val
		case "--uid", "--gid":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return fmt.Errorf("bad %s %q", flag, val)
			}
			if flag == "--uid" {
				uid = n
			} else {
				gid = n
			}
		default:
			return fmt.Errorf("unknown flag %s", flag)
		}
	}
	if len(args) < 2 || work == "" {
		return errors.New("usage: plugin-exec --cwd DIR --rw DIR… --ro PATH… [--uid N --gid N] --sha256 HEX -- EXE [ARGS…]")
	}
	exe, argv := args[1], args[1:]

	// The environment: go-plugin's handshake and nothing of the server's.
	env := []string{"PATH=/usr/bin:/bin"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "TMPDIR" || k == sdk.Handshake.MagicCookieKey || strings.HasPrefix(k, "PLUGIN_") {
			env = append(env, kv)
		}
	}

	// File descriptors: stdin from /dev/null, stdout and stderr stay go-plugin's pipes, any
	// other descriptor is closed on exec.
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	if err := unix.Dup3(int(null.Fd()), 0, 0); err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range: %w", err)
	}
	if err := os.Chdir(work); err != nil {
		return err
	}

	// The plugin user (the server runs as root).
	if uid >= 0 {
		if gid < 0 {
			return errors.New("--uid needs --gid")
		}
		if err := syscall.Setgroups([]int{}); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := syscall.Setresgid(gid, gid, gid); err != nil {
			return fmt.Errorf("setgid: %w", err)
		}
		if err := syscall.Setresuid(uid, uid, uid); err != nil {
			return fmt.Errorf("setuid: %w", err)
		}
	}

	// The filesystem view. BestEffort degrades to what the kernel offers (nothing on a kernel
	// without Landlock: the host warns once).
	rules := []landlock.Rule{landlock.RWDirs(rw...), landlock.RWFiles(os.DevNull)}
	for _, p := range ro {
		st, err := os.Stat(p)
		if err != nil {
			continue // a system path this machine does not have
		}
		if st.IsDir() {
			rules = append(rules, landlock.RODirs(p).IgnoreIfMissing())
		} else {
			rules = append(rules, landlock.ROFiles(p).IgnoreIfMissing())
		}
	}
	if err := landlock.V11.BestEffort().RestrictPaths(rules...); err != nil {
		return fmt.Errorf("landlock: %w", err)
	}

	// The file about to run is the file whose checksum was pinned.
	if sum != "" {
		want, err := hex.DecodeString(sum)
		if err != nil {
			return errors.New("bad --sha256")
		}
		got, err := fileSHA256(exe)
		if err != nil {
			return err
		}
		if !sameSum(got, want) {
			return errChecksum
		}
	}
	return syscall.Exec(exe, argv, env)
}
