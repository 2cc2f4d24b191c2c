package messages

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// ServiceInfo is one line of `command inspect` (an extension): everything
// cfkd knows of a service, as one JSON object. It is the status line, the
// desc line and what the compat lines leave out (the retry and crash
// counts, when a service in backoff starts again, whether the proxy runs,
// the services it requires):
//
//	{"name":"web1","state":"backoff","stop_time":"2026-11-21T15:15:54Z",
//	 "retries":2,"crashes":0,"next_start":"2026-11-21T15:15:55.2Z",
//	 "tags":["web"],"cmd":"sleep 100"}
//
// (one line on the wire). Keys, in this order: name, state, pid,
// start_time, stop_time, proxy, proxy_up, fail_reason, running_cmd,
// retries, crashes, next_start, restarts, last_exit, last_exit_time,
// notify_status, last_error, tags, desc, cmd, requires, running_former
// (true, or left out), done (true, or left out), waiting_for. name, state,
// retries, crashes and tags (an array, maybe empty) are always there;
// proxy_up is there exactly when proxy is; every other key is left out
// when absent (pid 0, zero time, empty string or list). Times are RFC 3339
// in UTC, with the fraction of a second when there is one.
type ServiceInfo struct {
	Name       string
	State      State
	Pid        int       // 0: no process
	StartTime  time.Time // zero: unset
	StopTime   time.Time // zero: unset
	Proxy      string    // the proxy's name; "" for a direct service
	ProxyUp    bool      // the proxy runs; only with Proxy
	FailReason string
	RunningCmd string
	Retries    int       // consecutive failed starts
	Crashes    int       // consecutive crashes of a running process
	NextStart  time.Time // when a service in backoff starts again; zero otherwise
	// Restarts: processes launched since the service was declared, less
	// one; LastExit ("exit 3", "signal 9") and LastExitTime: the last end;
	// NotifyStatus: the last STATUS= the service sent (sd_notify).
	Restarts     int
	LastExit     string
	LastExitTime time.Time
	NotifyStatus string
	LastError    string   // why the last start failed (backoff, fatal), until running
	Tags         []string // nil for none
	Desc         string
	Cmd          string   // the command as desc shows it
	Requires     []string // the services it requires (REFERENCE §2.8); nil for none
	// RunningFormer: it is up with a process launched from a declaration
	// other than its current one (REFERENCE §1.4: an apply restarts it)
	RunningFormer bool
	// Done: a oneshot stopped by its clean exit (REFERENCE §2.10)
	Done bool
	// WaitingFor: the services a verb asked of it, not begun on it yet,
	// waits for (a start: what it requires, to run; a stop: what requires
	// it, to be down; REFERENCE §2.8), in name order; nil when none waits
	WaitingFor []string
}

// serviceInfoJSON is the wire form of ServiceInfo.
type serviceInfoJSON struct {
	Name       string   `json:"name"`
	State      string   `json:"state"`
	Pid        int      `json:"pid,omitempty"`
	StartTime  string   `json:"start_time,omitempty"`
	StopTime   string   `json:"stop_time,omitempty"`
	Proxy      string   `json:"proxy,omitempty"`
	ProxyUp    *bool    `json:"proxy_up,omitempty"`
	FailReason string   `json:"fail_reason,omitempty"`
	RunningCmd string   `json:"running_cmd,omitempty"`
	Retries    int      `json:"retries"`
	Crashes    int      `json:"crashes"`
	NextStart  string   `json:"next_start,omitempty"`
	Restarts   int      `json:"restarts"`
	LastExit   string   `json:"last_exit,omitempty"`
	LastExitAt string   `json:"last_exit_time,omitempty"`
	Notify     string   `json:"notify_status,omitempty"`
	LastError  string   `json:"last_error,omitempty"`
	Tags       []string `json:"tags"`
	Desc       string   `json:"desc,omitempty"`
	Cmd        string   `json:"cmd,omitempty"`
	Requires   []string `json:"requires,omitempty"`
	Former     bool     `json:"running_former,omitempty"`
	Done       bool     `json:"done,omitempty"`
	WaitingFor []string `json:"waiting_for,omitempty"`
}

