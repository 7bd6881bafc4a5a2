// Package substrates is an in-process event circuit after Humainary's
// Substrates API: interned hierarchical Names, Subjects with typed State, and
// Circuits that carry typed emissions from the Channels of a Conduit to the
// Pipes its Subscribers register, on one goroutine and in one order. Pipes
// that promise never to block (DirectFunc) may instead be run by an emitter
// that finds the circuit idle, still one at a time and in the same order
// (see DirectAfter). A batch can be handed over whole, without a copy
// (Channel.Hand), and a circuit that work reaches in a steady stream keeps
// watching for it instead of sleeping between batches (see SpinFor).
//
// It owns ordering, subscription timing and an emission path that allocates
// nothing; it does not own what an emission means, buffering for slow
// consumers, or any I/O — those belong to its callers.
package substrates
