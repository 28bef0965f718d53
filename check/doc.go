// Package check is idemsim's oracle, in two independent parts that must
// agree.
//
// Audit compares a run's ledger with what each client concluded and names
// every violation per business operation: duplicate, lost, stuck,
// wrong-answer, unconfirmed (it took effect and every client gave up
// untold) and orphan-charge (money the gateway moved that no payment row
// accounts for, with its amount); for each stuck or unconfirmed one it
// says why the client gave up (GiveUp). It sees the end state, the
// answers and the faults that fired.
//
// Linearize checks the run's history with porcupine against the sequential
// specification of the response contract the strategy declares (spec.go):
// is there an order of the attempts, each placed at a moment between its
// call and its answer (or anywhere after its call when no answer came),
// in which every answer is one the contract allows and the ledger ends as
// it did? It also sees when answers were given and which payment they
// named.
//
// # What each contract promises
//
//   - replay: a business operation takes effect at most once; a 2xx answer
//     means it has, by this request or an earlier one, and every answer
//     names the same payment, never another operation's.
//   - 409-on-duplicate: a 201 is the first execution, so at most one; a
//     409 says nothing by itself, but one a client stops on as "done"
//     promises that the first has taken effect by then.
//   - 202-then-poll: a 202 to a create accepts the work, which must take
//     effect by the end unless a client is told it failed; a poll answers
//     202 while the key's work is pending, its stored outcome once it is
//     done.
//   - 412-optimistic: a 201 is an execution, at most one; a read (GET)
//     names the payment under the client's reference if it exists and
//     only then.
//   - client-chosen id: a 201 creates the payment at the key, where none
//     is; a 200 or a GET finds it there; every answer names the key; a
//     delete (its own operation) removes the payment, and a 404 says it is
//     not there. A create after a delete creates a second payment: a
//     duplicate of the operation that created the first.
//   - none: every request may perform the operation, so any number of
//     effects is allowed.
//
// Under every contract a 5xx, or no answer at all, may or may not have
// acted; a request the network delivered twice may have acted twice; an
// answer a client stopped on as "done" needs the effect in place, and one
// it stopped on as "failed" needs it never to happen. Which answers a
// client stopped on, and how it read them, are taken from its conclusions
// (world.Outcome), so a 409 that told a client to come back (Retry-After)
// promises nothing.
//
// # Agreement
//
// Linearize gives each partition (the operations and keys that share
// attempts) a verdict, and an illegal one a breach: effects when its final
// counts alone contradict the answers, early or names when only the order
// of the answers or the payments they name do. The two oracles agree on a
// run when, for every partition whose verdict and breach are settled
// (neither unknown):
//
//	the partition's breach is effects
//	  ⇔ the audit finds one of its operations duplicate, lost or
//	    wrong-answer
//
// with two stated exceptions, both about what a contract promises:
//
//   - contract none promises nothing about repeats: its duplicates are
//     left out of the right-hand side (the audit still reports them,
//     since they are what the client needed avoided);
//   - 202-then-poll promises the accepted work: an operation a 202
//     accepted that never took effect, and that no client was told
//     failed, is on the right-hand side (the audit calls it stuck when
//     its client ran out of attempts; in a run cut short by its deadline
//     the client is unfinished, which the audit does not judge).
//
// Stuck, unconfirmed and orphan-charge are never on the right-hand side:
// each is about a client that gave up or money nobody recorded, and no
// answer a client was given contradicts them, so every contract allows
// them (porcupine finds them legal). They are the audit's alone, as the
// business's losses rather than broken promises.
//
// Early and names breaches are porcupine's own: the end state is possible,
// but a client was told "done" before anything that could have done it had
// begun (early-409's 409 to a second request while the first is still
// running, which comes true only if the first then succeeds), a read
// contradicted an answer given before it, or an operation was answered
// with another payment than its own (a key reused for a second operation,
// answered with the first's). The audit cannot see these, so the report
// names them, and the summary counts them beside the illegal partitions.
// A disagreement is a bug in one of the two; TestAuditAndPorcupineAgree
// looks for one over thousands of random-fault worlds of every strategy.
package check
