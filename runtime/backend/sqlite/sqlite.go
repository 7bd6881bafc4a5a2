// Package sqlite is the backend.Backend engine on SQLite, through the pure
// Go driver modernc.org/sqlite, so it needs no C toolchain. It owns the
// mapping of the backend interface onto one SQL table and SQLite
// transactions; durability, locking and crash recovery are SQLite's.
//
// The data lives in one table, kv(k BLOB PRIMARY KEY, v BLOB NOT NULL)
// WITHOUT ROWID, whose BLOB keys SQLite orders with memcmp, which is the
// bytewise order the interface promises. The database runs in WAL mode so
// that readers never wait for the writer: a view is a read transaction on a
// connection of its own, and an Update is a BEGIN IMMEDIATE transaction on
// the single write connection. Commits are synced (synchronous=FULL) unless
// Open is given NoSync.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	sqlitedrv "modernc.org/sqlite"

	"github.com/synapsed/storegen/runtime/backend"
	"github.com/synapsed/storegen/runtime/backend/internal/engine"
)

// The database's identity, checked by Open: applicationID ("SGKV") marks a
// file as storegen's, and formatVersion (SQLite's user_version) the layout
// of its tables, so that a later layout change can be recognised.
const (
	applicationID = 0x53474b56
	formatVersion = 1
)

// SQLite primary result codes that mean the file is damaged or is not a
// database; the driver reports extended codes, whose low byte is the
// primary code.
const (
	codeCorrupt = 11 // SQLITE_CORRUPT
	codeNotADB  = 26 // SQLITE_NOTADB
)

// Statements prepared once per connection pool. The range queries are not
// among them: a view or transaction may have several iterators open at a
// time on one connection, and each needs a statement of its own.
const (
	stmtGet = iota
	stmtSet
	stmtDelete
	numStmts
)

var statementSQL = [numStmts]string{
	stmtGet:    `SELECT v FROM kv WHERE k = ?`,
	stmtSet:    `INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`,
	stmtDelete: `DELETE FROM kv WHERE k = ?`,
}

// rangeSQL holds the range queries, indexed by [has an upper bound][reverse].
// A missing lower bound is bound as the empty blob, which sorts before
// every key.
var rangeSQL = [2][2]string{
	{`SELECT k, v FROM kv WHERE k >= ? ORDER BY k`, `SELECT k, v FROM kv WHERE k >= ? ORDER BY k DESC`},
	{`SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k`, `SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k DESC`},
}

type statements [numStmts]*sql.Stmt

// Backend is an SQLite database behind the backend.Backend interface. Its
// methods are safe for concurrent use. Update runs one transaction at a time
// within the process, so it never fails with backend.ErrConflict and its
// function runs exactly once; another process writing the same file makes
// it wait up to the busy timeout.
type Backend struct {
	path string // as given to Open, for messages
	file string // absolute, for the DSN and the sizes of the files
	sync bool

	// write has a single connection, the only one that writes; read is a
	// pool of query_only connections for Get, Stats and views.
	write, read *sql.DB
	writeStmts  statements
	getStmt     *sql.Stmt // stmtGet on read

	gate backend.Gate
	// writer is the single-writer slot: a channel rather than a mutex so a
	// waiting Update can give up when its context ends.
	writer engine.Writer

	views engine.Views[*view] // open views, released by Close
}

var _ backend.Backend = (*Backend)(nil)

// Open opens the SQLite database at path, creating the file and the table
// when path does not exist or is an empty database. A file that is not an
// SQLite database, or is one written by another application, is refused
// with an error wrapping backend.ErrCorrupt that names path.
func Open(path string, opts ...Option) (*Backend, error) {
	c := config{sync: true, busyTimeout: DefaultBusyTimeout}
	for _, o := range opts {
		o(&c)
	}
	file, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	b := &Backend{
		path:   path,
		file:   file,
		sync:   c.sync,
		writer: engine.NewWriter(),
	}
	if err := b.open(c); err != nil {
		_ = b.closeDatabases()
		return nil, err
	}
	return b, nil
}

