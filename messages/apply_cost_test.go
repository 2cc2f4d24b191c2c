package messages

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// envText is a text of about size bytes: keys distinct add_env
// declarations of one service, then repeats of one more.
func envText(keys, size int) string {
	var b strings.Builder
	for i := 0; i < keys; i++ {
		fmt.Fprintf(&b, "service a add_env=K%d=\n", i)
	}
	const rep = "service a add_env=K1=\n"
	for b.Len()+len(rep) <= size {
		b.WriteString(rep)
	}
	return b.String()
}

// Parse runs on every request line before the rights check (REFERENCE
// §5.1), in the connection actor, and a `command apply` line of 64 KiB
// inflates to a text of up to 16 MiB, so parsing it must cost in
// proportion to the text (REFERENCE §1.4: "a small DATA cannot make cfkd
// inflate gigabytes"). ServiceConfig.Apply copies the whole add_env list
// for each add_env line (withEnv), so N lines against K keys cost N*K: a
// 64 KiB request from a read-only peer made cfkd spin about a minute and
// churn tens of GB. Measured in bytes allocated, which the machine's load
// does not change: 2,000 keys first may not cost 4 times what 1 does.
func TestApplyParseCostIsLinear(t *testing.T) {
	const size = 512 << 10
	cost := func(text string) uint64 {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		if _, err := declareText(text); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc
	}
	linear, heavy := cost(envText(1, size)), cost(envText(2000, size))
	if heavy > 4*linear {
		t.Fatalf("declaring %d KiB of add_env lines allocated %d MB after 2,000 keys, %d MB after 1",
			size>>10, heavy>>20, linear>>20)
	}
}

// The add_env lines of a text make the list withEnv makes, one line at a
// time: a key set again goes last with its new value, an unset empties it.
func TestApplyEnvAsWithEnv(t *testing.T) {
	keys := []string{"A", "B", "C", "D"}
	for seed := range 200 {
		var text strings.Builder
		want := NewServiceConfig("s")
		wantP := NewProxyConfig("p")
		x := uint32(seed*2654435761 + 1)
		for range 12 {
			x = x*1103515245 + 12345
			k := keys[x>>8%4]
			v := Value{Key: k, Str: fmt.Sprint(x >> 20 % 10)}
			line := "service s add_env=" + k + "=" + v.Str
			pline := "proxy p add_env=" + k + "=" + v.Str
			if x>>12%7 == 0 {
				v, line, pline = Value{Unset: true}, "service s add_env=", "proxy p add_env="
			}
			want, _ = want.Apply(SvcAddEnv, v)
			wantP, _ = wantP.Apply(ProxyAddEnv, v)
			fmt.Fprintf(&text, "%s\nservice s desc=x\n%s\n", line, pline)
		}
		d, err := declareText(text.String())
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Services["s"].Env; fmt.Sprint(got) != fmt.Sprint(want.Env) {
			t.Fatalf("seed %d: service env %v, want %v\n%s", seed, got, want.Env, text.String())
		}
		if got := d.Proxies["p"].Env; fmt.Sprint(got) != fmt.Sprint(wantP.Env) {
			t.Fatalf("seed %d: proxy env %v, want %v\n%s", seed, got, wantP.Env, text.String())
		}
	}
}
