//! Attachments: one binary file per document. Their types, and their store on SQLite: a blob
//! read at an offset. (On PostgreSQL, see [`super::postgres`].)
//!
//! # Versions
//!
//! An attachment is its own resource (`/documents/{id}/attachment`) with its own validators: a
//! `version` and an `updated_at_ms` column in the `attachments` table. Its version comes from the
//! store-wide counter like every other write (see the parent module), so an attachment's `ETag`
//! never repeats for its URL either, not even after its document is deleted and created again.
//! The document's own version is left alone: its JSON did not change, so a client holding it
//! keeps revalidating with 304 and can still write it with the tag it holds. (The collection's
//! tag moves, since it is the counter; a validator that changes when the representation did not
//! costs one full response, never a wrong one.)
//!
//! # A strong `Last-Modified`
//!
//! `If-Range` may carry a date instead of a tag, and it matches only a `Last-Modified` the
//! server knows to be strong: one whose representation did not change twice during the second
//! it names (RFC 9110 §8.8.2.2, §13.1.5). HTTP-dates have one-second resolution, so two writes
//! in one second give two versions the same date, and a resume of the first against the second
//! would splice two files. So each attachment row remembers when the version before it was
//! written (`previous_at_ms`), write times never go back for a URL (`max(now, last)`, whatever
//! the clock does), and the date is strong only when the version before it is from an earlier
//! second: then every older version is too, and a later write would make another version
//! current. A document's deletion keeps the row, with no body, so the history survives a
//! document created again at the same id.
//!
//! # Offset reads
//!
//! A range is read with SQLite's incremental blob I/O ([`rusqlite::blob::Blob::read_at`]),
//! never by loading the whole blob. SQLite stores a large blob as a chain of overflow pages, and
//! reaching an offset means following the chain; with `auto_vacuum` on (set when the database
//! is created) the pointer-map pages give each next page without reading the pages before the
//! offset. Each read checks, in the same read transaction, that the attachment is still at the
//! version the response describes, so a write that lands during a download ends that download
//! (an error, a connection cut short) instead of mixing two versions in one response.

use std::time::SystemTime;

use std::io::{Read, Write as _};

use rusqlite::{Connection, MAIN_DB, OptionalExtension, params};

use super::sqlite::{Sqlite, next_version};
use super::{StoreError, at, second, version_param};

/// `body` is NULL when the document has no attachment: it never had one, or it was deleted.
/// The trigger removes the body with its document and keeps the row's write times.
///
/// `body` is the last column: only there does SQLite keep a `zeroblob(n)` as a count of zeros
/// in the record. Anywhere else it builds the record with `n` real bytes, twice over, so that
/// storing a 128 MiB upload took 400 MiB of memory (`BODY_LAST` moves it in older databases).
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS attachments (
        document_id INTEGER PRIMARY KEY,
        content_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        previous_at_ms INTEGER,
        body BLOB
    );
    CREATE TRIGGER IF NOT EXISTS attachment_goes_with_its_document
        AFTER DELETE ON documents
        BEGIN
            UPDATE attachments SET body = NULL WHERE document_id = OLD.id;
        END;
";

/// Rebuilds an `attachments` table made with `body` before the other columns (see
/// [`SCHEMA`]), keeping every row, in one transaction. The trigger goes first (SQLite refuses
/// to rename a table while a trigger names one that does not exist) and comes back with
/// [`SCHEMA`].
const BODY_LAST: &str = "
    DROP TRIGGER IF EXISTS attachment_goes_with_its_document;
    CREATE TABLE attachments_body_last (
        document_id INTEGER PRIMARY KEY,
        content_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        previous_at_ms INTEGER,
        body BLOB
    );
    INSERT INTO attachments_body_last
        SELECT document_id, content_type, version, updated_at_ms, previous_at_ms, body
        FROM attachments;
    DROP TABLE attachments;
    ALTER TABLE attachments_body_last RENAME TO attachments;
";

