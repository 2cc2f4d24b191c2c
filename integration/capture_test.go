package integration

import (
	"sync"

	"github.com/sirupsen/logrus"
)

// capture is a logrus hook keeping the lines services write, except those
// of services marked noisy, which are only counted (a flooding service
// must not fill the test's memory).
type capture struct {
	notify func()

	mu      sync.Mutex
	entries []*logrus.Entry
	noisy   map[string]bool
	counted map[string]int // bytes logged per noisy service
}

func newCapture(notify func()) *capture {
	return &capture{notify: notify, noisy: map[string]bool{}, counted: map[string]int{}}
}

func (c *capture) Levels() []logrus.Level { return logrus.AllLevels }

func (c *capture) Fire(e *logrus.Entry) error {
	svc, _ := e.Data["service"].(string)
	c.mu.Lock()
	if c.noisy[svc] {
		c.counted[svc] += len(e.Message)
	} else {
		cp := *e
		cp.Data = logrus.Fields{}
		for k, v := range e.Data {
			cp.Data[k] = v
		}
		c.entries = append(c.entries, &cp)
	}
	c.mu.Unlock()
	c.notify()
	return nil
}

// Noisy marks a service whose lines are counted, not kept.
func (c *capture) Noisy(svc string) {
	c.mu.Lock()
	c.noisy[svc] = true
	c.mu.Unlock()
}

// AllEntries returns the kept entries.
func (c *capture) AllEntries() []*logrus.Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*logrus.Entry(nil), c.entries...)
}

// Counted returns the bytes a noisy service logged.
func (c *capture) Counted(svc string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counted[svc]
}
