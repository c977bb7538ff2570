//! The document store: one interface, on SQLite (embedded, the default) or on PostgreSQL
//! (shared by several instances of the service).
//!
//! Every document has a version and a modification time, and so does the collection as a
//! whole. Every write is one compare-and-swap in the database: a replace is
//! `UPDATE … WHERE id = ? AND version = ?`, a create is an insert that does nothing when the id
//! exists. Two writers holding the same version can therefore never both succeed, whichever
//! process or machine they run in: the second one changes zero rows. The library keeps no state
//! between requests, so this, and validators that every instance computes alike from the
//! stored row, is all that "no lost update" needs across instances.
//!
//! # Versions never repeat for a URL
//!
//! A document's `ETag` is made from its version, so a version must never come back for the
//! same URL, not even after the document is deleted and created again. If it did, a cache
//! revalidating the deleted document's tag would get a 304 and keep serving the deleted body
//! (RFC 9110 §13.1.2: a 304 says the stored response is still current), and a client holding
//! that tag would overwrite a document it never saw (`If-Match` passes, §13.1.1): a lost
//! update. Ids alone cannot guarantee this, since `PUT` creates a document at whatever id the
//! client names.
//!
//! So versions are store-wide: one counter that only grows (SQLite: the collection row;
//! PostgreSQL: a sequence) gives every write (create, replace, patch, delete, attachment) a
//! value never issued before, whatever the URL and whichever way the document was created. A
//! document's versions still grow with each of its writes (a client can tell newer from older),
//! but they are not consecutive, and a tag shows how many writes the whole store has seen,
//! which this single-tenant example does not need to hide. See [`sqlite`] and [`postgres`] for
//! how each database keeps these promises.
//!
//! # Validators come from the database
//!
//! `Last-Modified` is a column the write sets. On PostgreSQL it is the database server's
//! clock, so instances with skewed clocks give the same date for the same row; on SQLite the
//! database is a file on one host, whose clock every process sharing it reads.

mod attachment;
pub mod postgres;
pub mod sqlite;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub use attachment::{AttachmentMeta, AttachmentWrite, Pinned, Upload};

/// The largest id a client may choose: `PUT /documents/{id}` with `If-None-Match: *` creates
/// a document only at an id from 1 to this, 2^53 - 1.
///
/// Ids a client chooses and ids `POST` allocates share one key space, and `POST` allocates above
/// every id ever used (SQLite's `AUTOINCREMENT`; on PostgreSQL a chosen id advances the
/// sequence the same way, see [`postgres`]). A chosen id of 2^63 - 1 would leave nothing to
/// allocate, and every later `POST` would fail for good, also after that document is deleted.
/// Bounded here, a client can move the allocator at most to 2^53, leaving it 2^63 - 2^53 ids.
/// 2^53 - 1 is also the largest integer every JSON reader keeps exact (RFC 7493 §2.2), and ids
/// travel in JSON bodies. Ids `POST` allocates past it are documents like any other.
pub const MAX_CHOSEN_ID: i64 = (1 << 53) - 1;

/// The most documents a page of the collection holds, and how many when the client does not
/// say. Memory is bounded by [`PAGE_BYTES`]; the count keeps a page of small documents short
/// enough to read.
pub const MAX_PAGE: usize = 1000;
/// See [`MAX_PAGE`].
pub const DEFAULT_PAGE: usize = 100;

/// A page ends before the document that would start past this many bytes of bodies (it always
/// holds one): a listing costs the server at most this plus one document, never the whole
/// store. (Unpaginated, 8 concurrent listings of 100 documents of 1.9 MB held 2.67 GB.)
pub const PAGE_BYTES: usize = 1024 * 1024;

/// Which page of the collection: the documents whose id is above `after`, by id, at most
/// `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// The last id of the page before (the cursor); `i64::MIN` for the first page.
    pub after: i64,
    /// At most this many documents, from 1 to [`MAX_PAGE`].
    pub limit: usize,
}

/// A document as a page lists it: its JSON text as stored, copied into the response unparsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Its id.
    pub id: i64,
    /// Its version.
    pub version: u64,
    /// Its body, the JSON text the store holds.
    pub body: String,
}

