//go:build !linux

package host

// LauncherMain does nothing off Linux: plugins launch directly, without Landlock.
func LauncherMain() {}

// LandlockABI is 0 off Linux.
func LandlockABI() int { return 0 }