// NewServiceInfo puts a status line and a desc line of the same service
// together; the counts and NextStart are left for the caller.
func NewServiceInfo(st StatusLine, d DescLine) ServiceInfo {
	return ServiceInfo{
		Name: st.Name, State: st.State, Pid: st.Pid, StartTime: st.StartTime, StopTime: st.StopTime,
		Proxy: st.Proxy, ProxyUp: st.Proxy != "" && !st.ProxyDown, FailReason: st.FailReason, RunningCmd: st.RunningCmd,
		Tags: d.Tags, Desc: d.Desc, Cmd: d.Cmd,
	}
}

// StatusLine is the compat status line of the service.
func (i ServiceInfo) StatusLine() StatusLine {
	return StatusLine{
		Name: i.Name, State: i.State, Pid: i.Pid, StartTime: i.StartTime, StopTime: i.StopTime,
		Proxy: i.Proxy, ProxyDown: i.Proxy != "" && !i.ProxyUp, FailReason: i.FailReason, RunningCmd: i.RunningCmd,
	}
}

// DescLine is the compat desc line of the service.
func (i ServiceInfo) DescLine() DescLine {
	return DescLine{Name: i.Name, Tags: i.Tags, Desc: i.Desc, Proxy: i.Proxy, Cmd: i.Cmd}
}

// Format writes the JSON object, on one line and without HTML escaping,
// a character that is not printable written \uXXXX (jsonPrintable). As
// encoding/json does, invalid UTF-8 in a string becomes U+FFFD: such a
// value does not read back as it is (see Validate).
func (i ServiceInfo) Format() string {
	w := serviceInfoJSON{
		Name: i.Name, State: i.State.String(), Pid: i.Pid,
		StartTime: formatRFC3339(i.StartTime), StopTime: formatRFC3339(i.StopTime),
		Proxy: i.Proxy, FailReason: i.FailReason, RunningCmd: i.RunningCmd,
		Retries: i.Retries, Crashes: i.Crashes, NextStart: formatRFC3339(i.NextStart),
		Restarts: i.Restarts, LastExit: i.LastExit, LastExitAt: formatRFC3339(i.LastExitTime), Notify: i.NotifyStatus,
		LastError: i.LastError, Tags: i.Tags, Desc: i.Desc, Cmd: i.Cmd, Requires: i.Requires, Former: i.RunningFormer,
		Done: i.Done, WaitingFor: i.WaitingFor,
	}
	if i.Proxy != "" {
		up := i.ProxyUp
		w.ProxyUp = &up
	}
	if w.Tags == nil {
		w.Tags = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return "" // cannot happen: strings, numbers and a bool
	}
	return string(jsonPrintable(bytes.TrimSuffix(b.Bytes(), []byte("\n"))))
}

