//! The store on SQLite: one connection shared by the server's tasks, each query in a blocking
//! task.
//!
//! Every write is a single SQL statement guarded by the version the client based it on, inside
//! a transaction that also advances the store-wide version counter, the collection row's
//! version. SQLite runs one write transaction at a time, so the counter's new value is above
//! every version any document has or ever had, and the next write's is above all of them.
//!
//! The counter needs no table of its own, and it already holds for a database written before
//! versions were store-wide: the collection's version was bumped by every write, so it is above
//! every version ever issued. (The alternative, a per-id "highest version ever" table kept
//! across deletes, keeps per-document versions consecutive but grows with every id ever
//! deleted, and such a database cannot know which versions its deleted documents had.)
//!
//! Ids from `POST` come from an `AUTOINCREMENT` key, so a deleted document's id is not handed
//! out again (SQLite would otherwise reuse the largest id after it is deleted).
//!
//! Write times are this host's clock (a [`Clock`], which a test may move by hand): the database
//! is a file on this host, and every process sharing it reads the same clock.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{
    Clock, Document, Listed, Meta, Page, PageRequest, StoreError, Write, attachment, cut,
    dated_meta, limit_param, meta, version_param,
};

/// The store on one SQLite connection, shared by the server's tasks.
#[derive(Clone)]
pub struct Sqlite {
    pub(super) db: Arc<Mutex<Connection>>,
    /// Dates the writes.
    pub(super) clock: Clock,
}

