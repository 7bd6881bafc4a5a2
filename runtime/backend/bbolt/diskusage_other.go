//go:build !unix

package bbolt

import "os"

// diskBytes is the file's length where the blocks it takes are not known.
func diskBytes(info os.FileInfo) int64 { return info.Size() }