// ParseServiceInfo reads an inspect line: one JSON object (keys it does
// not know are ignored, for a newer cfkd), whose value must be valid (see
// Validate).
func ParseServiceInfo(line string) (ServiceInfo, error) {
	const kind = "inspect"
	var w serviceInfoJSON
	if err := json.Unmarshal([]byte(line), &w); err != nil {
		return ServiceInfo{}, lineErr(kind, "%v", err)
	}
	state, ok := ParseState(w.State)
	if !ok {
		return ServiceInfo{}, lineErr(kind, "unknown state %q", w.State)
	}
	i := ServiceInfo{
		Name: w.Name, State: state, Pid: w.Pid, Proxy: w.Proxy, FailReason: w.FailReason,
		RunningCmd: w.RunningCmd, Retries: w.Retries, Crashes: w.Crashes, Tags: w.Tags, Desc: w.Desc, Cmd: w.Cmd,
		Restarts: w.Restarts, LastExit: w.LastExit, NotifyStatus: w.Notify, LastError: w.LastError, Requires: w.Requires,
		RunningFormer: w.Former, Done: w.Done, WaitingFor: w.WaitingFor,
	}
	if len(i.Tags) == 0 {
		i.Tags = nil
	}
	if len(i.Requires) == 0 {
		i.Requires = nil
	}
	if len(i.WaitingFor) == 0 {
		i.WaitingFor = nil
	}
	switch {
	case w.Proxy != "" && w.ProxyUp == nil:
		return ServiceInfo{}, lineErr(kind, "proxy %q without proxy_up", w.Proxy)
	case w.Proxy == "" && w.ProxyUp != nil:
		return ServiceInfo{}, lineErr(kind, "proxy_up without a proxy")
	case w.ProxyUp != nil:
		i.ProxyUp = *w.ProxyUp
	}
	var err error
	if i.StartTime, err = parseRFC3339(kind, "start_time", w.StartTime); err != nil {
		return ServiceInfo{}, err
	}
	if i.StopTime, err = parseRFC3339(kind, "stop_time", w.StopTime); err != nil {
		return ServiceInfo{}, err
	}
	if i.LastExitTime, err = parseRFC3339(kind, "last_exit_time", w.LastExitAt); err != nil {
		return ServiceInfo{}, err
	}
	if i.NextStart, err = parseRFC3339(kind, "next_start", w.NextStart); err != nil {
		return ServiceInfo{}, err
	}
	if err := i.Validate(); err != nil {
		return ServiceInfo{}, err
	}
	return i, nil
}

// Validate reports what keeps i from being written and read back as it
// is (times compared with time.Time.Equal): a name, tag, proxy or
// required service that is not one word, an unknown state, a negative pid
// or count, ProxyUp without a proxy, a time before 1970 or after 9999,
// invalid UTF-8.
func (i ServiceInfo) Validate() error {
	const kind = "inspect"
	if err := checkWord(kind, "name", i.Name, ""); err != nil {
		return err
	}
	if i.State.String() == "unknown" {
		return lineErr(kind, "unknown state %d", int(i.State))
	}
	switch {
	case i.Pid < 0 || i.Pid > maxPid:
		return lineErr(kind, "pid %d out of range", i.Pid)
	case i.Retries < 0 || i.Crashes < 0 || i.Restarts < 0:
		return lineErr(kind, "negative count (retries %d, crashes %d, restarts %d)", i.Retries, i.Crashes, i.Restarts)
	case i.Proxy == "" && i.ProxyUp:
		return lineErr(kind, "proxy_up without a proxy")
	}
	if i.Proxy != "" {
		if err := checkWord(kind, "proxy", i.Proxy, ""); err != nil {
			return err
		}
	}
	if err := checkList(kind, "tag", i.Tags); err != nil {
		return err
	}
	if err := checkList(kind, "required service", i.Requires); err != nil {
		return err
	}
	if err := checkList(kind, "awaited service", i.WaitingFor); err != nil {
		return err
	}
	for _, t := range []struct {
		what string
		t    time.Time
	}{{"start_time", i.StartTime}, {"stop_time", i.StopTime}, {"next_start", i.NextStart}, {"last_exit_time", i.LastExitTime}} {
		if !t.t.IsZero() && (t.t.Unix() < 0 || t.t.Year() > 9999) {
			return lineErr(kind, "%s %v out of range", t.what, t.t)
		}
	}
	for _, s := range []string{i.Name, i.Proxy, i.FailReason, i.RunningCmd, i.Desc, i.Cmd, i.LastError} {
		if !utf8.ValidString(s) {
			return lineErr(kind, "invalid UTF-8 in %q", s)
		}
	}
	for _, s := range i.Tags {
		if !utf8.ValidString(s) {
			return lineErr(kind, "invalid UTF-8 in tag %q", s)
		}
	}
	for _, s := range i.Requires {
		if !utf8.ValidString(s) {
			return lineErr(kind, "invalid UTF-8 in required service %q", s)
		}
	}
	return nil
}

// formatRFC3339 writes a time in UTC; the zero time is "".
func formatRFC3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseRFC3339 reads an RFC 3339 time; "" is the zero time.
func parseRFC3339(kind, what, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, lineErr(kind, "%s %q is not an RFC 3339 time", what, s)
	}
	return t, nil
}
