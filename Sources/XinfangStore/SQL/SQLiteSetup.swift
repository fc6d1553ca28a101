internal import CSQLiteSetup
import GRDB
import GRDBSQLite

/// SQLite's process-wide options, set once before its first connection (see `xinfang_sqlite_setup`).
///
/// Debian's SQLite is built thread-safe in its serialized mode (`THREADSAFE=1`) with memory
/// statistics on, so every call on a connection took the connection's mutex and every allocation a
/// global one: about 5 % of the writer thread's samples in P1 (docs/BENCHMARKS.md). GRDB already
/// serializes each connection on its own queue, the multi-thread mode it documents as the one it
/// supports. Every store opens through `NodeDatabase.open` or `inMemory`, which call `apply()`
/// first.
enum SQLiteSetup {
    /// SQLITE_OK (0) when the options were set; SQLITE_MISUSE (21) when something in the process
    /// used SQLite first (its defaults then stay, which is slower but as correct).
    static let result: Int32 = xinfang_sqlite_setup()

    /// Sets the options if SQLite is not in use yet; call before opening a connection.
    static func apply() { _ = result }

    /// Whether `db`'s connection has a mutex of its own (SQLite's serialized mode).
    static func hasConnectionMutex(_ db: Database) -> Bool { sqlite3_db_mutex(db.sqliteConnection) != nil }
}