/// Creates the table, or moves `body` last in one made before (see [`SCHEMA`]).
pub(super) fn create_schema(db: &mut Connection) -> Result<(), StoreError> {
    db.execute_batch(SCHEMA)?;
    let last: String = db.query_row(
        "SELECT name FROM pragma_table_info('attachments') ORDER BY cid DESC LIMIT 1",
        [],
        |row| row.get(0),
    )?;
    if last != "body" {
        let tx = db.transaction()?;
        tx.execute_batch(BODY_LAST)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
    }
    Ok(())
}

/// An attachment's validators and what its response headers need, loaded without its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// The store's version at this attachment's last write: it never repeats for its URL.
    pub version: u64,
    /// When the last write happened.
    pub updated_at: SystemTime,
    /// Whether `updated_at`, at one-second resolution, names this version alone (see the
    /// module's documentation): only then may an `If-Range` date match it.
    pub strong_date: bool,
    /// Its length in bytes.
    pub length: u64,
    /// The `Content-Type` it was stored with.
    pub content_type: String,
}

/// How a conditional attachment write ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachmentWrite {
    /// Stored; the attachment's validators now.
    Applied(AttachmentMeta),
    /// Not stored: the attachment was not at the expected version (or, for a create, it
    /// already existed).
    Conflict,
    /// Not stored: the document does not exist.
    NoDocument,
}

/// An attachment's bytes on their way into the store, never whole in memory: a file holding
/// exactly `length` bytes, read from its current position (the HTTP layer spools an upload to
/// an unlinked temporary file as it arrives), or any other reader of that many bytes.
pub struct Upload {
    /// Where the bytes come from.
    pub source: Box<dyn std::io::Read + Send>,
    /// How many bytes it gives.
    pub length: u64,
}

impl Upload {
    /// `bytes`, from memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Upload {
        Upload {
            length: bytes.len() as u64,
            source: Box::new(std::io::Cursor::new(bytes)),
        }
    }
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

/// How much of an upload is copied into the blob at a time.
const COPY_CHUNK: usize = 64 * 1024;

/// What a reader holds: the attachment at `version`, of document `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pinned {
    /// The document's id.
    pub id: i64,
    /// The version every read must still find.
    pub version: u64,
}

impl Sqlite {
    /// Document `id`'s attachment validators, or `None` if it has none. One indexed lookup;
    /// `length()` of a blob reads its size from the record, not its bytes.
    pub(super) async fn attachment_meta(
        &self,
        id: i64,
    ) -> Result<Option<AttachmentMeta>, StoreError> {
        self.run(move |db| attachment_meta(db, id)).await
    }

    /// Stores `upload` as document `id`'s attachment: a replace when `expected` is its current
    /// version, a create when `expected` is `None` and it has none. The check and the write are
    /// one transaction, so two writers holding the same version can never both succeed.
    ///
    /// The row gets a `zeroblob` of the upload's length, and the bytes are copied into it with
    /// incremental blob I/O, [`COPY_CHUNK`] at a time: the attachment is never whole in memory.
    pub(super) async fn put_attachment(
        &self,
        id: i64,
        expected: Option<u64>,
        content_type: String,
        upload: Upload,
    ) -> Result<AttachmentWrite, StoreError> {
        let Upload { mut source, length } = upload;
        let length = i64::try_from(length).map_err(|_| StoreError::Upload("too long".into()))?;
        let clock = self.clock.clone();
        self.run(move |db| {
            let tx = db.transaction()?;
            let document: Option<i64> = tx
                .query_row("SELECT 1 FROM documents WHERE id = ?1", [id], |row| {
                    row.get(0)
                })
                .optional()?;
            if document.is_none() {
                return Ok(AttachmentWrite::NoDocument);
            }
            let current = attachment_meta(&tx, id)?.map(|meta| meta.version);
            if current != expected {
                return Ok(AttachmentWrite::Conflict);
            }
            let now = clock.now_ms();
            let version = next_version(&tx, now)?;
            // The row (if any) holds the last write time, even when the body was deleted.
            tx.execute(
                "INSERT INTO attachments
                     (document_id, body, content_type, version, updated_at_ms, previous_at_ms)
                 VALUES (?1, zeroblob(?2), ?3, ?4, ?5, NULL)
                 ON CONFLICT (document_id) DO UPDATE SET
                     body = excluded.body,
                     content_type = excluded.content_type,
                     version = excluded.version,
                     previous_at_ms = attachments.updated_at_ms,
                     updated_at_ms = max(excluded.updated_at_ms, attachments.updated_at_ms)",
                params![id, length, content_type, version, now],
            )?;
            // `document_id` is the row id (`INTEGER PRIMARY KEY`).
            let mut blob = tx.blob_open(MAIN_DB, "attachments", "body", id, false)?;
            let mut chunk = vec![0; COPY_CHUNK];
            let mut copied = 0usize;
            loop {
                let n = source.read(&mut chunk).map_err(StoreError::io)?;
                if n == 0 {
                    break;
                }
                blob.write_all(&chunk[..n]).map_err(StoreError::io)?;
                copied += n;
            }
            drop(blob);
            if i64::try_from(copied).ok() != Some(length) {
                return Err(StoreError::Upload(format!(
                    "{copied} bytes where {length} were announced"
                )));
            }
            let stored = attachment_meta(&tx, id)?;
            tx.commit()?;
            // The row was just written in this transaction.
            stored
                .map(AttachmentWrite::Applied)
                .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
        })
        .await
    }

