package messages

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	got, err := ParseEnvFile([]byte("# comment\n\nA=1\nexport B = two words \nC=\"quoted # not a comment\"\nD='x'\r\nE=\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvVar{{"A", "1"}, {"B", "two words"}, {"C", "quoted # not a comment"}, {"D", "x"}, {"E", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for in, line := range map[string]string{"A=1\nnot a pair\n": "line 2", "A=\"open\n": "line 1", "1A=x": "line 1"} {
		if _, err := ParseEnvFile([]byte(in)); err == nil || !strings.HasPrefix(err.Error(), line) {
			t.Errorf("%q: %v, want an error on %s", in, err, line)
		}
	}
}

// `export` may be followed by a tab, as in a shell; a variable the kernel
// would refuse to pass (execve's E2BIG, the start failing `argument list
// too long` with nothing named) is the file's error, naming its line and
// key (REFERENCE §2.4).
func TestParseEnvFileExportTabAndLongValue(t *testing.T) {
	got, err := ParseEnvFile([]byte("export\tF=1\nexport \t G=2\nexport=3\n"))
	if want := []EnvVar{{"F", "1"}, {"G", "2"}, {"export", "3"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	fits := "K=" + strings.Repeat("v", maxEnvString-3) // with its NUL: the kernel's bound
	if _, err := ParseEnvFile([]byte(fits + "\n")); err != nil {
		t.Fatalf("a variable of %d bytes: %v", len(fits), err)
	}
	_, err = ParseEnvFile([]byte("A=1\n" + fits + "v\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "line 2: K=VALUE is 131072 bytes: the kernel passes at most 131071 bytes a variable") {
		t.Fatalf("a variable one byte over: %v", err)
	}
}

// A file saved by a Windows editor starts with a UTF-8 byte order mark:
// skipped, the first line is read as it shows (it was refused `line 1:
// want KEY=VALUE`); a UTF-16 file is refused as what it is (REFERENCE
// §2.4).
func TestParseEnvFileByteOrderMark(t *testing.T) {
	got, err := ParseEnvFile([]byte("\xef\xbb\xbfA=1\r\nB=2\r\n"))
	if want := []EnvVar{{"A", "1"}, {"B", "2"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	got, err = ParseEnvFile([]byte("\xef\xbb\xbf# a comment\nexport A=1\n"))
	if want := []EnvVar{{"A", "1"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("a comment after the mark: got %v, %v; want %v", got, err, want)
	}
	// only before the first line: elsewhere it is a byte of the line
	if _, err := ParseEnvFile([]byte("A=1\n\xef\xbb\xbfB=2\n")); err == nil || !strings.HasPrefix(err.Error(), "line 2: want KEY=VALUE") {
		t.Fatalf("a mark on line 2: %v", err)
	}
	for _, in := range []string{"\xff\xfeA\x00=\x001\x00", "\xfe\xff\x00A\x00=\x001"} {
		if _, err := ParseEnvFile([]byte(in)); err == nil || !strings.Contains(err.Error(), "UTF-16") {
			t.Errorf("%q: %v, want it refused as UTF-16", in, err)
		}
	}
}

// A NUL byte in a value, which no exec can pass, names the line and its
// key, as every error of a line that has one (REFERENCE §2.4); it named
// neither the key nor anything to look for.
func TestParseEnvFileNULNamesItsKey(t *testing.T) {
	_, err := ParseEnvFile([]byte("A=1\nDB_PASSWORD=hunt\x00er2\n"))
	if err == nil || err.Error() != "line 2: a NUL byte in the value of DB_PASSWORD" {
		t.Fatalf("got %v", err)
	}
}
