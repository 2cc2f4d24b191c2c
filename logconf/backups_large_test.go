package logconf

import (
	"math"
	"strings"
	"testing"
)

// TestParseMaxBackupsPastAnInt: max_backups is a whole number >= 0
// (REFERENCE §6.1), the rotated files kept: one past an int's range,
// digits alone, keeps them all as the largest int does. It was refused
// `bad max_backups "99999999999999999999" (want a whole number >= 0)`,
// of a whole number >= 0 (max_size_mb's says its bound).
func TestParseMaxBackupsPastAnInt(t *testing.T) {
	c, err := Parse("log.config", strings.NewReader("max_backups = 99999999999999999999\n"))
	if err != nil || c.maxBackups != math.MaxInt {
		t.Fatalf("Parse: %+v, %v; want max_backups %d", c, err, math.MaxInt)
	}
}
