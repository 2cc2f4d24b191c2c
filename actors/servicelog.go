package actors

import "github.com/sirupsen/logrus"

// serviceLog is a service actor's logger: cfkd's, with the field
// service=NAME on every entry. It makes that entry when something is
// logged, not once per service: a logrus entry and its map of fields
// would cost every idle service a few hundred bytes.
type serviceLog struct {
	log  *logrus.Logger
	name string
}

// entry is the logger's entry with the service field.
func (l serviceLog) entry() *logrus.Entry { return l.log.WithField("service", l.name) }

func (l serviceLog) WithField(key string, value any) *logrus.Entry {
	return l.log.WithFields(logrus.Fields{"service": l.name, key: value})
}
func (l serviceLog) WithFields(f logrus.Fields) *logrus.Entry { return l.entry().WithFields(f) }
func (l serviceLog) WithError(err error) *logrus.Entry        { return l.entry().WithError(err) }
func (l serviceLog) Log(level logrus.Level, args ...any)      { l.entry().Log(level, args...) }
func (l serviceLog) Debugf(format string, args ...any)        { l.entry().Debugf(format, args...) }
func (l serviceLog) Infof(format string, args ...any)         { l.entry().Infof(format, args...) }
func (l serviceLog) Warnf(format string, args ...any)         { l.entry().Warnf(format, args...) }
func (l serviceLog) Errorf(format string, args ...any)        { l.entry().Errorf(format, args...) }
func (l serviceLog) Debug(args ...any)                        { l.entry().Debug(args...) }
func (l serviceLog) Info(args ...any)                         { l.entry().Info(args...) }
func (l serviceLog) Warn(args ...any)                         { l.entry().Warn(args...) }
func (l serviceLog) Error(args ...any)                        { l.entry().Error(args...) }
