package actors

import (
	"testing"
	"time"
)

// REFERENCE §2.9: EXTEND_TIMEOUT_USEC=N, N microseconds, digits only; N
// is at most 1000 hours, more is taken as 1000 hours, also a number too
// long for 64 bits; what is not a number is refused.
func TestExtendTimeoutValue(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		bad  bool
	}{
		{"0", 0, false},
		{"3000000", 3 * time.Second, false},
		{"3600000000000", maxExtend, false},        // 1000 h exactly
		{"3600000000001", maxExtend, false},        // more
		{"18446744073709551615", maxExtend, false}, // the largest uint64
		{"18446744073709551616", maxExtend, false}, // one more
		{"99999999999999999999999999", maxExtend, false},
		{"", 0, true}, {"x", 0, true}, {"+5", 0, true}, {"-5", 0, true}, {" 5", 0, true},
		{"5s", 0, true}, {"1e6", 0, true}, {"99999999999999999999999x", 0, true},
	} {
		got, err := extendOf(tc.v)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("extendOf(%q) = %v, %v; want %v, refused %v", tc.v, got, err, tc.want, tc.bad)
		}
	}
}
