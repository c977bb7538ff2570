//! The store on PostgreSQL, shared by any number of instances of the service: a pool of
//! `tokio-postgres` connections (`deadpool-postgres`), SQL checked at run time only, so the
//! build needs no database.
//!
//! # The same compare-and-swap as on SQLite
//!
//! A replace is `UPDATE documents SET … WHERE id = $1 AND version = $2`; under PostgreSQL's
//! default isolation (read committed) a second writer holding the same version waits for the
//! first one's row lock, then re-reads the row, finds another version and changes nothing. A
//! create is `INSERT … ON CONFLICT (id) DO NOTHING`. A patch locks the row (`FOR UPDATE`) at the
//! expected version before it computes the new body.
//!
//! # Versions: a sequence
//!
//! Every write takes its version from the sequence `versions` (`nextval`), which never hands out
//! a value twice, whatever rolls back: so a version never repeats for a URL, across delete and
//! re-create too. A replace, patch or delete computes `nextval` after the version it expects
//! was committed and seen by the client, so a document's versions also grow.
//!
//! # The collection's validators
//!
//! Sequence values are not handed out in commit order: a write can take 10, another 11 and
//! commit first. The collection's tag cannot be "the largest version committed", since a
//! listing tagged 11 could then miss the write at 10, and list it later under the same tag (a
//! wrong 304). Nor can every write bump one collection row, which would make all writes of all
//! instances queue on that row's lock.
//!
//! So every write holds a shared advisory lock ([`WRITES`]) from before its `nextval` until it
//! commits, and whoever reads the collection's validators takes that lock exclusively: it waits
//! for the writes in flight, and then every value the sequence handed out belongs to a write
//! that committed or rolled back. The sequence's last value is then the collection's version:
//! a later write takes a larger one, and a rolled-back write only moves the tag without a change
//! (one full response, never a wrong 304). Writers share the lock, so they never wait for each
//! other; only the collection's readers (`GET /documents`, `POST`) queue behind writes.
//!
//! The collection's `Last-Modified` is when the database first saw its version: the `collection`
//! row keeps the last version seen and the database's time of seeing it, updated under the
//! exclusive lock. That is never before the change it reflects.
//!
//! # Dates from the database's clock
//!
//! Every write time is `clock_timestamp()` of the database server, in milliseconds, so every
//! instance sends the same `Last-Modified` for a row however skewed their own clocks are.
//!
//! # Ids
//!
//! `POST` takes ids from the sequence `document_ids`. A `PUT` may create a document at an id
//! the client chooses (up to [`MAX_CHOSEN_ID`](super::MAX_CHOSEN_ID), even one that was
//! deleted: its versions are new all the same), and moves the sequence past that id, as
//! SQLite's `AUTOINCREMENT` does: so `POST` never hands out an id twice, and never has to try
//! ids a client took one by one (it used to, one conflict per id, which a client creating many
//! consecutive ids could make as long as it liked). Creates and `POST`s hold [`IDS`]
//! exclusively, so the sequence only moves forward. An instance starting on a database written
//! before this moves the sequence past its largest id.
//!
//! # Attachments: `bytea`, read with `substring`
//!
//! An attachment is a `bytea` column, stored out of line uncompressed (`STORAGE EXTERNAL`), so
//! `substring(body from … for …)` fetches only the TOAST chunks of the range, and
//! `octet_length(body)` reads the length without the bytes. The alternative, large objects, can
//! also be read at an offset, but they live outside the row: deleting a document would not
//! delete its bytes (they need `lo_unlink`, or they leak), and a version check and a read would
//! be two statements. A `bytea` is deleted, versioned and read with its row, in one statement,
//! one snapshot. Its limit (1 GB per value) is far above this example's 128 MiB.
//!
//! A write still passes through a large object, inside its transaction: a `bytea` parameter is
//! sent whole, so the upload is staged chunk by chunk with `lo_put` and moved into the row with
//! `lo_get` by the database, then unlinked before the commit (see `stage`).
//!
//! # Schema
//!
//! Created at start when missing. Several instances starting at once on an empty database would
//! race in `CREATE … IF NOT EXISTS` (which can fail on a duplicate catalog entry), so the
//! statements run in one transaction under an exclusive advisory lock ([`SCHEMA`]).

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Transaction,
};
use serde_json::Value;
use tokio_postgres::{NoTls, Row};

