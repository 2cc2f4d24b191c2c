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
