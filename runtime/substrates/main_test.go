package substrates_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// circuit's goroutine must be gone once it is closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