use super::{
    AttachmentMeta, AttachmentWrite, Document, Listed, Meta, Page, PageRequest, Pinned, StoreError,
    Upload, Write, at, cut, limit_param, meta, second, version_param,
};

/// The advisory lock key the schema is created under: any number, the same in every instance.
pub const SCHEMA: i64 = 0x0064_6f63_7301;

/// The advisory lock key every write holds shared, and the collection's readers exclusively
/// (see the module's documentation).
pub const WRITES: i64 = 0x0064_6f63_7302;

/// The advisory lock key creates and `POST`s hold exclusively while they move the id sequence
/// (see the module's documentation). Taken after [`WRITES`], in the same order everywhere.
pub const IDS: i64 = 0x0064_6f63_7303;

/// How many connections each instance keeps at most.
const POOL_SIZE: usize = 16;

/// The database's clock, in milliseconds since the Unix epoch.
macro_rules! now_ms {
    () => {
        "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
    };
}

/// The collection's version: the sequence's last value, 0 before its first `nextval`.
const LAST_VERSION: &str = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM versions";

/// `client_min_messages`: an instance finding the schema there is the normal case, not worth a
/// notice per object in its log.
const CREATE_SCHEMA: &str = concat!(
    "
    SET LOCAL client_min_messages = warning;
    CREATE SEQUENCE IF NOT EXISTS versions AS bigint;
    CREATE SEQUENCE IF NOT EXISTS document_ids AS bigint;
    CREATE TABLE IF NOT EXISTS documents (
        id bigint PRIMARY KEY,
        body text NOT NULL,
        version bigint NOT NULL,
        updated_at_ms bigint NOT NULL
    );
    CREATE TABLE IF NOT EXISTS generations (
        id text PRIMARY KEY,
        since_ms bigint NOT NULL
    );
    CREATE TABLE IF NOT EXISTS collection (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL,
        updated_at_ms bigint NOT NULL
    );
    INSERT INTO collection (id, version, updated_at_ms) VALUES (1, 0, ",
    now_ms!(),
    ")
        ON CONFLICT (id) DO NOTHING;
    CREATE TABLE IF NOT EXISTS attachments (
        document_id bigint PRIMARY KEY,
        body bytea,
        content_type text NOT NULL,
        version bigint NOT NULL,
        updated_at_ms bigint NOT NULL,
        previous_at_ms bigint
    );
    ALTER TABLE attachments ALTER COLUMN body SET STORAGE EXTERNAL;
    SELECT setval('document_ids', max(id)) FROM documents
        HAVING max(id) > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END
                          FROM document_ids);
    "
);

/// The store on a PostgreSQL connection pool.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
}

impl Postgres {
    /// Connects to `url` and creates the schema when it is missing.
    pub(super) async fn connect(url: &str) -> Result<Self, StoreError> {
        let config = tokio_postgres::Config::from_str(url)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        let store = Postgres { pool };
        store.create_schema().await?;
        Ok(store)
    }

