package kafka

import (
	"fmt"
	"strings"
	"sync"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
)

var loggerMu sync.Mutex

// RouteSaramaLogs sends sarama's own log lines through log at debug level.
// sarama keeps its logger in a package variable, so this is process-wide;
// main calls it once.
func RouteSaramaLogs(log *zap.Logger) {
	loggerMu.Lock()
	defer loggerMu.Unlock()
	sarama.Logger = saramaLogger{log: log.Named("sarama").WithOptions(zap.AddCallerSkip(1))}
}

// saramaLogger implements sarama.StdLogger on zap.
type saramaLogger struct{ log *zap.Logger }

func (l saramaLogger) Print(v ...any) { l.write(fmt.Sprint(v...)) }

func (l saramaLogger) Printf(format string, v ...any) { l.write(fmt.Sprintf(format, v...)) }

func (l saramaLogger) Println(v ...any) { l.write(fmt.Sprintln(v...)) }

func (l saramaLogger) write(msg string) {
	if ce := l.log.Check(zap.DebugLevel, strings.TrimSpace(msg)); ce != nil {
		ce.Write()
	}
}