    /// Reads `len` bytes at `offset` of the attachment `pinned` names, or `None` if it is no
    /// longer at that version (or the range is not inside it). Only the pages of the range
    /// are read: see the module's documentation.
    pub(super) async fn read_attachment_at(
        &self,
        pinned: Pinned,
        offset: u64,
        len: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.run(move |db| read_at(db, pinned, offset, len)).await
    }

    /// The whole attachment `pinned` names, in one read, or `None` if it is no longer at that
    /// version. What a range costs without offset reads (the baseline of the ranges bench).
    pub(super) async fn read_attachment(
        &self,
        pinned: Pinned,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.run(move |db| {
            let body = db
                .query_row(
                    "SELECT body FROM attachments
                     WHERE document_id = ?1 AND version = ?2 AND body IS NOT NULL",
                    params![pinned.id, version_param(pinned.version)],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(body)
        })
        .await
    }
}

/// The read at an offset behind [`Store::read_attachment_at`](super::Store::read_attachment_at): the version check and the read
/// are one read transaction, so they see one snapshot of the database.
fn read_at(
    db: &mut Connection,
    pinned: Pinned,
    offset: u64,
    len: usize,
) -> Result<Option<Vec<u8>>, StoreError> {
    let tx = db.transaction()?;
    let still: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM attachments
             WHERE document_id = ?1 AND version = ?2 AND body IS NOT NULL",
            params![pinned.id, version_param(pinned.version)],
            |row| row.get(0),
        )
        .optional()?;
    if still.is_none() {
        return Ok(None);
    }
    let blob = tx.blob_open(MAIN_DB, "attachments", "body", pinned.id, true)?;
    let inside = usize::try_from(offset)
        .ok()
        .and_then(|start| Some((start, start.checked_add(len)?)))
        .filter(|&(_, end)| end <= blob.len());
    let Some((start, _)) = inside else {
        return Ok(None);
    };
    let mut bytes = vec![0; len];
    blob.read_at_exact(&mut bytes, start)?;
    drop(blob);
    tx.commit()?;
    Ok(Some(bytes))
}

