// Package serventis is the operational vocabulary of storegen, after
// Humainary's Serventis API: the signals of Services, Monitors (Condition,
// Confidence, Status), Reporters (Situation), Probes, Resources and Queues,
// instruments that emit them on substrates conduits, and the Assessor that
// turns windows of latency and errors into a Status.
//
// It owns what a signal means and how a Status is judged; it does not own
// what a store counts as an operation or a failure, how signals are
// delivered (that is substrates), or any export such as Prometheus.
package serventis
