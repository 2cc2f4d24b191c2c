package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rpc is a minimal XML-RPC client for supervisord's /RPC2 over its UNIX
// socket: parameters are strings, ints or bools; results are decoded into
// any (string, int, bool, float64, []any, map[string]any).
type rpc struct {
	http *http.Client
}

func newRPC(sock string) *rpc {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 1,
	}
	return &rpc{http: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

func (c *rpc) close() { c.http.CloseIdleConnections() }

func (c *rpc) call(method string, params ...any) (any, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><methodCall><methodName>`)
	xml.EscapeText(&b, []byte(method))
	b.WriteString(`</methodName><params>`)
	for _, p := range params {
		b.WriteString(`<param><value>`)
		switch v := p.(type) {
		case string:
			b.WriteString(`<string>`)
			xml.EscapeText(&b, []byte(v))
			b.WriteString(`</string>`)
		case int:
			fmt.Fprintf(&b, `<int>%d</int>`, v)
		case bool:
			fmt.Fprintf(&b, `<boolean>%d</boolean>`, map[bool]int{false: 0, true: 1}[v])
		default:
			return nil, fmt.Errorf("xmlrpc: unsupported parameter %T", p)
		}
		b.WriteString(`</value></param>`)
	}
	b.WriteString(`</params></methodCall>`)
	resp, err := c.http.Post("http://supervisord/RPC2", "text/xml", &b)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", method, resp.Status)
	}
	var mr struct {
		Params []xValue `xml:"params>param>value"`
		Fault  *xValue  `xml:"fault>value"`
	}
	if err := xml.Unmarshal(data, &mr); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if mr.Fault != nil {
		return nil, fmt.Errorf("%s: fault %v", method, mr.Fault.decode())
	}
	if len(mr.Params) == 0 {
		return nil, nil
	}
	return mr.Params[0].decode(), nil
}

// xValue is an XML-RPC <value>.
type xValue struct {
	String *string  `xml:"string"`
	Int    *string  `xml:"int"`
	I4     *string  `xml:"i4"`
	Bool   *string  `xml:"boolean"`
	Double *string  `xml:"double"`
	Arr    *xArray  `xml:"array"`
	Struct *xStruct `xml:"struct"`
	Text   string   `xml:",chardata"`
}

type xArray struct {
	Values []xValue `xml:"data>value"`
}

type xStruct struct {
	Members []struct {
		Name  string `xml:"name"`
		Value xValue `xml:"value"`
	} `xml:"member"`
}

func (v *xValue) decode() any {
	switch {
	case v.String != nil:
		return *v.String
	case v.Int != nil, v.I4 != nil:
		s := v.Int
		if s == nil {
			s = v.I4
		}
		n, _ := strconv.Atoi(strings.TrimSpace(*s))
		return n
	case v.Bool != nil:
		return strings.TrimSpace(*v.Bool) == "1"
	case v.Double != nil:
		f, _ := strconv.ParseFloat(strings.TrimSpace(*v.Double), 64)
		return f
	case v.Arr != nil:
		out := make([]any, len(v.Arr.Values))
		for i := range v.Arr.Values {
			out[i] = v.Arr.Values[i].decode()
		}
		return out
	case v.Struct != nil:
		out := map[string]any{}
		for i := range v.Struct.Members {
			out[v.Struct.Members[i].Name] = v.Struct.Members[i].Value.decode()
		}
		return out
	}
	return v.Text // a bare value is a string
}
