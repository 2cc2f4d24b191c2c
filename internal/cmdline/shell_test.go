package cmdline

import "testing"

func TestShellScript(t *testing.T) {
	for _, c := range []struct {
		argv          []string
		shell, script string
		ok            bool
	}{
		{[]string{"/bin/sh", "-c", "cd /srv && app"}, "/bin/sh", "cd /srv && app", true},
		{[]string{"sh", "-c", "app", "arg0"}, "sh", "app", true},
		{[]string{"/usr/bin/bash", "-ec", "app"}, "/usr/bin/bash", "app", true},
		{[]string{"bash", "--norc", "-e", "-c", "app"}, "bash", "app", true},
		{[]string{"bash", "-o", "pipefail", "-c", "app | cat"}, "bash", "app | cat", true},
		{[]string{"dash", "-c", "--", "app"}, "dash", "app", true},
		{[]string{"bash", "-euo", "pipefail", "-c", "app | cat"}, "bash", "app | cat", true}, // -o's name after the letters
		{[]string{"bash", "-eo", "pipefail", "-o", "nounset", "-c", "app"}, "bash", "app", true},
		{[]string{"sh", "/srv/run.sh"}, "", "", false},       // a script file
		{[]string{"sh", "-e", "/srv/run.sh"}, "", "", false}, // its options
		{[]string{"sh", "-c"}, "", "", false},
		{[]string{"/srv/app", "-c", "x"}, "", "", false},
		{[]string{"python3", "-c", "print(1)"}, "", "", false},
		{[]string{"shellcheck", "-c", "x"}, "", "", false},
		{[]string{"sh"}, "", "", false},
	} {
		shell, script, ok := ShellScript(c.argv)
		if shell != c.shell || script != c.script || ok != c.ok {
			t.Errorf("ShellScript(%q) = %q, %q, %v; want %q, %q, %v", c.argv, shell, script, ok, c.shell, c.script, c.ok)
		}
	}
}

func TestExecs(t *testing.T) {
	for _, c := range []struct {
		script string
		want   bool
	}{
		{"exec app", true},
		{"exec /srv/app --port 80", true},
		{"cd /srv && exec app", true},
		{"cd /srv; exec app", true},
		{"cd /srv\nexec app", true},
		{"set -e; . /etc/app.env; exec \"$APP\" \"$@\"", true},
		{"if [ -x /srv/app ]; then exec /srv/app; fi", true},
		{"exec -a worker /srv/app", true},
		{"exec 2>&1; exec app", true},
		{"exec >/var/log/app.log 2>&1 app", true}, // redirections, then the program
		{"exec 2>&1 app", true},
		{"exec 3< /etc/app.conf 2>&- /srv/app", true},
		{"FOO=1 exec app", true}, // an assignment: the command follows
		{"cd /srv && PORT=80 LANG=C exec app", true},
		{"app", false},
		{"cd /srv && app", false},
		{"app; echo done", false},
		{"app 2>&1 | logger", false},
		{"exec 2>&1; app", false}, // redirections only: the shell stays
		{"exec >/var/log/app.log 2>&1; app", false},
		{"exec 2> /var/log/app.err; app", false},
		{"exec 2>&1", false},
		{"FOO=1 app", false},
		{"FOO=1; app", false},
		{"exec", false},
		{"echo exec app", false}, // an argument, not a command
		{"app --mode exec", false},
		{"echo 'x; exec app'", false},  // quoted
		{"app # then exec app", false}, // a comment
		{"FOO=exec app", false},
		{"nice exec", false},
	} {
		if got := Execs(c.script); got != c.want {
			t.Errorf("Execs(%q) = %v, want %v", c.script, got, c.want)
		}
	}
}