/// `AUTOINCREMENT`: a deleted id is never handed out again. The collection row's version is
/// the store-wide version counter; it starts at 0, so a new store's first document is at 1.
///
/// `auto_vacuum` only takes effect on a database that has no table yet; it lets an offset read
/// of a large attachment skip the pages before the offset (see [`attachment`]).
///
/// `synchronous = FULL` (SQLite's default, pinned here): a 2xx confirms a write, so its commit
/// must survive whatever happens next. In WAL mode `NORMAL` would survive the process being
/// killed (the log is in the kernel's cache) but could lose the last confirmed writes to a
/// power loss or a kernel crash; `FULL` syncs the log at every commit, one `fsync` per write.
const SCHEMA: &str = "
    PRAGMA auto_vacuum = INCREMENTAL;
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    CREATE TABLE IF NOT EXISTS documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        body TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        previous_at_ms INTEGER,
        request_key TEXT
    );
    CREATE TABLE IF NOT EXISTS collection (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    INSERT OR IGNORE INTO collection (id, version, updated_at_ms)
        VALUES (1, 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
";

/// Rebuilds a `documents` table made before ids were `AUTOINCREMENT`, keeping its rows (and
/// their ids and versions). Ids deleted before the upgrade above the largest remaining one may
/// be handed out once more; their documents still get versions never seen before.
const ADD_AUTOINCREMENT: &str = "
    CREATE TABLE documents_autoincrement (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        body TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    INSERT INTO documents_autoincrement (id, body, version, updated_at_ms)
        SELECT id, body, version, updated_at_ms FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_autoincrement RENAME TO documents;
";

impl Sqlite {
    /// Opens (and creates if needed) the database file at `path`.
    pub(super) fn open(path: &Path, clock: Clock) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?, clock)
    }

    /// A database that lives only as long as the process.
    pub(super) fn in_memory(clock: Clock) -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, clock)
    }

    pub(super) fn init(mut connection: Connection, clock: Clock) -> Result<Self, StoreError> {
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.execute_batch(SCHEMA)?;
        add_autoincrement(&mut connection)?;
        add_previous_at(&connection)?;
        attachment::create_schema(&mut connection)?;
        Ok(Self {
            db: Arc::new(Mutex::new(connection)),
            clock,
        })
    }

    /// Runs `f` on the connection in a blocking task, so SQLite never stalls the async runtime.
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&mut lock(&db)))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// A document's validators, or `None` if it does not exist. One indexed lookup: this is all
    /// a 304 or a 412 costs.
    pub(super) async fn meta(&self, id: i64) -> Result<Option<Meta>, StoreError> {
        self.run(move |db| {
            let row = db
                .query_row(
                    "SELECT version, updated_at_ms, previous_at_ms FROM documents WHERE id = ?1",
                    [id],
                    |row| Ok(dated_meta(row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            Ok(row)
        })
        .await
    }

    /// When this database first served generation `id` (recorded now if this is the first
    /// time), by the store's clock.
    pub(super) async fn generation_since(&self, id: &str) -> Result<i64, StoreError> {
        let id = id.to_owned();
        let clock = self.clock.clone();
        self.run(move |db| {
            db.execute(
                "CREATE TABLE IF NOT EXISTS generations (
                     id TEXT PRIMARY KEY, since_ms INTEGER NOT NULL
                 )",
                [],
            )?;
            db.execute(
                "INSERT OR IGNORE INTO generations (id, since_ms) VALUES (?1, ?2)",
                params![id, clock.now_ms()],
            )?;
            let since = db.query_row(
                "SELECT since_ms FROM generations WHERE id = ?1",
                [&id],
                |row| row.get(0),
            )?;
            Ok(since)
        })
        .await
    }

    /// Whether document `id` is, as it stands, what a `PUT` with `Idempotency-Key: key` wrote
    /// with `body`: that request, resent, was already applied (RFC 9110 §13.1.1).
    pub(super) async fn holds(
        &self,
        id: i64,
        body: Value,
        key: String,
    ) -> Result<bool, StoreError> {
        self.run(move |db| {
            let row: Option<(String, Option<String>)> = db
                .query_row(
                    "SELECT body, request_key FROM documents WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            Ok(row.is_some_and(|(stored, stored_key)| {
                stored_key.as_deref() == Some(key.as_str())
                    && serde_json::from_str::<Value>(&stored).is_ok_and(|stored| stored == body)
            }))
        })
        .await
    }

    /// The collection's validators; they change on every insert, update and delete.
    pub(super) async fn collection_meta(&self) -> Result<Meta, StoreError> {
        self.run(|db| {
            let meta = db.query_row(
                "SELECT version, updated_at_ms FROM collection WHERE id = 1",
                [],
                |row| Ok(meta(row.get(0)?, row.get(1)?)),
            )?;
            Ok(meta)
        })
        .await
    }

    /// A document, or `None`.
    pub(super) async fn get(&self, id: i64) -> Result<Option<Document>, StoreError> {
        self.run(move |db| get(db, id)).await
    }

    /// Every document, by id, with the collection's validators as of that same read.
    pub(super) async fn list(&self, page: PageRequest) -> Result<(Meta, Page), StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let collection = tx.query_row(
                "SELECT version, updated_at_ms FROM collection WHERE id = 1",
                [],
                |row| Ok(meta(row.get(0)?, row.get(1)?)),
            )?;
            // The lengths first: `octet_length` reads a text's size, not its pages.
            let lengths = tx
                .prepare(
                    "SELECT id, octet_length(body) FROM documents WHERE id > ?1
                     ORDER BY id LIMIT ?2",
                )?
                .query_map(params![page.after, limit_param(page.limit)], |row| {
                    Ok((row.get(0)?, row.get::<_, i64>(1)?))
                })?
                .map(|row| row.map(|(id, length)| (id, usize::try_from(length).unwrap_or(0))))
                .collect::<Result<Vec<(i64, usize)>, _>>()?;
            let (taken, next) = cut(&lengths, page.limit);
            let mut items = Vec::with_capacity(taken);
            if let Some(&(last, _)) = taken.checked_sub(1).and_then(|at| lengths.get(at)) {
                let mut statement = tx.prepare(
                    "SELECT id, version, body FROM documents WHERE id > ?1 AND id <= ?2
                     ORDER BY id",
                )?;
                let rows = statement.query_map(params![page.after, last], |row| {
                    Ok(Listed {
                        id: row.get(0)?,
                        version: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                        body: row.get(2)?,
                    })
                })?;
                for row in rows {
                    items.push(row?);
                }
            }
            tx.commit()?;
            Ok((collection, Page { items, next }))
        })
        .await
    }

    /// Creates a document with a new id, never one a deleted document had. With `collection`,
    /// only if the collection is still at that version: the insert and the check are one
    /// atomic step, so two inserts guarded by the same version cannot both succeed.
    pub(super) async fn insert(
        &self,
        body: Value,
        collection: Option<u64>,
    ) -> Result<Write, StoreError> {
        let clock = self.clock.clone();
        self.run(move |db| {
            let tx = db.transaction()?;
            let now = clock.now_ms();
            let Some(version) = advance(&tx, now, collection)? else {
                return Ok(Write::Conflict);
            };
            // A new id, never used before: the only version its URL ever had.
            tx.execute(
                "INSERT INTO documents (body, version, updated_at_ms) VALUES (?1, ?2, ?3)",
                params![body.to_string(), version, now],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(Write::Applied(Document {
                id,
                body,
                meta: dated_meta(version, now, None),
            }))
        })
        .await
    }

    /// Creates document `id` only if it does not exist (`If-None-Match: *`).
    pub(super) async fn create(&self, id: i64, body: Value) -> Result<Write, StoreError> {
        let clock = self.clock.clone();
        self.run(move |db| {
            let tx = db.transaction()?;
            let now = clock.now_ms();
            let version = next_version(&tx, now)?;
            // The URL may have had a document deleted within this very second, whose date
            // this one would repeat: its date is not strong (`previous_at_ms = now`).
            let inserted = tx.execute(
                "INSERT INTO documents (id, body, version, updated_at_ms, previous_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (id) DO NOTHING",
                params![id, body.to_string(), version, now],
            )?;
            if inserted == 0 {
                // Dropping the transaction rolls the counter back too.
                return Ok(Write::Conflict);
            }
            tx.commit()?;
            Ok(Write::Applied(Document {
                id,
                body,
                meta: dated_meta(version, now, Some(now)),
            }))
        })
        .await
    }

    /// Replaces document `id` if it is still at `expected` version.
    pub(super) async fn replace(
        &self,
        id: i64,
        expected: u64,
        body: Value,
    ) -> Result<Write, StoreError> {
        self.replace_keyed(id, expected, body, None).await
    }

    /// [`Sqlite::replace`], remembering the `Idempotency-Key` the request sent (`None`: none)
    /// with the version it writes, for [`Sqlite::holds`].
    pub(super) async fn replace_keyed(
        &self,
        id: i64,
        expected: u64,
        body: Value,
        key: Option<String>,
    ) -> Result<Write, StoreError> {
        let clock = self.clock.clone();
        self.run(move |db| {
            let tx = db.transaction()?;
            let now = clock.now_ms();
            let version = next_version(&tx, now)?;
            let changed = tx.execute(
                &format!(
                    "UPDATE documents SET body = ?1, version = ?2, {DATED}, request_key = ?6
                     WHERE id = ?4 AND version = ?5"
                ),
                params![
                    body.to_string(),
                    version,
                    now,
                    id,
                    version_param(expected),
                    key
                ],
            )?;
            if changed == 0 {
                return Ok(Write::Conflict);
            }
            let document = get(&tx, id)?;
            tx.commit()?;
            Ok(document.map_or(Write::Conflict, Write::Applied))
        })
        .await
    }

    /// Applies `change` to document `id` if it is still at `expected` version. The change is
    /// computed from the stored body inside the same transaction.
    pub(super) async fn update(
        &self,
        id: i64,
        expected: u64,
        change: impl FnOnce(&mut Value) + Send + 'static,
    ) -> Result<Write, StoreError> {
        let clock = self.clock.clone();
        self.run(move |db| {
            let tx = db.transaction()?;
            let Some(mut document) = get(&tx, id)? else {
                return Ok(Write::Conflict);
            };
            if document.meta.version != expected {
                return Ok(Write::Conflict);
            }
            change(&mut document.body);
            let now = clock.now_ms();
            let version = next_version(&tx, now)?;
            let changed = tx.execute(
                &format!(
                    "UPDATE documents SET body = ?1, version = ?2, {DATED}, request_key = NULL
                     WHERE id = ?4 AND version = ?5"
                ),
                params![
                    document.body.to_string(),
                    version,
                    now,
                    id,
                    version_param(expected)
                ],
            )?;
            if changed == 0 {
                return Ok(Write::Conflict);
            }
            let Some(stored) = get(&tx, id)? else {
                return Ok(Write::Conflict);
            };
            tx.commit()?;
            document.meta = stored.meta;
            Ok(Write::Applied(document))
        })
        .await
    }

    /// Deletes document `id` if it is still at `expected` version. `Ok(false)` if it was not.
    pub(super) async fn delete(&self, id: i64, expected: u64) -> Result<bool, StoreError> {
        let clock = self.clock.clone();
        self.run(move |db| {
            let tx = db.transaction()?;
            let deleted = tx.execute(
                "DELETE FROM documents WHERE id = ?1 AND version = ?2",
                params![id, version_param(expected)],
            )?;
            if deleted == 0 {
                return Ok(false);
            }
            next_version(&tx, clock.now_ms())?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }
}

/// A poisoned lock only means another request panicked mid-query; SQLite's transaction was
/// rolled back, so the connection is still consistent.
pub(super) fn lock(db: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    db.lock().unwrap_or_else(PoisonError::into_inner)
}

fn get(db: &Connection, id: i64) -> Result<Option<Document>, StoreError> {
    let row = db
        .query_row(
            "SELECT body, version, updated_at_ms, previous_at_ms FROM documents WHERE id = ?1",
            [id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                ))
            },
        )
        .optional()?;
    let Some((body, version, updated, previous)) = row else {
        return Ok(None);
    };
    Ok(Some(Document {
        id,
        body: serde_json::from_str(&body)?,
        meta: dated_meta(version, updated, previous),
    }))
}