    async fn create_schema(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA])
            .await?;
        // The schema catches the id sequence up with the ids: no create may move it meanwhile.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&IDS])
            .await?;
        tx.batch_execute(CREATE_SCHEMA).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Pool(e.to_string()))
    }

    pub(super) async fn meta(&self, id: i64) -> Result<Option<Meta>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT version, updated_at_ms FROM documents WHERE id = $1")
            .await?;
        let row = client.query_opt(&statement, &[&id]).await?;
        Ok(row.map(|row| meta(row.get(0), row.get(1))))
    }

    /// When the database first served generation `id` (recorded now if this is the first
    /// time): the same for every instance, whatever their clocks.
    pub(super) async fn generation_since(&self, id: &str) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(concat!(
                "WITH new AS (
                     INSERT INTO generations (id, since_ms) VALUES ($1, ",
                now_ms!(),
                ") ON CONFLICT (id) DO NOTHING RETURNING since_ms
                 )
                 SELECT since_ms FROM new
                 UNION ALL
                 SELECT since_ms FROM generations WHERE id = $1"
            ))
            .await?;
        let row = client.query_one(&statement, &[&id]).await?;
        Ok(row.get(0))
    }

    /// [`Postgres::replace`]; the PostgreSQL store does not remember `Idempotency-Key`s yet.
    pub(super) async fn replace_keyed(
        &self,
        id: i64,
        expected: u64,
        body: Value,
        _key: Option<String>,
    ) -> Result<Write, StoreError> {
        self.replace(id, expected, body).await
    }

    /// Never: the PostgreSQL store does not remember which request wrote a version, so a
    /// resent `PUT` gets its 412 there (the safe answer).
    pub(super) async fn holds(
        &self,
        _id: i64,
        _body: Value,
        _key: String,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }

    pub(super) async fn collection_meta(&self) -> Result<Meta, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let meta = collection(&tx).await?;
        tx.commit().await?;
        Ok(meta)
    }

    pub(super) async fn get(&self, id: i64) -> Result<Option<Document>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT body, version, updated_at_ms FROM documents WHERE id = $1")
            .await?;
        let row = client.query_opt(&statement, &[&id]).await?;
        row.map(|row| document(id, &row)).transpose()
    }

    pub(super) async fn list(&self, page: PageRequest) -> Result<(Meta, Page), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // No write is in flight while the lock is held: the rows are those of this version,
        // in both statements.
        let meta = collection(&tx).await?;
        // The lengths first: `octet_length` reads a TOASTed text's size, not its chunks.
        let lengths: Vec<(i64, usize)> = tx
            .query(
                "SELECT id, octet_length(body)::bigint FROM documents WHERE id > $1
                 ORDER BY id LIMIT $2",
                &[&page.after, &limit_param(page.limit)],
            )
            .await?
            .iter()
            .map(|row| {
                (
                    row.get(0),
                    usize::try_from(row.get::<_, i64>(1)).unwrap_or(0),
                )
            })
            .collect();
        let (taken, next) = cut(&lengths, page.limit);
        let mut items = Vec::with_capacity(taken);
        if let Some(&(last, _)) = taken.checked_sub(1).and_then(|at| lengths.get(at)) {
            let rows = tx
                .query(
                    "SELECT id, version, body FROM documents WHERE id > $1 AND id <= $2
                     ORDER BY id",
                    &[&page.after, &last],
                )
                .await?;
            for row in rows {
                items.push(Listed {
                    id: row.get(0),
                    version: u64::try_from(row.get::<_, i64>(1)).unwrap_or(0),
                    body: row.get(2),
                });
            }
        }
        tx.commit().await?;
        Ok((meta, Page { items, next }))
    }

    pub(super) async fn insert(
        &self,
        body: Value,
        collection: Option<u64>,
    ) -> Result<Write, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        match collection {
            Some(expected) => {
                // Exclusive: no write is in flight, so the sequence's last value is the
                // collection's version, and none can start before this one commits.
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITES])
                    .await?;
                let current: i64 = tx.query_one(LAST_VERSION, &[]).await?.get(0);
                if current != version_param(expected) {
                    return Ok(Write::Conflict);
                }
            }
            None => hold_writes(&tx).await?,
        }
        hold_ids(&tx).await?;
        // The sequence is past every id a create made (see the module's documentation), so the
        // id is free: were it not, the insert would fail rather than try the next one.
        let row = tx
            .query_one(
                concat!(
                    "INSERT INTO documents (id, body, version, updated_at_ms)
                     VALUES (nextval('document_ids'), $1, nextval('versions'), ",
                    now_ms!(),
                    ") RETURNING id, version, updated_at_ms"
                ),
                &[&body.to_string()],
            )
            .await?;
        tx.commit().await?;
        Ok(Write::Applied(Document {
            id: row.get(0),
            body,
            meta: meta(row.get(1), row.get(2)),
        }))
    }

    pub(super) async fn create(&self, id: i64, body: Value) -> Result<Write, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        hold_writes(&tx).await?;
        let statement = tx
            .prepare_cached(concat!(
                "INSERT INTO documents (id, body, version, updated_at_ms)
                 VALUES ($1, $2, nextval('versions'), ",
                now_ms!(),
                ") ON CONFLICT (id) DO NOTHING
                 RETURNING version, updated_at_ms"
            ))
            .await?;
        hold_ids(&tx).await?;
        let row = tx.query_opt(&statement, &[&id, &body.to_string()]).await?;
        if row.is_some() {
            // `POST` allocates above this id from now on. (Not transactional: were the commit
            // to fail, the ids skipped are only never used.)
            let statement = tx
                .prepare_cached(
                    "SELECT setval('document_ids', $1) FROM document_ids
                     WHERE NOT is_called OR last_value < $1",
                )
                .await?;
            tx.execute(&statement, &[&id]).await?;
        }
        tx.commit().await?;
        Ok(applied(id, body, row))
    }

    pub(super) async fn replace(
        &self,
        id: i64,
        expected: u64,
        body: Value,
    ) -> Result<Write, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        hold_writes(&tx).await?;
        let row = swap(&tx, id, expected, &body.to_string()).await?;
        tx.commit().await?;
        Ok(applied(id, body, row))
    }

    pub(super) async fn update(
        &self,
        id: i64,
        expected: u64,
        change: impl FnOnce(&mut Value) + Send + 'static,
    ) -> Result<Write, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        hold_writes(&tx).await?;
        // Locked at the expected version: no other write can land before this one commits.
        let statement = tx
            .prepare_cached("SELECT body FROM documents WHERE id = $1 AND version = $2 FOR UPDATE")
            .await?;
        let Some(row) = tx
            .query_opt(&statement, &[&id, &version_param(expected)])
            .await?
        else {
            return Ok(Write::Conflict);
        };
        let mut body: Value = serde_json::from_str(row.get(0))?;
        change(&mut body);
        let row = swap(&tx, id, expected, &body.to_string()).await?;
        tx.commit().await?;
        Ok(applied(id, body, row))
    }

    pub(super) async fn delete(&self, id: i64, expected: u64) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        hold_writes(&tx).await?;
        let statement = tx
            .prepare_cached(
                "WITH deleted AS (
                     DELETE FROM documents WHERE id = $1 AND version = $2 RETURNING id
                 ), attachment AS (
                     UPDATE attachments SET body = NULL
                     FROM deleted WHERE document_id = deleted.id
                 )
                 SELECT count(*) FROM deleted",
            )
            .await?;
        let deleted: i64 = tx
            .query_one(&statement, &[&id, &version_param(expected)])
            .await?
            .get(0);
        if deleted == 0 {
            return Ok(false);
        }
        // The collection changed: its version must move.
        tx.execute("SELECT nextval('versions')", &[]).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn attachment_meta(
        &self,
        id: i64,
    ) -> Result<Option<AttachmentMeta>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT version, updated_at_ms, previous_at_ms, octet_length(body), content_type
                 FROM attachments WHERE document_id = $1 AND body IS NOT NULL",
            )
            .await?;
        let row = client.query_opt(&statement, &[&id]).await?;
        Ok(row.as_ref().map(attachment_meta))
    }

    pub(super) async fn put_attachment(
        &self,
        id: i64,
        expected: Option<u64>,
        content_type: String,
        upload: Upload,
    ) -> Result<AttachmentWrite, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Before the lock: filling it takes as long as the upload is large.
        let staged = stage(&tx, upload).await?;
        hold_writes(&tx).await?;
        // `FOR KEY SHARE`: the document cannot be deleted before this write commits.
        let document = tx
            .query_opt(
                "SELECT 1 FROM documents WHERE id = $1 FOR KEY SHARE",
                &[&id],
            )
            .await?;
        if document.is_none() {
            return Ok(AttachmentWrite::NoDocument);
        }
        let row = match expected {
            // A create: only where there is no attachment, or only the row of a deleted one,
            // whose write time it keeps (see the `attachment` module: dates never go back).
            None => {
                let sql = concat!(
                    "INSERT INTO attachments AS a
                         (document_id, body, content_type, version, updated_at_ms, previous_at_ms)
                     VALUES ($1, lo_get($2), $3, nextval('versions'), ",
                    now_ms!(),
                    ", NULL)
                     ON CONFLICT (document_id) DO UPDATE SET
                         body = excluded.body,
                         content_type = excluded.content_type,
                         version = excluded.version,
                         previous_at_ms = a.updated_at_ms,
                         updated_at_ms = GREATEST(excluded.updated_at_ms, a.updated_at_ms)
                     WHERE a.body IS NULL
                     RETURNING version, updated_at_ms, previous_at_ms, octet_length(body),
                         content_type"
                );
                tx.query_opt(sql, &[&id, &staged, &content_type]).await?
            }
            Some(expected) => {
                let sql = concat!(
                    "UPDATE attachments SET
                         body = lo_get($2),
                         content_type = $3,
                         version = nextval('versions'),
                         previous_at_ms = updated_at_ms,
                         updated_at_ms = GREATEST(",
                    now_ms!(),
                    ", updated_at_ms)
                     WHERE document_id = $1 AND version = $4 AND body IS NOT NULL
                     RETURNING version, updated_at_ms, previous_at_ms, octet_length(body),
                         content_type"
                );
                let expected = version_param(expected);
                tx.query_opt(sql, &[&id, &staged, &content_type, &expected])
                    .await?
            }
        };
        let Some(row) = row else {
            return Ok(AttachmentWrite::Conflict);
        };
        tx.execute("SELECT lo_unlink($1)", &[&staged]).await?;
        tx.commit().await?;
        Ok(AttachmentWrite::Applied(attachment_meta(&row)))
    }

    pub(super) async fn read_attachment_at(
        &self,
        pinned: Pinned,
        offset: u64,
        len: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        // `substring` counts from 1, in 32-bit integers: attachments are far below 2 GiB.
        let (Ok(from), Ok(count)) = (i32::try_from(offset + 1), i32::try_from(len)) else {
            return Ok(None);
        };
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT substring(body FROM $3 FOR $4), octet_length(body) FROM attachments
                 WHERE document_id = $1 AND version = $2 AND body IS NOT NULL",
            )
            .await?;
        let row = client
            .query_opt(
                &statement,
                &[&pinned.id, &version_param(pinned.version), &from, &count],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let length: i32 = row.get(1);
        // Never a short read: a range past the end is not inside this version.
        if i64::from(from) - 1 + i64::from(count) > i64::from(length) {
            return Ok(None);
        }
        Ok(Some(row.get(0)))
    }

    pub(super) async fn read_attachment(
        &self,
        pinned: Pinned,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT body FROM attachments
                 WHERE document_id = $1 AND version = $2 AND body IS NOT NULL",
                &[&pinned.id, &version_param(pinned.version)],
            )
            .await?;
        Ok(row.map(|row| row.get(0)))
    }
}

