// Package gateway is the payment processor idemsim's servers call across the
// network, with its own ledger of charges: the ground truth of money moved,
// against which every strategy's double charges are counted. It is a pure
// state machine on the caller's virtual clock — three duplicate policies
// (Stripe-like idempotency keys, a Braintree-like duplicate window, none) and
// two-phase processing, so the world can put latency and faults between a
// charge beginning and money moving.
package gateway