/// Advances the store-wide version counter (the collection's version) and returns its new
/// value, the version of whatever this write creates or changes. Called inside the write's
/// transaction, so a write that ends up changing nothing rolls it back.
pub(super) fn next_version(db: &Connection, now: i64) -> Result<i64, StoreError> {
    let advanced = advance(db, now, None)?;
    // The collection row is made with the schema and never deleted.
    advanced.ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
}

/// Like `next_version`, but with `expected`, only if the counter is still at that version;
/// `None` if it is not.
fn advance(db: &Connection, now: i64, expected: Option<u64>) -> Result<Option<i64>, StoreError> {
    let version = db
        .query_row(
            "UPDATE collection SET version = version + 1, updated_at_ms = ?1
             WHERE id = 1 AND (?2 IS NULL OR version = ?2)
             RETURNING version",
            params![now, expected.map(version_param)],
            |row| row.get(0),
        )
        .optional()?;
    Ok(version)
}

/// The date columns of a document write (`?3` is now): the time of the write before is kept,
/// and a write is never dated before it, whatever the clock does, so a date names at most the
/// versions of its own second (RFC 9110 §8.8.2.2; see [`super::Meta::strong_date`]).
const DATED: &str = "previous_at_ms = updated_at_ms, updated_at_ms = max(?3, updated_at_ms)";