/// Takes the shared lock every write holds until it commits, before it takes a version (see the
/// module's documentation).
async fn hold_writes(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let statement = tx
        .prepare_cached("SELECT pg_advisory_xact_lock_shared($1)")
        .await?;
    tx.execute(&statement, &[&WRITES]).await?;
    Ok(())
}

/// How much of an upload goes to the database in one statement.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// Copies `upload` into a new large object of the transaction, [`UPLOAD_CHUNK`] at a time, and
/// returns its oid. A `bytea` parameter is sent whole, so a 128 MiB upload would sit in this
/// process's memory (twice, with its encoding); staged this way, the row takes its bytes from
/// the large object inside the database (`lo_get`), and this process holds one chunk. The
/// large object is unlinked before the commit, and a rollback removes it too.
async fn stage(tx: &Transaction<'_>, upload: Upload) -> Result<u32, StoreError> {
    let Upload { mut source, length } = upload;
    let oid: u32 = tx.query_one("SELECT lo_create(0)", &[]).await?.get(0);
    let put = tx.prepare_cached("SELECT lo_put($1, $2, $3)").await?;
    let mut offset = 0i64;
    loop {
        // The spool file is read off the async threads.
        let (chunk, back) = tokio::task::spawn_blocking(move || {
            let mut chunk = Vec::with_capacity(UPLOAD_CHUNK);
            let read = std::io::Read::read_to_end(
                &mut std::io::Read::take(&mut source, UPLOAD_CHUNK as u64),
                &mut chunk,
            );
            read.map(|_| (chunk, source))
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
        .map_err(StoreError::io)?;
        source = back;
        if chunk.is_empty() {
            break;
        }
        tx.execute(&put, &[&oid, &offset, &chunk]).await?;
        offset += chunk.len() as i64;
    }
    if u64::try_from(offset).ok() != Some(length) {
        return Err(StoreError::Upload(format!(
            "{offset} bytes where {length} were announced"
        )));
    }
    Ok(oid)
}

/// Holds [`IDS`] until the transaction ends: the id sequence moves under it only.
async fn hold_ids(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let statement = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await?;
    tx.execute(&statement, &[&IDS]).await?;
    Ok(())
}

/// The collection's validators, with no write in flight: the sequence's last value, and when
/// the database first saw it (recorded now if this is the first time).
async fn collection(tx: &Transaction<'_>) -> Result<Meta, StoreError> {
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await?;
    tx.execute(&lock, &[&WRITES]).await?;
    let statement = tx
        .prepare_cached(concat!(
            // Scalar subqueries, not `UPDATE … FROM`: that would try to lock the sequence's row.
            "WITH last AS (
                 SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS version FROM versions
             ), seen AS (
                 UPDATE collection SET version = (SELECT version FROM last), updated_at_ms = ",
            now_ms!(),
            " WHERE id = 1 AND version <> (SELECT version FROM last)
                 RETURNING version, updated_at_ms
             )
             SELECT version, updated_at_ms FROM seen
             UNION ALL
             SELECT version, updated_at_ms FROM collection
             WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM seen)"
        ))
        .await?;
    let row = tx.query_one(&statement, &[]).await?;
    Ok(meta(row.get(0), row.get(1)))
}