/// A page of the collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The documents, by id.
    pub items: Vec<Listed>,
    /// The cursor of the next page, when there are documents after this one.
    pub next: Option<i64>,
}

/// How many of `rows` (ids and body lengths in bytes, in id order, at most `limit + 1`) a page
/// takes, and the cursor of the page after it. The two stores read the lengths first, without
/// the bodies, then only the bodies this returns.
fn cut(rows: &[(i64, usize)], limit: usize) -> (usize, Option<i64>) {
    let mut bytes = 0usize;
    for (taken, &(_, length)) in rows.iter().enumerate() {
        if taken == limit || (taken > 0 && bytes >= PAGE_BYTES) {
            return (taken, Some(rows[taken - 1].0));
        }
        bytes = bytes.saturating_add(length);
    }
    (rows.len(), None)
}

/// Where the SQLite store reads the time of a write (`Last-Modified`): the system clock, or
/// one a test moves by hand, so that a test of what happens a second later does not wait a
/// second. (On PostgreSQL the time is the database server's, see [`postgres`].)
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The host's clock, `SystemTime::now`.
    pub fn system() -> Clock {
        Clock::new(SystemTime::now)
    }

    /// A clock that reads `now`.
    pub fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Clock {
        Clock(std::sync::Arc::new(now))
    }

    /// Now, in milliseconds since the Unix epoch (0 before it).
    pub(crate) fn now_ms(&self) -> i64 {
        let elapsed = (self.0)().duration_since(UNIX_EPOCH).unwrap_or_default();
        i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").finish_non_exhaustive()
    }
}

/// A document's validators: what a conditional request is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    /// The store's version at this document's last write (see the module's documentation):
    /// it grows with every write and never repeats for a URL.
    pub version: u64,
    /// When the last write happened, by the database's clock.
    pub updated_at: SystemTime,
    /// Whether `updated_at` is a strong validator: no other version of the document was
    /// written within its second, so its `Last-Modified` names this version and no other
    /// (RFC 9110 §8.8.2.2). A date that is not strong never vouches for the current version:
    /// an `If-Unmodified-Since` naming its second gets a 412, an `If-Modified-Since` the full
    /// 200. The SQLite store knows (it keeps when the version before was written); the
    /// PostgreSQL store does not yet, and says `false`, the safe answer.
    pub strong_date: bool,
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
    /// existed; for a replace, it no longer exists; for a guarded insert, the collection was not
    /// at the expected version).
    Conflict,
}

/// What can go wrong in the store.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite failed.
    Sqlite(rusqlite::Error),
    /// PostgreSQL failed (or the connection to it).
    Postgres(tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    Pool(String),
    /// A stored body is not JSON (the table was written by something else).
    Corrupt(serde_json::Error),
    /// The blocking task running the query panicked or was cancelled.
    Task(String),
    /// An upload could not be read into the store (its spool file failed, or it gave another
    /// length than it announced).
    Upload(String),
}

impl StoreError {
    fn io(e: std::io::Error) -> StoreError {
        StoreError::Upload(e.to_string())
    }

    /// Whether the database is out of reach rather than refusing this request: no connection
    /// could be had or it broke (PostgreSQL down or restarting: SQLSTATE classes 08 and 57P),
    /// or SQLite stayed locked by another process past its busy timeout. Trying again later
    /// may succeed, so the answer is a 503, not a 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Pool(_) => true,
            StoreError::Postgres(e) => {
                let io = std::error::Error::source(e)
                    .is_some_and(|source| source.is::<std::io::Error>());
                let code = e.as_db_error().map(|db| db.code().code());
                e.is_closed()
                    || io
                    || code.is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
            }
            StoreError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            StoreError::Corrupt(_) | StoreError::Task(_) | StoreError::Upload(_) => false,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "database error: {e}"),
            // The server's message, not just "db error".
            StoreError::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "database error: {db}"),
                None => write!(f, "database error: {e}"),
            },
            StoreError::Pool(e) => write!(f, "no database connection: {e}"),
            StoreError::Corrupt(e) => write!(f, "stored document is not JSON: {e}"),
            StoreError::Task(e) => write!(f, "database task failed: {e}"),
            StoreError::Upload(e) => write!(f, "upload not stored: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Postgres(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e)
    }
}

