package kafka

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
)

var (
	// installSaramaLogger sets sarama.Logger, once per process.
	installSaramaLogger sync.Once
	// saramaTarget is where sarama's log lines go; RouteSaramaLogs swaps it.
	saramaTarget atomic.Pointer[zap.Logger]
)

// RouteSaramaLogs sends sarama's own log lines through log at debug level.
//
// sarama keeps its logger in a package variable that its goroutines read
// without a lock, so the variable is set only once per process, to a
// logger that forwards to the latest log given here. Calling it again (a
// test per run, say) is safe and redirects the lines. Call it before the
// first sarama client is created: the first call's write to the variable
// is not synchronised with clients that already run.
func RouteSaramaLogs(log *zap.Logger) {
	saramaTarget.Store(log.Named("sarama").WithOptions(zap.AddCallerSkip(1)))
	installSaramaLogger.Do(func() { sarama.Logger = saramaLogger{} })
}

// saramaLogger implements sarama.StdLogger on the current saramaTarget.
type saramaLogger struct{}

func (l saramaLogger) Print(v ...any) { l.write(fmt.Sprint(v...)) }

func (l saramaLogger) Printf(format string, v ...any) { l.write(fmt.Sprintf(format, v...)) }

func (l saramaLogger) Println(v ...any) { l.write(fmt.Sprintln(v...)) }

func (saramaLogger) write(msg string) {
	if ce := saramaTarget.Load().Check(zap.DebugLevel, strings.TrimSpace(msg)); ce != nil {
		ce.Write()
	}
}
