#ifndef CSQLITESETUP_H
#define CSQLITESETUP_H

/// Sets SQLite's process-wide options before its first use: multi-thread mode (no mutex around each
/// connection's calls: GRDB gives every connection one serial queue) and no memory statistics (a
/// global mutex around every allocation). `sqlite3_config` is variadic, which Swift cannot call.
/// Returns the first result code that is not SQLITE_OK (SQLITE_MISUSE once SQLite is initialised).
int xinfang_sqlite_setup(void);

#endif
