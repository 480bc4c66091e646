package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"ticket-processor/internal/consumer"
	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/producer"
	"ticket-processor/internal/service"
)

// TestMain checks for leaked goroutines. go-metrics, which sarama uses,
// starts one process-wide meter goroutine that lives by design until the
// process exits.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"))
}

func noEnv(string) (string, bool) { return "", false }

func producerConfig(t *testing.T, brokers []string) producer.ServiceConfig {
	cfg, err := producer.LoadServiceConfig(nil, noEnv)
	require.NoError(t, err)
	cfg.Kafka.Brokers = brokers
	cfg.Service.ShutdownTimeout = 5 * time.Second
	return cfg
}

func consumerConfig(t *testing.T, brokers []string) consumer.ServiceConfig {
	cfg, err := consumer.LoadServiceConfig(nil, noEnv)
	require.NoError(t, err)
	cfg.Kafka.Brokers = brokers
	cfg.Service.ShutdownTimeout = 5 * time.Second
	cfg.Consumer.DrainTimeout = time.Second
	return cfg
}

// service is a RunProducer or RunConsumer call in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(run func(ctx context.Context) error) *running {
	ctx, cancel := context.WithCancel(context.Background())
	s := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- run(ctx) }()
	return s
}

// stop ends the service and returns its error.
func (s *running) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not stop")
		return nil
	}
}

// TestServicesRunThePipelineOnKfake runs both services as the daemons do,
// on an in-process broker: the producer creates the tickets topic, the
// consumer the output and dead-letter topics after it, both become ready,
// serve their metrics (the engine's, at zero where InitSeries put them, and
// sarama's), and every ticket sent is processed.
func TestServicesRunThePipelineOnKfake(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	log := zaptest.NewLogger(t)

	pcfg := producerConfig(t, brokers)
	pcfg.Producer.TopicPartitions = 3
	pcfg.Producer.MaxTickets = 200
	pcfg.Producer.Rate = 400
	ccfg := consumerConfig(t, brokers)

	producerReg, consumerReg := prometheus.NewRegistry(), prometheus.NewRegistry()
	producerSvc, err := producer.NewService(pcfg, producer.ServiceOptions{
		Options: service.Options{Registry: producerReg, Addr: "127.0.0.1:0"},
	}, log.Named("producer"))
	require.NoError(t, err)
	prod := start(producerSvc.Run)
	producerURL := "http://" + producerSvc.Addr().String()
	consumerSvc, err := consumer.NewService(ccfg, consumer.ServiceOptions{
		Options: service.Options{Registry: consumerReg, Addr: "127.0.0.1:0"},
	}, log.Named("consumer"))
	require.NoError(t, err)
	cons := start(consumerSvc.Run)
	consumerURL := "http://" + consumerSvc.Addr().String()

	kafkatest.WaitStatus(t, consumerURL+"/readyz", 200, 30*time.Second)
	consumerMetrics := kafkatest.Body(t, consumerURL+"/metrics")
	assert.Contains(t, consumerMetrics, `ticket_processor_consumer_dead_lettered_total{reason="malformed"} 0`, "InitSeries")
	assert.Contains(t, consumerMetrics, "ticket_processor_kafka_client_requests_total", "sarama's metrics")

	// The producer stops by itself after MAX_TICKETS; its endpoints with it.
	select {
	case err := <-prod.done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the producer did not stop after MAX_TICKETS")
	}
	assert.Equal(t, 200.0, counter(t, producerReg, "ticket_processor_producer_produced_total"))
	assert.NotEqual(t, 200, kafkatest.Status(producerURL+"/healthz"), "the endpoints stopped with the producer")

	require.Eventually(t, func() bool {
		return counter(t, consumerReg, "ticket_processor_consumer_processed_total") == 200
	}, 30*time.Second, 10*time.Millisecond, "every ticket processed")
	require.NoError(t, cons.stop(t))

	client, err := sarama.NewClient(brokers, sarama.NewConfig())
	require.NoError(t, err)
	defer client.Close()
	for _, topic := range []string{pcfg.Producer.Topic, ccfg.Consumer.OutputTopic, ccfg.Consumer.DLQTopic} {
		partitions, err := client.Partitions(topic)
		require.NoError(t, err, topic)
		assert.Len(t, partitions, 3, "topic %s", topic)
	}
}

// counter returns the sum of a counter's series in reg.
func counter(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, mf := range families {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// TestServicesAnswerBeforeKafkaDoes checks the endpoints come first: while
// no broker answers, /healthz is 200 and /readyz says why it is 503, and
// the service gives up only when ctx ends.
func TestServicesAnswerBeforeKafkaDoes(t *testing.T) {
	unreachable := []string{fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))}
	tests := []struct {
		name string
		run  func(ctx context.Context, addr string) error
	}{
		{"producer", func(ctx context.Context, addr string) error {
			svc, err := producer.NewService(producerConfig(t, unreachable), producer.ServiceOptions{Options: service.Options{Addr: addr}}, zap.NewNop())
			if err != nil {
				return err
			}
			return svc.Run(ctx)
		}},
		{"consumer", func(ctx context.Context, addr string) error {
			svc, err := consumer.NewService(consumerConfig(t, unreachable), consumer.ServiceOptions{Options: service.Options{Addr: addr}}, zap.NewNop())
			if err != nil {
				return err
			}
			return svc.Run(ctx)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))
			s := start(func(ctx context.Context) error { return tt.run(ctx, addr) })
			kafkatest.WaitStatus(t, "http://"+addr+"/healthz", 200, 10*time.Second)
			assert.Equal(t, 503, kafkatest.Status("http://"+addr+"/readyz"))
			assert.Contains(t, kafkatest.Body(t, "http://"+addr+"/readyz"), "connecting to Kafka")
			assert.Contains(t, kafkatest.Body(t, "http://"+addr+"/metrics"), "ticket_processor_build_info")
			require.ErrorContains(t, s.stop(t), "connect to", "gave up on Kafka when ctx ended")
		})
	}
}
