//! Documents in SQLite, with a version and a modification time per document, and one for the
//! collection as a whole.
//!
//! Every write is a single SQL statement guarded by the version the client based it on, inside
//! a transaction that also bumps the collection's version. Two writers holding the same version
//! can therefore never both succeed: the second one changes zero rows.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// A document's validators: what a conditional request is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Incremented by every write.
    pub version: u64,
    /// When the last write happened.
    pub updated_at: SystemTime,
}

/// A stored document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Its id.
    pub id: i64,
    /// Its JSON body.
    pub body: Value,
    /// Its validators.
    pub meta: Meta,
}

/// How a conditional write ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Applied; the document as now stored.
    Applied(Document),
    /// Not applied: the document was not at the expected version (or, for a create, it already
    /// existed; for a replace, it no longer exists).
    Conflict,
}

/// What can go wrong in the store.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite failed.
    Sqlite(rusqlite::Error),
    /// A stored body is not JSON (the table was written by something else).
    Corrupt(serde_json::Error),
    /// The blocking task running the query panicked or was cancelled.
    Task(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "database error: {e}"),
            StoreError::Corrupt(e) => write!(f, "stored document is not JSON: {e}"),
            StoreError::Task(e) => write!(f, "database task failed: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e)
    }
}

/// The document store: one SQLite connection shared by the server's tasks.
#[derive(Clone)]
pub struct Store {
    db: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    CREATE TABLE IF NOT EXISTS documents (
        id INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS collection (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    INSERT OR IGNORE INTO collection (id, version, updated_at_ms)
        VALUES (1, 1, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
";

impl Store {
    /// Opens (and creates if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?)
    }

    /// A database that lives only as long as the process.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(connection: Connection) -> Result<Self, StoreError> {
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.execute_batch(SCHEMA)?;
        Ok(Self {
            db: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `f` on the connection in a blocking task, so SQLite never stalls the async runtime.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
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
    pub async fn meta(&self, id: i64) -> Result<Option<Meta>, StoreError> {
        self.run(move |db| {
            let row = db
                .query_row(
                    "SELECT version, updated_at_ms FROM documents WHERE id = ?1",
                    [id],
                    |row| Ok(meta(row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            Ok(row)
        })
        .await
    }

    /// The collection's validators; they change on every insert, update and delete.
    pub async fn collection_meta(&self) -> Result<Meta, StoreError> {
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
    pub async fn get(&self, id: i64) -> Result<Option<Document>, StoreError> {
        self.run(move |db| get(db, id)).await
    }

    /// Every document, by id, with the collection's validators as of that same read.
    pub async fn list(&self) -> Result<(Meta, Vec<Document>), StoreError> {
        self.run(|db| {
            let tx = db.transaction()?;
            let collection = tx.query_row(
                "SELECT version, updated_at_ms FROM collection WHERE id = 1",
                [],
                |row| Ok(meta(row.get(0)?, row.get(1)?)),
            )?;
            let mut statement =
                tx.prepare("SELECT id, body, version, updated_at_ms FROM documents ORDER BY id")?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get(2)?,
                    row.get(3)?,
                ))
            })?;
            let mut documents = Vec::new();
            for row in rows {
                let (id, body, version, updated) = row?;
                let body = serde_json::from_str(&body)?;
                documents.push(Document {
                    id,
                    body,
                    meta: meta(version, updated),
                });
            }
            drop(statement);
            tx.commit()?;
            Ok((collection, documents))
        })
        .await
    }

    /// Creates a document with a new id.
    pub async fn insert(&self, body: Value) -> Result<Document, StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let now = now_ms();
            tx.execute(
                "INSERT INTO documents (body, version, updated_at_ms) VALUES (?1, 1, ?2)",
                params![body.to_string(), now],
            )?;
            let id = tx.last_insert_rowid();
            bump_collection(&tx, now)?;
            tx.commit()?;
            Ok(Document {
                id,
                body,
                meta: meta(1, now),
            })
        })
        .await
    }

    /// Creates document `id` only if it does not exist (`If-None-Match: *`).
    pub async fn create(&self, id: i64, body: Value) -> Result<Write, StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let now = now_ms();
            let inserted = tx.execute(
                "INSERT INTO documents (id, body, version, updated_at_ms) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (id) DO NOTHING",
                params![id, body.to_string(), now],
            )?;
            if inserted == 0 {
                return Ok(Write::Conflict);
            }
            bump_collection(&tx, now)?;
            tx.commit()?;
            Ok(Write::Applied(Document {
                id,
                body,
                meta: meta(1, now),
            }))
        })
        .await
    }

    /// Replaces document `id` if it is still at `expected` version.
    pub async fn replace(&self, id: i64, expected: u64, body: Value) -> Result<Write, StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let now = now_ms();
            let changed = tx.execute(
                "UPDATE documents SET body = ?1, version = version + 1, updated_at_ms = ?2
                 WHERE id = ?3 AND version = ?4",
                params![body.to_string(), now, id, version_param(expected)],
            )?;
            if changed == 0 {
                return Ok(Write::Conflict);
            }
            bump_collection(&tx, now)?;
            let document = get(&tx, id)?;
            tx.commit()?;
            Ok(document.map_or(Write::Conflict, Write::Applied))
        })
        .await
    }

    /// Applies `change` to document `id` if it is still at `expected` version. The change is
    /// computed from the stored body inside the same transaction.
    pub async fn update(
        &self,
        id: i64,
        expected: u64,
        change: impl FnOnce(&mut Value) + Send + 'static,
    ) -> Result<Write, StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let Some(mut document) = get(&tx, id)? else {
                return Ok(Write::Conflict);
            };
            if document.meta.version != expected {
                return Ok(Write::Conflict);
            }
            change(&mut document.body);
            let now = now_ms();
            let changed = tx.execute(
                "UPDATE documents SET body = ?1, version = version + 1, updated_at_ms = ?2
                 WHERE id = ?3 AND version = ?4",
                params![document.body.to_string(), now, id, version_param(expected)],
            )?;
            if changed == 0 {
                return Ok(Write::Conflict);
            }
            bump_collection(&tx, now)?;
            tx.commit()?;
            document.meta = meta(version_param(expected) + 1, now);
            Ok(Write::Applied(document))
        })
        .await
    }

    /// Deletes document `id` if it is still at `expected` version. `Ok(false)` if it was not.
    pub async fn delete(&self, id: i64, expected: u64) -> Result<bool, StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let deleted = tx.execute(
                "DELETE FROM documents WHERE id = ?1 AND version = ?2",
                params![id, version_param(expected)],
            )?;
            if deleted == 0 {
                return Ok(false);
            }
            bump_collection(&tx, now_ms())?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }
}

/// A poisoned lock only means another request panicked mid-query; SQLite's transaction was
/// rolled back, so the connection is still consistent.
fn lock(db: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    db.lock().unwrap_or_else(PoisonError::into_inner)
}

fn get(db: &Connection, id: i64) -> Result<Option<Document>, StoreError> {
    let row = db
        .query_row(
            "SELECT body, version, updated_at_ms FROM documents WHERE id = ?1",
            [id],
            |row| Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((body, version, updated)) = row else {
        return Ok(None);
    };
    Ok(Some(Document {
        id,
        body: serde_json::from_str(&body)?,
        meta: meta(version, updated),
    }))
}

fn bump_collection(db: &Connection, now: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE collection SET version = version + 1, updated_at_ms = ?1 WHERE id = 1",
        [now],
    )?;
    Ok(())
}

/// SQLite integers are signed; versions start at 1 and only grow, so they fit.
fn version_param(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

fn meta(version: i64, updated_at_ms: i64) -> Meta {
    let millis = u64::try_from(updated_at_ms).unwrap_or(0);
    Meta {
        version: u64::try_from(version).unwrap_or(0),
        updated_at: UNIX_EPOCH + Duration::from_millis(millis),
    }
}

fn now_ms() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}
