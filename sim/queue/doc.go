// Package queue is a durable message broker with SQS's at-least-once
// delivery: a received message stays invisible for a visibility timeout and
// is delivered again unless acknowledged, and one received too often moves to
// a dead-letter list. It lets idemsim's workers consume business operations
// the way real job queues hand them out — sometimes twice — as a pure state
// machine on the broker's virtual clock.
package queue
