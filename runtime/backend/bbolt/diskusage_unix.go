//go:build unix

package bbolt

import (
	"os"
	"syscall"
)

// diskBytes is the space the file takes on disk. With a large mapping bbolt
// grows the file in sparse 16 MiB steps, so its length overstates it.
func diskBytes(info os.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}