/// The compare-and-swap: document `id` gets `body` and a new version if it is still at
/// `expected`. `None` if it was not (or is gone).
async fn swap(
    tx: &Transaction<'_>,
    id: i64,
    expected: u64,
    body: &str,
) -> Result<Option<Row>, StoreError> {
    let statement = tx
        .prepare_cached(concat!(
            "UPDATE documents SET body = $3, version = nextval('versions'), updated_at_ms = ",
            now_ms!(),
            " WHERE id = $1 AND version = $2
             RETURNING version, updated_at_ms"
        ))
        .await?;
    let row = tx
        .query_opt(&statement, &[&id, &version_param(expected), &body])
        .await?;
    Ok(row)
}

/// The write's outcome from the row it returned (`version`, `updated_at_ms`), if any.
fn applied(id: i64, body: Value, row: Option<Row>) -> Write {
    match row {
        Some(row) => Write::Applied(Document {
            id,
            body,
            meta: meta(row.get(0), row.get(1)),
        }),
        None => Write::Conflict,
    }
}

/// A document from a row starting with `body`, `version`, `updated_at_ms`.
fn document(id: i64, row: &Row) -> Result<Document, StoreError> {
    Ok(Document {
        id,
        body: serde_json::from_str(row.get(0))?,
        meta: meta(row.get(1), row.get(2)),
    })
}

/// Attachment validators from a row of `version`, `updated_at_ms`, `previous_at_ms`, length and
/// `content_type`; the date is strong as on SQLite (see the `attachment` module).
fn attachment_meta(row: &Row) -> AttachmentMeta {
    let updated: i64 = row.get(1);
    let previous: Option<i64> = row.get(2);
    let length: i32 = row.get(3);
    AttachmentMeta {
        version: u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
        updated_at: at(updated),
        strong_date: previous.is_none_or(|previous| second(previous) < second(updated)),
        length: u64::try_from(length).unwrap_or(0),
        content_type: row.get(4),
    }
}
