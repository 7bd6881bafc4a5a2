// Package redis is the backend.Backend engine on a Redis server (7.0 or
// later, standalone or a primary; not Redis Cluster), through
// github.com/redis/go-redis/v9. It owns the layout of the data in Redis,
// snapshots for views, and optimistic transactions with retries;
// persistence and replication are the server's to configure.
//
// Layout. Values live in one hash and the keys, for ordered iteration, in
// one sorted set whose scores are all 0, so that ZRANGEBYLEX and
// ZREVRANGEBYLEX return them in bytewise order. A counter holds the number
// of the last commit. Every Redis key starts with the Prefix option, so
// Backends with different prefixes share a database without seeing each
// other's data.
//
// Transactions. Update reads the commit number, runs its function with
// reads served at that number and writes buffered in the process (reads
// see the buffered writes), then commits with one Lua script that applies
// the writes only if the number is still the same, and increments it.
// Redis runs the script atomically, so transactions are serializable: each
// commits as if it had run alone at its commit. The check is on the
// counter, not on the keys read, so any two Updates that overlap conflict,
// even on unrelated keys, and the later one runs its function again.
// Updates of one Backend take turns, so only Backends (usually processes)
// conflict with each other.
//
// Retries. A lost race is retried up to MaxAttempts times in all
// (DefaultMaxAttempts), waiting between attempts for a random time in the
// upper half of a step that starts at 1 ms and doubles up to 50 ms; after
// the last attempt Update returns an error wrapping backend.ErrConflict.
//
// Views. Redis has no snapshots, so each commit also keeps, for a limited
// time (UndoRetention), the values it replaced. A view records the commit
// number when it opens. While no later commit happened its reads are plain
// reads; after, they put back the values that the later commits replaced,
// at a cost that grows with the number of those commits. Once the values
// kept by the first commit after the view opened have expired, the view's
// reads return errors wrapping backend.ErrConflict rather than wrong data;
// a transaction that meets such an error starts over.
package redis