fn attachment_meta(db: &Connection, id: i64) -> Result<Option<AttachmentMeta>, StoreError> {
    let row = db
        .query_row(
            "SELECT version, updated_at_ms, previous_at_ms, length(body), content_type
             FROM attachments WHERE document_id = ?1 AND body IS NOT NULL",
            [id],
            |row| {
                let previous: Option<i64> = row.get(2)?;
                let updated: i64 = row.get(1)?;
                Ok(AttachmentMeta {
                    version: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                    updated_at: at(updated),
                    strong_date: previous.is_none_or(|previous| second(previous) < second(updated)),
                    length: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                    content_type: row.get(4)?,
                })
            },
        )
        .optional()?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use serde_json::Value;

    use super::*;
    use crate::documents::store::{Clock, Write};

    #[tokio::test]
    async fn an_attachments_table_with_its_body_first_gets_it_last_and_keeps_its_rows() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT,
                     body TEXT NOT NULL, version INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
                 CREATE TABLE collection (id INTEGER PRIMARY KEY CHECK (id = 1),
                     version INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
                 INSERT INTO collection VALUES (1, 2, 0);
                 INSERT INTO documents VALUES (1, 'null', 1, 0);
                 CREATE TABLE attachments (document_id INTEGER PRIMARY KEY, body BLOB,
                     content_type TEXT NOT NULL, version INTEGER NOT NULL,
                     updated_at_ms INTEGER NOT NULL, previous_at_ms INTEGER);
                 INSERT INTO attachments VALUES (1, x'0102', 'text/plain', 2, 0, NULL);
                 CREATE TRIGGER attachment_goes_with_its_document AFTER DELETE ON documents
                     BEGIN UPDATE attachments SET body = NULL WHERE document_id = OLD.id; END;",
            )
            .unwrap();
        let store = Sqlite::init(connection, Clock::system()).unwrap();
        let pinned = Pinned { id: 1, version: 2 };
        let read = store.read_attachment(pinned).await.unwrap();
        assert_eq!(read, Some(vec![1, 2]));
        // The trigger came back: deleting the document removes the body.
        assert!(store.delete(1, 1).await.unwrap());
        assert_eq!(store.attachment_meta(1).await.unwrap(), None);
    }

    async fn store_with_document() -> (Sqlite, i64) {
        let store = Sqlite::in_memory(Clock::system()).unwrap();
        let Write::Applied(doc) = store.insert(Value::Null, None).await.unwrap() else {
            panic!("an unguarded insert was refused");
        };
        (store, doc.id)
    }

    async fn put(store: &Sqlite, id: i64, expected: Option<u64>, bytes: &[u8]) -> AttachmentWrite {
        let kind = "application/octet-stream".to_owned();
        store
            .put_attachment(id, expected, kind, Upload::from_bytes(bytes.to_vec()))
            .await
            .unwrap()
    }

    fn applied(write: AttachmentWrite) -> AttachmentMeta {
        match write {
            AttachmentWrite::Applied(meta) => meta,
            other => panic!("not stored: {other:?}"),
        }
    }

    /// Sets the attachment's write times, as if its writes had happened then.
    fn set_times(store: &Sqlite, id: i64, updated: i64, previous: Option<i64>) {
        super::super::sqlite::lock(&store.db)
            .execute(
                "UPDATE attachments SET updated_at_ms = ?2, previous_at_ms = ?3
                 WHERE document_id = ?1",
                params![id, updated, previous],
            )
            .unwrap();
    }

    #[tokio::test]
    async fn a_write_needs_the_current_version_and_takes_a_new_one() {
        let (store, id) = store_with_document().await;
        assert_eq!(store.attachment_meta(id).await.unwrap(), None);
        assert_eq!(
            put(&store, id, Some(1), b"x").await,
            AttachmentWrite::Conflict
        );
        let first = applied(put(&store, id, None, b"first").await);
        assert_eq!(first.length, 5);
        // A create-only write finds it there now; a write based on the document's tag is stale.
        assert_eq!(
            put(&store, id, None, b"again").await,
            AttachmentWrite::Conflict
        );
        let second = applied(put(&store, id, Some(first.version), b"second!").await);
        assert!(second.version > first.version);
        assert_eq!(second.length, 7);
        assert_eq!(
            put(&store, id, Some(first.version), b"x").await,
            AttachmentWrite::Conflict
        );
        assert_eq!(
            put(&store, id + 1, None, b"x").await,
            AttachmentWrite::NoDocument
        );
    }

    #[tokio::test]
    async fn the_documents_own_version_is_left_alone() {
        let (store, id) = store_with_document().await;
        let before = store.meta(id).await.unwrap().unwrap();
        applied(put(&store, id, None, b"bytes").await);
        assert_eq!(store.meta(id).await.unwrap().unwrap(), before);
    }

    #[tokio::test]
    async fn a_read_at_an_offset_gives_those_bytes_of_that_version_only() {
        let (store, id) = store_with_document().await;
        let bytes: Vec<u8> = (0..=255).cycle().take(100_000).collect();
        let meta = applied(put(&store, id, None, &bytes).await);
        let pinned = Pinned {
            id,
            version: meta.version,
        };
        let read = store
            .read_attachment_at(pinned, 70_000, 4096)
            .await
            .unwrap();
        assert_eq!(read.as_deref(), Some(&bytes[70_000..74_096]));
        // Past the end: nothing, never a short read.
        assert_eq!(
            store
                .read_attachment_at(pinned, 99_000, 4096)
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.read_attachment(pinned).await.unwrap(), Some(bytes));

        applied(put(&store, id, Some(meta.version), b"changed").await);
        assert_eq!(store.read_attachment_at(pinned, 0, 1).await.unwrap(), None);
        assert_eq!(store.read_attachment(pinned).await.unwrap(), None);
    }

    #[tokio::test]
    async fn deleting_the_document_deletes_its_attachment_and_versions_never_repeat() {
        let (store, id) = store_with_document().await;
        let old = applied(put(&store, id, None, b"old").await);
        let document = store.meta(id).await.unwrap().unwrap();
        assert!(store.delete(id, document.version).await.unwrap());
        assert_eq!(store.attachment_meta(id).await.unwrap(), None);

        let Write::Applied(_) = store.create(id, Value::Null).await.unwrap() else {
            panic!("the document was deleted");
        };
        assert_eq!(store.attachment_meta(id).await.unwrap(), None);
        let new = applied(put(&store, id, None, b"new").await);
        assert!(new.version > old.version);
    }

    #[tokio::test]
    async fn the_date_is_strong_only_when_no_other_version_shares_its_second() {
        let (store, id) = store_with_document().await;
        let first = applied(put(&store, id, None, b"1").await);
        assert!(first.strong_date, "the only version there ever was");

        // Two writes in one second: the second version's date also names the first.
        set_times(&store, id, 10_200, None);
        applied(put(&store, id, Some(first.version), b"2").await);
        set_times(&store, id, 10_700, Some(10_200));
        let meta = store.attachment_meta(id).await.unwrap().unwrap();
        assert!(!meta.strong_date);

        // The next write in a later second names that version alone.
        set_times(&store, id, 11_000, Some(10_700));
        assert!(
            store
                .attachment_meta(id)
                .await
                .unwrap()
                .unwrap()
                .strong_date
        );
    }

    #[tokio::test]
    async fn write_times_never_go_back_and_a_write_in_the_same_second_is_weak() {
        let (store, id) = store_with_document().await;
        let first = applied(put(&store, id, None, b"1").await);
        // The last write is dated in the future, as after the clock was set back.
        let future = Clock::system().now_ms() + 3_600_000;
        set_times(&store, id, future, None);
        let second = applied(put(&store, id, Some(first.version), b"2").await);
        assert_eq!(second.updated_at, at(future));
        assert!(!second.strong_date);
    }

    #[tokio::test]
    async fn a_document_created_again_keeps_its_attachments_write_times() {
        let (store, id) = store_with_document().await;
        applied(put(&store, id, None, b"old").await);
        let future = Clock::system().now_ms() + 3_600_000;
        set_times(&store, id, future, None);
        let document = store.meta(id).await.unwrap().unwrap();
        assert!(store.delete(id, document.version).await.unwrap());
        let Write::Applied(_) = store.create(id, Value::Null).await.unwrap() else {
            panic!("the document was deleted");
        };
        // Within the deleted attachment's second: its date would name both.
        let new = applied(put(&store, id, None, b"new").await);
        assert_eq!(new.updated_at, at(future));
        assert!(!new.strong_date);
    }

    #[test]
    fn a_new_database_has_auto_vacuum_for_offset_reads() {
        let store = Sqlite::in_memory(Clock::system()).unwrap();
        let mode: i64 = super::super::sqlite::lock(&store.db)
            .query_row("PRAGMA auto_vacuum", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, 2, "2 is INCREMENTAL");
    }
}
