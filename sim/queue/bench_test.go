package queue_test

import (
	"testing"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/queue"
)

// BenchmarkSendReceiveAck: per iteration, one message sent and one received
// over a backlog of 1,000; nine in ten deliveries are acknowledged at once,
// the tenth times out after 1 s and is acknowledged at its redelivery.
// Reports messages per second (a send and a receive each). A fresh queue
// every 10,000 iterations keeps it the size of a long run, since the queue
// keeps a small record of every message it ever held.
func BenchmarkSendReceiveAck(b *testing.B) {
	const second = sim.Time(1e9)
	var q *queue.Queue
	var now sim.Time
	n := 0
	for b.Loop() {
		if n%10000 == 0 {
			b.StopTimer()
			var err error
			if q, err = queue.New(queue.Config{VisibilityTimeout: sim.Duration(second)}); err != nil {
				b.Fatal(err)
			}
			for range 1000 {
				q.Send(now, "job", 0)
			}
			b.StartTimer()
		}
		now += second / 1000
		q.Send(now, "job", int64(n))
		m, ok := q.Receive(now)
		if !ok {
			b.Fatal("backlog ran dry")
		}
		if n%10 != 0 || m.Receives > 1 {
			if _, err := q.Ack(now, m.Receipt); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "messages/s")
}
