package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// row is one line of a table; empty cells print as "—".
type row struct {
	metric, base, cfk, ratio, target, verdict, sv, svRatio string
}

// table is one markdown table with the notes printed under it.
type table struct {
	title string
	rows  []row
	notes []string
}

func (t *table) add(r row) { t.rows = append(t.rows, r) }

func (t *table) note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

// render writes the table; the supervisord columns only when withSV.
func (t *table) render(w io.Writer, withSV bool) {
	fmt.Fprintf(w, "### %s\n\n", t.title)
	head := []string{"metric", "baseline", "cfkd", "cfkd/baseline", "target", "verdict"}
	if withSV {
		head = append(head, "supervisord", "supervisord/baseline")
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, r := range t.rows {
		cells := []string{r.metric, r.base, r.cfk, r.ratio, r.target, r.verdict}
		if withSV {
			cells = append(cells, r.sv, r.svRatio)
		}
		for i := range cells {
			cells[i] = cell(cells[i])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(t.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range t.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	fmt.Fprintln(w)
}

// dur prints a duration in ms with 3 significant digits or so.
func dur(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 1:
		return fmt.Sprintf("%.3f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.2f ms", ms)
	default:
		return fmt.Sprintf("%.0f ms", ms)
	}
}

// ratio is a/b as "1.23×", empty when either is missing.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func dratio(a, b time.Duration) string { return ratio(float64(a), float64(b)) }

func mib(kib int) string {
	if kib <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// pct is the p-th percentile of d (nearest rank below).
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}

func rate(lps float64) string {
	if lps <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f lines/s", lps)
}

func count(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// dur3 prints a small CPU time with µs precision ("0" is a real value).
func dur3(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

func incomplete(r logResult) string {
	if r.rate > 0 && !r.complete {
		return fmt.Sprintf(" (only %d lines by the deadline)", r.lines)
	}
	return ""
}

func stormStarts(r stormResult, k int) string {
	if r.window == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f / %d", float64(r.total)/float64(k), r.maxPer)
}

func stormCPU(r stormResult) string {
	if r.window == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f ms (%.1f%% of a core)", float64(r.cpu)/float64(time.Millisecond),
		100*float64(r.cpu)/float64(r.window))
}

func holds(ok bool) string {
	if ok {
		return "backoff holds"
	}
	return "missed"
}

func cond(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

// stopCell is the time to all gone with no child left, or how many were
// left at the deadline.
func stopCell(r nResult) string {
	if r.stopLeft > 0 {
		return fmt.Sprintf("> %v (%d not reaped)", stopDeadline, r.stopLeft)
	}
	return dur(r.stop)
}

func orNever(s string) string {
	if s == "" {
		return fmt.Sprintf("never within %v", stopDeadline)
	}
	return s
}