/// The document store, on whichever database the server was started with. Cloning it is
/// cheap: the clones share one connection (SQLite) or one pool (PostgreSQL).
#[derive(Clone)]
pub struct Store(Backend);

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Calls the same method on whichever backend the store has.
macro_rules! dispatch {
    ($store:ident . $method:ident ( $($arg:expr),* )) => {
        match &$store.0 {
            Backend::Sqlite(db) => db.$method($($arg),*).await,
            Backend::Postgres(db) => db.$method($($arg),*).await,
        }
    };
}

impl Store {
    /// Opens (and creates if needed) the SQLite database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_clock(path, Clock::system())
    }

    /// Opens the SQLite database file at `path`, dating its writes by `clock`.
    pub fn open_with_clock(path: &Path, clock: Clock) -> Result<Self, StoreError> {
        sqlite::Sqlite::open(path, clock).map(|db| Store(Backend::Sqlite(db)))
    }

    /// A SQLite database that lives only as long as the process.
    pub fn in_memory() -> Result<Self, StoreError> {
        sqlite::Sqlite::in_memory(Clock::system()).map(|db| Store(Backend::Sqlite(db)))
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://user:password@host/db`), and
    /// creates the schema if it is missing (see [`postgres`]: several instances may do this at
    /// once).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        postgres::Postgres::connect(url)
            .await
            .map(|db| Store(Backend::Postgres(db)))
    }

    /// A document's validators, or `None` if it does not exist. One indexed lookup: this is all
    /// a 304 or a 412 costs.
    pub async fn meta(&self, id: i64) -> Result<Option<Meta>, StoreError> {
        dispatch!(self.meta(id))
    }

    /// Representation generation `id` (see [`axum_conditional::Generation`]), dated when this
    /// database first served it, so that every instance sharing the database sends the same
    /// dates.
    pub async fn generation(&self, id: &str) -> Result<axum_conditional::Generation, StoreError> {
        let since_ms = dispatch!(self.generation_since(id))?;
        axum_conditional::Generation::new(id, at(since_ms))
            .map_err(|e| StoreError::Task(e.to_string()))
    }

    /// The collection's validators; they change on every insert, update and delete.
    pub async fn collection_meta(&self) -> Result<Meta, StoreError> {
        dispatch!(self.collection_meta())
    }

    /// A document, or `None`.
    pub async fn get(&self, id: i64) -> Result<Option<Document>, StoreError> {
        dispatch!(self.get(id))
    }

    /// A page of the documents, by id, with the collection's validators as of that same read.
    pub async fn list(&self, page: PageRequest) -> Result<(Meta, Page), StoreError> {
        dispatch!(self.list(page))
    }

    /// Creates a document with a new id. With `collection`, only if the collection is still at
    /// that version: the insert and the check are one atomic step, so two inserts guarded by
    /// the same version cannot both succeed.
    pub async fn insert(&self, body: Value, collection: Option<u64>) -> Result<Write, StoreError> {
        dispatch!(self.insert(body, collection))
    }

    /// Creates document `id` only if it does not exist (`If-None-Match: *`).
    pub async fn create(&self, id: i64, body: Value) -> Result<Write, StoreError> {
        dispatch!(self.create(id, body))
    }

    /// Replaces document `id` if it is still at `expected` version.
    pub async fn replace(&self, id: i64, expected: u64, body: Value) -> Result<Write, StoreError> {
        dispatch!(self.replace(id, expected, body))
    }

    /// [`Store::replace`], remembering the `Idempotency-Key` the request sent with the version
    /// it writes (SQLite; PostgreSQL does not yet), for [`Store::holds`].
    pub async fn replace_keyed(
        &self,
        id: i64,
        expected: u64,
        body: Value,
        key: Option<String>,
    ) -> Result<Write, StoreError> {
        dispatch!(self.replace_keyed(id, expected, body, key))
    }

    /// Whether document `id` is, as it stands, what a `PUT` with `Idempotency-Key: key` wrote
    /// with `body`: that request, resent after its response was lost, was already applied
    /// (RFC 9110 §13.1.1). Equal content alone is not enough: two clients that read the same
    /// counter and both write it plus one send the same body, and the second must get its 412.
    pub async fn holds(&self, id: i64, body: Value, key: String) -> Result<bool, StoreError> {
        dispatch!(self.holds(id, body, key))
    }

    /// Applies `change` to document `id` if it is still at `expected` version. The change is
    /// computed from the stored body inside the same transaction.
    pub async fn update(
        &self,
        id: i64,
        expected: u64,
        change: impl FnOnce(&mut Value) + Send + 'static,
    ) -> Result<Write, StoreError> {
        dispatch!(self.update(id, expected, change))
    }

    /// Deletes document `id` if it is still at `expected` version. `Ok(false)` if it was not.
    pub async fn delete(&self, id: i64, expected: u64) -> Result<bool, StoreError> {
        dispatch!(self.delete(id, expected))
    }

    /// Document `id`'s attachment validators, or `None` if it has none. One indexed lookup
    /// that does not read the attachment's bytes.
    pub async fn attachment_meta(&self, id: i64) -> Result<Option<AttachmentMeta>, StoreError> {
        dispatch!(self.attachment_meta(id))
    }

    /// Stores `upload` as document `id`'s attachment: a replace when `expected` is its current
    /// version, a create when `expected` is `None` and it has none. The check and the write are
    /// one transaction, so two writers holding the same version can never both succeed.
    pub async fn store_attachment(
        &self,
        id: i64,
        expected: Option<u64>,
        content_type: String,
        upload: Upload,
    ) -> Result<AttachmentWrite, StoreError> {
        dispatch!(self.put_attachment(id, expected, content_type, upload))
    }

    /// [`Store::store_attachment`] with `bytes` from memory.
    pub async fn put_attachment(
        &self,
        id: i64,
        expected: Option<u64>,
        content_type: String,
        bytes: Vec<u8>,
    ) -> Result<AttachmentWrite, StoreError> {
        let upload = Upload::from_bytes(bytes);
        self.store_attachment(id, expected, content_type, upload)
            .await
    }

    /// Reads `len` bytes at `offset` of the attachment `pinned` names, or `None` if it is no
    /// longer at that version (or the range is not inside it). Only the range is read from
    /// storage, and the version check and the read see one snapshot.
    pub async fn read_attachment_at(
        &self,
        pinned: Pinned,
        offset: u64,
        len: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        dispatch!(self.read_attachment_at(pinned, offset, len))
    }

    /// The whole attachment `pinned` names, in one read, or `None` if it is no longer at that
    /// version. What a range costs without offset reads (the baseline of the ranges bench).
    pub async fn read_attachment(&self, pinned: Pinned) -> Result<Option<Vec<u8>>, StoreError> {
        dispatch!(self.read_attachment(pinned))
    }
}

/// A page's `limit`, plus the one row that tells whether a page follows, as a SQL parameter.
fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit.min(MAX_PAGE) + 1).unwrap_or(i64::MAX)
}

/// Versions are stored as signed 64-bit integers (both databases have no unsigned type); they
/// start at 1 and only grow, so they fit.
fn version_param(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

fn meta(version: i64, updated_at_ms: i64) -> Meta {
    Meta {
        version: u64::try_from(version).unwrap_or(0),
        updated_at: at(updated_at_ms),
        strong_date: false,
    }
}

/// A document's validators, with the time of the write before this one (`None`: there was
/// none): its date is strong when that write is from an earlier second (RFC 9110 §8.8.2.2).
fn dated_meta(version: i64, updated_at_ms: i64, previous_at_ms: Option<i64>) -> Meta {
    Meta {
        strong_date: previous_at_ms
            .is_none_or(|previous| previous.div_euclid(1000) < updated_at_ms.div_euclid(1000)),
        ..meta(version, updated_at_ms)
    }
}

/// A time stored as milliseconds since the Unix epoch.
fn at(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// The whole second an HTTP-date shows for a time in milliseconds.
fn second(ms: i64) -> i64 {
    ms.div_euclid(1000)
}
