package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// gatherInfo asks `command inspect` of each selector and returns the
// services in the order cfkd gave them, each once, with the lines as cfkd
// wrote them.
func gatherInfo(s *session, sels []string) ([]messages.ServiceInfo, []string, error) {
	var (
		out []messages.ServiceInfo
		raw []string
	)
	seen := map[string]bool{}
	for _, sel := range sels {
		req := "command inspect " + sel
		lines, err := s.call(req)
		if err != nil {
			return nil, nil, err
		}
		infos, err := parseReply(req, lines, messages.ParseServiceInfo)
		if err != nil {
			return nil, nil, err
		}
		for k, i := range infos {
			if !seen[i.Name] {
				seen[i.Name] = true
				out, raw = append(out, i), append(raw, lines[k])
			}
		}
	}
	return out, raw, nil
}

// unknownVerb reports whether err is cfkd's answer to a verb it does not
// know (an older cfkd, or the original's).
func unknownVerb(err error, verb messages.Verb) bool {
	var re *protocol.RemoteError
	return errors.As(err, &re) && re.Msg == fmt.Sprintf("unknown command '%s'", verb)
}

// runInspect is `cfkctl inspect [REF...]`: cfkd's JSON object per service,
// one a line; with --json, one array of them.
func runInspect(s *session, args []string) error {
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	_, raw, err := gatherInfo(s, sels)
	if err != nil {
		return err
	}
	if s.opts.json {
		out := make([]json.RawMessage, 0, len(raw))
		for _, l := range raw {
			out = append(out, json.RawMessage(l))
		}
		return writeJSON(s.env.jsonOut(), out)
	}
	return printLines(s, raw)
}

// statusJSON is a service for `status --json`: the status line's fields,
// times as Unix seconds, and the counts of inspect; absent values are null.
type statusJSON struct {
	Name       string  `json:"name"`
	State      string  `json:"state"`
	Pid        *int64  `json:"pid"`
	StartTime  *int64  `json:"start_time"`
	StopTime   *int64  `json:"stop_time"`
	Proxy      *string `json:"proxy"` // as the status line shows it: NAME! when down
	FailReason *string `json:"fail_reason"`
	RunningCmd *string `json:"running_cmd"`
	Retries    *int    `json:"retries"`    // null from a cfkd without inspect
	Crashes    *int    `json:"crashes"`    // null from a cfkd without inspect
	NextStart  *string `json:"next_start"` // RFC 3339; null unless in backoff
	Restarts   *int    `json:"restarts"`   // null from a cfkd without inspect
	LastExit   *string `json:"last_exit"`  // "exit 3", "signal 9"; null before the first end
	LastExitAt *string `json:"last_exit_time"`
	Notify     *string `json:"notify_status"` // the service's last sd_notify STATUS=
	LastError  *string `json:"last_error"`    // why the last start failed, until running; null from a cfkd without it
	// RunningFormer: up with a process of a former declaration (REFERENCE
	// §1.4); null from a cfkd without inspect
	RunningFormer *bool `json:"running_former"`
	// Done: a oneshot stopped by its clean exit (REFERENCE §2.10); null
	// from a cfkd without oneshot
	Done *bool `json:"done"`
	// WaitingFor: what a start or stop of it, asked and not begun,
	// waits for (REFERENCE §2.8); null when nothing waits, or from a
	// cfkd without it
	WaitingFor []string `json:"waiting_for"`
}

// statusJSONOf is what a status line says.
func statusJSONOf(st messages.StatusLine) statusJSON {
	return statusJSON{
		Name:       st.Name,
		State:      st.State.String(),
		Pid:        positive(int64(st.Pid)),
		StartTime:  epochJSON(st.StartTime),
		StopTime:   epochJSON(st.StopTime),
		Proxy:      nonEmpty(st.ProxyColumn()),
		FailReason: nonEmpty(st.FailReason),
		RunningCmd: nonEmpty(st.RunningCmd),
	}
}

// infoJSON is what an inspect line says.
func infoJSON(i messages.ServiceInfo) statusJSON {
	j := statusJSONOf(i.StatusLine())
	j.Retries, j.Crashes, j.Restarts = &i.Retries, &i.Crashes, &i.Restarts
	j.NextStart, j.LastExitAt = rfc3339(i.NextStart), rfc3339(i.LastExitTime)
	j.LastExit, j.Notify, j.LastError = nonEmpty(i.LastExit), nonEmpty(i.NotifyStatus), nonEmpty(i.LastError)
	j.RunningFormer, j.Done = &i.RunningFormer, &i.Done
	j.WaitingFor = i.WaitingFor
	return j
}

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// statusJSONs is what `status --json` prints: from `command inspect`, or
// from `command status` when cfkd does not know inspect (the counts are
// null then).
func statusJSONs(s *session, sels []string) ([]statusJSON, error) {
	infos, _, err := gatherInfo(s, sels)
	if unknownVerb(err, messages.VerbInspect) {
		sts, err := gatherStatus(s, sels)
		if err != nil {
			return nil, err
		}
		out := make([]statusJSON, 0, len(sts))
		for _, st := range sts {
			out = append(out, statusJSONOf(st))
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]statusJSON, 0, len(infos))
	for _, i := range infos {
		out = append(out, infoJSON(i))
	}
	return out, nil
}