// open connects both pools, creates or checks the schema and prepares the
// statements. The caller closes whatever was opened if it fails.
func (b *Backend) open(c config) error {
	ctx := context.Background()
	var err error
	if b.write, err = sql.Open("sqlite", dsn(b.file, c, true)); err != nil {
		return b.wrap("open", err)
	}
	// One connection: a second writer would only wait for the first's lock.
	b.write.SetMaxOpenConns(1)
	if err := b.initSchema(ctx); err != nil {
		return err
	}
	if b.read, err = sql.Open("sqlite", dsn(b.file, c, false)); err != nil {
		return b.wrap("open", err)
	}
	// Keep a few read connections warm; views hold one each while open.
	b.read.SetMaxIdleConns(4)
	for i, q := range statementSQL {
		if b.writeStmts[i], err = b.write.PrepareContext(ctx, q); err != nil {
			return b.wrap("open", err)
		}
	}
	if b.getStmt, err = b.read.PrepareContext(ctx, statementSQL[stmtGet]); err != nil {
		return b.wrap("open", err)
	}
	return nil
}

// initSchema creates the table in a new database and refuses a database
// that is not ours. It runs in a write transaction so that two processes
// creating the same file take turns.
func (b *Backend) initSchema(ctx context.Context) error {
	tx, err := b.write.BeginTx(ctx, nil)
	if err != nil {
		return b.wrap("open", err)
	}
	defer tx.Rollback()
	var app, version, objects int64
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT application_id FROM pragma_application_id()),
		(SELECT user_version FROM pragma_user_version()),
		(SELECT count(*) FROM sqlite_schema)`).Scan(&app, &version, &objects)
	if err != nil {
		return b.wrap("open", err)
	}
	switch {
	case app != 0 && app != applicationID:
		return fmt.Errorf("sqlite: open %s: %w: an SQLite database of another application (application_id %#x)",
			b.path, backend.ErrCorrupt, app)
	case objects == 0:
		for _, q := range []string{
			`CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID`,
			fmt.Sprintf(`PRAGMA application_id = %d`, applicationID),
			fmt.Sprintf(`PRAGMA user_version = %d`, formatVersion),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return b.wrap("open", err)
			}
		}
	case app != applicationID:
		return fmt.Errorf("sqlite: open %s: %w: an SQLite database with tables, but not a storegen one",
			b.path, backend.ErrCorrupt)
	case version != formatVersion:
		return fmt.Errorf("sqlite: open %s: format version %d, this package reads version %d",
			b.path, version, formatVersion)
	}
	if err := tx.Commit(); err != nil {
		return b.wrap("open", err)
	}
	return nil
}

// dsn builds the driver's connection string. Every connection gets the busy
// timeout and sync setting; the write connection switches the file to WAL
// mode (a no-op once it is) and begins its transactions IMMEDIATE, taking
// the write lock at BEGIN rather than failing at the first write; read
// connections are query_only.
func dsn(file string, c config, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", c.busyTimeout.Milliseconds()))
	if c.sync {
		q.Add("_pragma", "synchronous(FULL)")
	} else {
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	if write {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	// A file: URI, so that a path holding '?' is not taken for parameters;
	// SQLite decodes the escapes.
	escape := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + escape.Replace(file) + "?" + q.Encode()
}

// wrap adds the operation and path to an error from the driver, and
// backend.ErrCorrupt when SQLite found the file damaged or not a database.
func (b *Backend) wrap(op string, err error) error {
	var se *sqlitedrv.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case codeCorrupt, codeNotADB:
			return fmt.Errorf("sqlite: %s %s: %w: %w", op, b.path, backend.ErrCorrupt, err)
		}
	}
	return fmt.Errorf("sqlite: %s %s: %w", op, b.path, err)
}

// Get implements backend.Backend. It reads on a pooled read connection,
// outside any transaction, so it sees every commit that preceded it.
func (b *Backend) Get(ctx context.Context, key, buf []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	v, err := getValue(ctx, b.getStmt, key, buf)
	if err != nil && err != backend.ErrNotFound {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, b.wrap("get", err)
	}
	return v, err
}

// getValue runs a prepared stmtGet and appends the value to buf. A present
// empty value comes back as a non-nil empty slice even when buf is nil.
func getValue(ctx context.Context, stmt *sql.Stmt, key, buf []byte) ([]byte, error) {
	rows, err := stmt.QueryContext(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, backend.ErrNotFound
	}
	var v sql.RawBytes
	if err := rows.Scan(&v); err != nil {
		return nil, err
	}
	if buf == nil && len(v) == 0 {
		buf = []byte{}
	}
	return append(buf, v...), nil
}

// View implements backend.Backend with a read transaction on a connection
// of its own. In WAL mode SQLite fixes a reader's snapshot at its first
// read, not at BEGIN, so View reads once before returning: the snapshot is
// what had committed when View returned. ctx bounds only the opening; the
// view lives until Close. An open view keeps SQLite from checkpointing the
// log past its snapshot, so long-lived views let the -wal file grow.
func (b *Backend) View(ctx context.Context) (backend.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.gate.Enter(); err != nil {
		return nil, err
	}
	defer b.gate.Exit()
	tx, err := b.read.BeginTx(context.WithoutCancel(ctx), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, b.wrap("view", err)
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM kv LIMIT 1`).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		_ = tx.Rollback()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, b.wrap("view", err)
	}
	v := newView(b, tx)
	b.views.Add(v)
	return v, nil
}