/// Adds `previous_at_ms` to a `documents` table made before it. The rows already there do not
/// know when their version before was written, so their dates are not strong until their next
/// write (`previous_at_ms = updated_at_ms`).
fn add_previous_at(db: &Connection) -> Result<(), StoreError> {
    let has_column = db
        .prepare("SELECT 1 FROM pragma_table_info('documents') WHERE name = 'previous_at_ms'")?
        .exists([])?;
    if !has_column {
        db.execute_batch(
            "ALTER TABLE documents ADD COLUMN previous_at_ms INTEGER;
             UPDATE documents SET previous_at_ms = updated_at_ms;",
        )?;
    }
    // The `Idempotency-Key` of the `PUT` that wrote the current version, if it sent one.
    let has_key = db
        .prepare("SELECT 1 FROM pragma_table_info('documents') WHERE name = 'request_key'")?
        .exists([])?;
    if !has_key {
        db.execute_batch("ALTER TABLE documents ADD COLUMN request_key TEXT;")?;
    }
    Ok(())
}

/// Rebuilds the `documents` table of a database made before its ids were `AUTOINCREMENT`.
fn add_autoincrement(db: &mut Connection) -> Result<(), StoreError> {
    let tx = db.transaction()?;
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'",
        [],
        |row| row.get(0),
    )?;
    if !sql.to_ascii_uppercase().contains("AUTOINCREMENT") {
        tx.execute_batch(ADD_AUTOINCREMENT)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;

    /// The schema before ids were `AUTOINCREMENT` and versions store-wide, with its history:
    /// documents 1 to 3 were created, 3 was changed once and deleted, and 2 was changed once.
    const OLD_DATABASE: &str = "
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            body TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL
        );
        CREATE TABLE collection (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL
        );
        INSERT INTO collection VALUES (1, 8, 0);
        INSERT INTO documents VALUES (1, '{\"n\":1}', 1, 0), (2, '{\"n\":2}', 2, 0);
    ";

    fn schema_of_documents(store: &Sqlite) -> String {
        lock(&store.db)
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'documents'",
                [],
                |row| row.get(0),
            )
            .unwrap()
    }

    #[tokio::test]
    async fn an_old_database_gets_autoincrement_and_keeps_its_documents() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(OLD_DATABASE).unwrap();
        let store = Sqlite::init(connection, Clock::system()).unwrap();
        assert!(schema_of_documents(&store).contains("AUTOINCREMENT"));

        let first = PageRequest {
            after: i64::MIN,
            limit: 10,
        };
        let (collection, page) = store.list(first).await.unwrap();
        assert_eq!(collection.version, 8);
        let kept: Vec<(i64, u64)> = page.items.iter().map(|d| (d.id, d.version)).collect();
        assert_eq!(kept, [(1, 1), (2, 2)]);

        // The deleted document 3 is created again: its version is above any it could have had.
        let Write::Applied(again) = store.create(3, Value::Null).await.unwrap() else {
            panic!("document 3 exists");
        };
        assert_eq!(again.meta.version, 9);
        // The largest id is deleted; POST does not hand it out again.
        assert!(store.delete(3, 9).await.unwrap());
        let Write::Applied(posted) = store.insert(Value::Null, None).await.unwrap() else {
            panic!("an unguarded insert was refused");
        };
        assert_eq!(posted.id, 4);
        assert_eq!(posted.meta.version, 11);
    }

    #[tokio::test]
    async fn opening_a_database_twice_changes_nothing() {
        let path = std::env::temp_dir().join(format!(
            "documents-store-{}-{}.db",
            std::process::id(),
            Clock::system().now_ms()
        ));
        let first = Sqlite::open(&path, Clock::system()).unwrap();
        let Write::Applied(doc) = first.insert(Value::Null, None).await.unwrap() else {
            panic!("an unguarded insert was refused");
        };
        drop(first);
        let second = Sqlite::open(&path, Clock::system()).unwrap();
        assert_eq!(second.get(doc.id).await.unwrap(), Some(doc));
        assert_eq!(second.collection_meta().await.unwrap().version, 1);
        drop(second);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