func (b *Backend) untrack(v *view) { b.views.Remove(v) }

// Update implements backend.Backend. It waits for the writer slot (giving
// up if ctx ends), begins an IMMEDIATE transaction on the write connection,
// runs fn and commits. The transaction's statements run under ctx, so a ctx
// that ends while fn runs interrupts them and rolls the transaction back.
// fn must not call Update or Close on the same Backend.
func (b *Backend) Update(ctx context.Context, fn func(backend.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	if err := b.writer.Take(ctx); err != nil {
		return err
	}
	defer b.writer.Give()

	tx, err := b.write.BeginTx(ctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return b.wrap("begin", err)
	}
	t := newTxn(b, tx, ctx)
	// Runs on every return and while a panic unwinds: the transaction ends
	// for its user, and Rollback undoes it unless Commit came first.
	defer func() {
		t.end(backend.ErrTxDone)
		_ = tx.Rollback()
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Iterators the function left open are closed before COMMIT.
	t.end(backend.ErrTxDone)
	if err := tx.Commit(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return b.wrap("commit", err)
	}
	return nil
}

// Flush implements backend.Backend. With the default synchronous=FULL every
// commit is already on disk; with NoSync, Flush syncs the write-ahead log,
// which holds every commit not yet checkpointed. Either way it then runs a
// PASSIVE checkpoint to move the log into the database file as far as open
// views allow. It does not use a FULL checkpoint: that waits out the busy
// timeout whenever a view is open on an older snapshot, and syncs the log
// only when it can copy frames.
func (b *Backend) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.gate.Enter(); err != nil {
		return err
	}
	defer b.gate.Exit()
	// The writer slot keeps this process's commits out while the log is
	// synced and checkpointed.
	if err := b.writer.Take(ctx); err != nil {
		return err
	}
	defer b.writer.Give()
	if !b.sync {
		if err := syncFile(b.file + "-wal"); err != nil {
			return fmt.Errorf("sqlite: flush %s: %w", b.path, err)
		}
		if err := syncFile(filepath.Dir(b.file)); err != nil {
			return fmt.Errorf("sqlite: flush %s: %w", b.path, err)
		}
	}
	var busy, logFrames, checkpointed int64
	err := b.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &checkpointed)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return b.wrap("flush", err)
	}
	return nil
}

// syncFile fsyncs the file or directory at name, if it exists. fsync acts
// on the file, not the descriptor, so this makes durable what SQLite wrote
// through its own descriptors. SQLite holds no locks on the -wal file, so
// opening and closing it here cannot release any.
func syncFile(name string) error {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// Path returns the directory/file the engine stores into.
func (b *Backend) Path() string { return b.file }

// Close implements backend.Backend. It waits for running calls, ends the
// views and iterators still open (their later calls return
// backend.ErrClosed), and closes the database.
func (b *Backend) Close() error {
	if err := b.gate.Close(); err != nil {
		return err
	}
	var errs []error
	for _, v := range b.views.TakeAll() {
		errs = append(errs, v.release(backend.ErrClosed))
	}
	if err := b.closeDatabases(); err != nil {
		errs = append(errs, fmt.Errorf("sqlite: close %s: %w", b.path, err))
	}
	return errors.Join(errs...)
}

// closeDatabases closes the statements and pools that were opened.
func (b *Backend) closeDatabases() error {
	var errs []error
	for _, s := range append(b.writeStmts[:], b.getStmt) {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	for _, db := range []*sql.DB{b.read, b.write} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}
