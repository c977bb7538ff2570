//! Ranged reads: content that a response can serve a part of without producing the whole,
//! [`RangeSource`] and the [`Ranged`] response; and the slicing of a route's 200 into a 206.

use std::future::Future;
use std::hash::{BuildHasher as _, RandomState};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker, ready};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::response::Parts;
use http::{HeaderValue, StatusCode, header};
use http_body::{Body as _, Frame, SizeHint};

use crate::rfc::range::{ByteRange, Ranges, Selection, select};

/// How many bytes one [`RangeSource::read_at`] call is asked for at most: the size of the
/// frames a ranged body sends.
pub const READ_CHUNK: usize = 64 * 1024;

/// Content of a known length that can be read at any offset, so that a range of it is served
/// by reading only that range: a file, a database blob, an object in a store.
///
/// A handler returns it as [`Ranged`]`::new(source)`. On a route with `ranges = true`, a
/// `Range` request then reads only the requested bytes (a 4 KiB range of a 1 GiB file reads
/// 4 KiB); without a range, the whole content is read in chunks of [`READ_CHUNK`] bytes as the
/// client takes them.
///
/// ```
/// use axum_conditional::RangeSource;
/// use bytes::Bytes;
///
/// /// A blob of zeros that is never materialised whole.
/// struct Zeros(u64);
///
/// impl RangeSource for Zeros {
///     fn len(&self) -> u64 {
///         self.0
///     }
///
///     async fn read_at(&mut self, offset: u64, max: usize) -> std::io::Result<Bytes> {
///         let left = self.0.saturating_sub(offset);
///         let n = usize::try_from(left).unwrap_or(usize::MAX).min(max);
///         Ok(Bytes::from(vec![0; n]))
///     }
/// }
/// ```
#[allow(
    clippy::len_without_is_empty,
    reason = "the length is all a response needs; an empty source is answered as any other"
)]
pub trait RangeSource: Send + 'static {
    /// The content's length in bytes. It must not change while the response is sent: the
    /// `Content-Length` and `Content-Range` are computed from it.
    fn len(&self) -> u64;

    /// Reads at most `max` bytes (at least one) starting at `offset`, which is less than
    /// [`len`](RangeSource::len). Fewer bytes than asked are fine (the next call asks for the
    /// rest); none at all, or an error, ends the response body with an error, so that the
    /// client sees a truncated response and never a wrong one.
    fn read_at(
        &mut self,
        offset: u64,
        max: usize,
    ) -> impl Future<Output = io::Result<Bytes>> + Send;
}

/// In-memory content: a range is a slice of it, without a copy.
impl RangeSource for Bytes {
    fn len(&self) -> u64 {
        Bytes::len(self) as u64
    }

    async fn read_at(&mut self, offset: u64, max: usize) -> io::Result<Bytes> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let end = start.saturating_add(max).min(self.len());
        Ok(self.slice(start..end))
    }
}

/// A file read at offsets with `tokio::fs::File` and a seek: a range reads only its bytes.
///
/// ```no_run
/// use axum_conditional::{FileSource, Ranged, conditional, ETag};
///
/// #[conditional(etag = ETag::from_version(1), ranges = true)]
/// async fn download() -> Result<Ranged<FileSource>, axum::http::StatusCode> {
///     let file = FileSource::open("big.iso").await.map_err(|_| axum::http::StatusCode::NOT_FOUND)?;
///     Ok(Ranged::new(file))
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(download);
/// ```
#[derive(Debug)]
pub struct FileSource {
    file: tokio::fs::File,
    len: u64,
    /// Where the file's cursor is, when known: sequential reads need no seek.
    position: Option<u64>,
}

impl FileSource {
    /// The file, with its current length (read from its metadata).
    ///
    /// # Errors
    ///
    /// The error reading the file's metadata.
    pub async fn new(file: tokio::fs::File) -> io::Result<Self> {
        let len = file.metadata().await?.len();
        Ok(Self {
            file,
            len,
            position: None,
        })
    }

    /// Opens the file at `path` for reading.
    ///
    /// # Errors
    ///
    /// The error opening the file or reading its metadata.
    pub async fn open(path: impl AsRef<std::path::Path>) -> io::Result<Self> {
        Self::new(tokio::fs::File::open(path).await?).await
    }
}

impl RangeSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    async fn read_at(&mut self, offset: u64, max: usize) -> io::Result<Bytes> {
        use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
        if self.position != Some(offset) {
            self.position = None;
            self.file.seek(io::SeekFrom::Start(offset)).await?;
        }
        let left = usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX);
        let mut buffer = vec![0; max.min(left)];
        let read = self.file.read(&mut buffer).await?;
        buffer.truncate(read);
        self.position = Some(offset + read as u64);
        Ok(Bytes::from(buffer))
    }
}

/// A response whose content is a [`RangeSource`]: a 200 that streams the whole content, and,
/// on a `#[conditional(…, ranges = true)]` route, a 206 that reads only the requested ranges.
///
/// Its `Content-Type` is `application/octet-stream`; a handler sets another by returning
/// `([(CONTENT_TYPE, "application/pdf")], Ranged::new(source))`.
///
/// ```
/// use axum_conditional::{ETag, Ranged, conditional};
/// use bytes::Bytes;
///
/// #[conditional(etag = ETag::from_version(1), ranges = true)]
/// async fn blob() -> Ranged<Bytes> {
///     Ranged::new(Bytes::from_static(b"0123456789"))
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(blob);
/// ```
#[derive(Debug)]
pub struct Ranged<S> {
    source: S,
}

impl<S: RangeSource> Ranged<S> {
    /// The response for `source`.
    pub fn new(source: S) -> Self {
        Self { source }
    }

    /// The source back.
    pub fn into_inner(self) -> S {
        self.source
    }
}

impl<S: RangeSource> IntoResponse for Ranged<S> {
    fn into_response(self) -> Response {
        let length = self.source.len();
        let slot = SourceSlot(Arc::new(Mutex::new(Some(Box::new(self.source)))));
        let body = PartsBody::new(
            vec![Segment::content(0, length)],
            Content::Slot(slot.clone()),
        );
        let mut response = Response::new(Body::new(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        response.extensions_mut().insert(slot);
        response
    }
}

/// A read in flight: it owns the source, and gives it back with the bytes.
type Read = Pin<Box<dyn Future<Output = (Box<dyn ErasedSource>, io::Result<Bytes>)> + Send>>;

/// [`RangeSource`] as a trait object.
trait ErasedSource: Send {
    fn read_boxed(self: Box<Self>, offset: u64, max: usize) -> Read;
}

impl<S: RangeSource> ErasedSource for S {
    fn read_boxed(mut self: Box<Self>, offset: u64, max: usize) -> Read {
        Box::pin(async move {
            let read = self.read_at(offset, max).await;
            (self as Box<dyn ErasedSource>, read)
        })
    }
}

/// The source of a [`Ranged`] response, shared by its 200 body and its extensions, where the
/// route's finishing step finds it to read ranges instead. Whichever reads first takes it.
#[derive(Clone)]
pub(crate) struct SourceSlot(Arc<Mutex<Option<Box<dyn ErasedSource>>>>);

impl SourceSlot {
    fn take(&self) -> Option<Box<dyn ErasedSource>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// What a ranged body sends, in order.
enum Segment {
    /// Bytes of the framing (multipart headers and delimiters).
    Literal(Bytes),
    /// `len` bytes of the content from `offset`.
    Content { offset: u64, len: u64 },
}

impl Segment {
    fn content(offset: u64, len: u64) -> Self {
        Segment::Content { offset, len }
    }

    fn len(&self) -> u64 {
        match self {
            Segment::Literal(bytes) => bytes.len() as u64,
            Segment::Content { len, .. } => *len,
        }
    }
}

/// Where a ranged body's content comes from.
enum Content {
    /// All of it, in memory.
    Memory(Bytes),
    /// A source, to read at offsets.
    Source(Option<Box<dyn ErasedSource>>),
    /// A [`Ranged`] response's source, taken at the first read.
    Slot(SourceSlot),
}

/// A body of segments: the whole content, a range of it, or the parts of a multipart 206.
struct PartsBody {
    /// Reversed: the next segment is the last.
    segments: Vec<Segment>,
    content: Content,
    reading: Option<Read>,
    remaining: u64,
    /// The multipart boundary, watched for in content read from a source (see [`Watch`]).
    watch: Option<Watch>,
}

impl PartsBody {
    fn new(mut segments: Vec<Segment>, content: Content) -> Self {
        let remaining = segments
            .iter()
            .fold(0u64, |total, segment| total.saturating_add(segment.len()));
        segments.reverse();
        Self {
            segments,
            content,
            reading: None,
            remaining,
            watch: None,
        }
    }

    fn watching(mut self, delimiter: &str) -> Self {
        self.watch = Some(Watch::new(delimiter));
        self
    }

    /// The source to read from, taken out while a read is in flight.
    fn source(&mut self) -> Option<Box<dyn ErasedSource>> {
        match &mut self.content {
            Content::Source(source) => source.take(),
            Content::Slot(slot) => slot.take(),
            Content::Memory(_) => None,
        }
    }

    /// The bytes a finished read gave, as the next frame.
    fn read_done(&mut self, read: io::Result<Bytes>) -> io::Result<Bytes> {
        let mut bytes = read?;
        let Some(Segment::Content { offset, len }) = self.segments.last_mut() else {
            return Err(io::Error::other(
                "a ranged body read without a content segment",
            ));
        };
        if bytes.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the range source ended before the length it stated",
            ));
        }
        let wanted = usize::try_from(*len).unwrap_or(usize::MAX);
        bytes.truncate(wanted);
        let got = bytes.len() as u64;
        *offset += got;
        *len -= got;
        if *len == 0 {
            self.segments.pop();
        }
        self.remaining = self.remaining.saturating_sub(got);
        if self.watch.as_mut().is_some_and(|watch| watch.sees(&bytes)) {
            return Err(io::Error::other(
                "the content holds the multipart boundary; the response is cut short rather than \
                 misread",
            ));
        }
        Ok(bytes)
    }
}

impl http_body::Body for PartsBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        loop {
            if let Some(read) = this.reading.as_mut() {
                let (source, bytes) = ready!(read.as_mut().poll(cx));
                this.reading = None;
                this.content = Content::Source(Some(source));
                return Poll::Ready(Some(this.read_done(bytes).map(Frame::data)));
            }
            let Some(segment) = this.segments.last() else {
                return Poll::Ready(None);
            };
            match segment {
                Segment::Literal(_) | Segment::Content { len: 0, .. } => {
                    let Some(Segment::Literal(bytes)) = this.segments.pop() else {
                        continue;
                    };
                    this.remaining = this.remaining.saturating_sub(bytes.len() as u64);
                    if let Some(watch) = &mut this.watch {
                        watch.new_part();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                &Segment::Content { offset, len } => {
                    if let Content::Memory(all) = &this.content {
                        let bytes = slice(all, offset, len);
                        this.segments.pop();
                        this.remaining = this.remaining.saturating_sub(len);
                        return Poll::Ready(Some(Ok(Frame::data(bytes))));
                    }
                    let Some(source) = this.source() else {
                        return Poll::Ready(Some(Err(io::Error::other(
                            "the range source was already taken",
                        ))));
                    };
                    let max = usize::try_from(len).unwrap_or(usize::MAX).min(READ_CHUNK);
                    this.reading = Some(source.read_boxed(offset, max));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 && self.segments.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// `len` bytes of `all` from `offset`, clamped to what `all` holds.
fn slice(all: &Bytes, offset: u64, len: u64) -> Bytes {
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
    let end = usize::try_from(len)
        .unwrap_or(usize::MAX)
        .saturating_add(start)
        .min(all.len());
    all.slice(start..end)
}

/// Watches content read from a source for the multipart delimiter, across reads. The boundary
/// of such a response is chosen before the content is read: it is 128 random bits, so the
/// content holds it only by a chance of about 2^-128 per byte; if it ever does, the body ends
/// with an error rather than send parts a client would split wrongly.
struct Watch {
    needle: Vec<u8>,
    /// The last `needle.len() - 1` bytes of the current part's content.
    tail: Vec<u8>,
}

impl Watch {
    fn new(delimiter: &str) -> Self {
        Self {
            needle: delimiter.as_bytes().to_vec(),
            tail: Vec::new(),
        }
    }

    fn new_part(&mut self) {
        self.tail.clear();
    }

    /// Whether the needle ends in `bytes`, the part's next content.
    fn sees(&mut self, bytes: &[u8]) -> bool {
        let keep = self.needle.len() - 1;
        let mut joint = std::mem::take(&mut self.tail);
        joint.extend_from_slice(&bytes[..bytes.len().min(keep)]);
        let found = contains(&joint, &self.needle) || contains(bytes, &self.needle);
        if bytes.len() >= keep {
            joint.clear();
            joint.extend_from_slice(&bytes[bytes.len() - keep..]);
        } else {
            let excess = joint.len().saturating_sub(keep);
            joint.drain(..excess);
        }
        self.tail = joint;
        found
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// The finishing step of a route with `ranges = true`, on a response to `GET` or `HEAD` whose
/// preconditions passed: `Accept-Ranges: bytes` on a 200 whose length is known, and the 206 or
/// 416 that `range` (the request's `Range` field, when `If-Range` let it be honoured) asks for.
///
/// Only a 200 is sliced: another status is not the representation a range is of (RFC 9110
/// §14.2 applies ranges to the selected representation, which a 201, a 500 or a 304 is not),
/// and a response that already has `Content-Range` was ranged by the handler itself.
///
/// The answer does not depend on `Accept-Encoding`, so it adds no `Vary` for it. A range is of
/// the identity bytes, the ones the strong `ETag` and `If-Range` (§13.1.5) name, and a 206 is
/// never content-coded here: `ConditionalCompressionLayer` (feature `compression`) compresses
/// no 206, and a single range carries `Content-Range`, which tower-http's `CompressionLayer`
/// spares too. A `multipart/byteranges` 206 carries no `Content-Range` (§14.6 puts one in each
/// part), so tower-http's layer would compress it, and a client or cache would read its parts
/// as ranges of the gzip-coded representation (§8.8.3.3, §8.4.1): that layer must not wrap a
/// `ranges = true` route unless its predicate spares that content type (see the attribute's
/// documentation, "Ranges"). Guessing from `Accept-Encoding` whether such a layer is there
/// instead would answer every browser, which always sends the field, with the full 200.
pub(crate) fn serve(mut response: Response, range: Option<&RangeRequest>) -> Response {
    let slot = response.extensions_mut().remove::<SourceSlot>();
    if response.status() != StatusCode::OK || response.headers().contains_key(header::CONTENT_RANGE)
    {
        return response;
    }
    let Some(length) = response.body().size_hint().exact() else {
        // Unknown until sent: no range can be promised, so none is advertised.
        return response;
    };
    response
        .headers_mut()
        .entry(header::ACCEPT_RANGES)
        .or_insert(HeaderValue::from_static("bytes"));
    let Some(range) = range else {
        return response;
    };
    match select([range.field.as_bytes()], length) {
        Selection::Ignored(_) => response,
        Selection::Unsatisfiable => unsatisfiable(response, length),
        Selection::Partial(ranges) => partial(response, slot, &ranges, length),
    }
}

/// The request's side of a range: its `Range` field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RangeRequest {
    field: HeaderValue,
}

impl RangeRequest {
    /// The `Range` of `headers`, when it has exactly one field line.
    pub(crate) fn of(headers: &http::HeaderMap) -> Option<Self> {
        let mut lines = headers.get_all(header::RANGE).into_iter();
        let (Some(field), None) = (lines.next(), lines.next()) else {
            return None;
        };
        Some(Self {
            field: field.clone(),
        })
    }
}

/// 416 Range Not Satisfiable with `Content-Range: bytes */length` (RFC 9110 §15.5.17), and no
/// content: the handler's body is dropped unread.
fn unsatisfiable(response: Response, length: u64) -> Response {
    let (mut parts, _unread) = response.into_parts();
    parts.status = StatusCode::RANGE_NOT_SATISFIABLE;
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
    ] {
        parts.headers.remove(name);
    }
    parts
        .headers
        .insert(header::CONTENT_RANGE, value(format!("bytes */{length}")));
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    Response::from_parts(parts, Body::empty())
}

/// A 206: one range as it is, several as `multipart/byteranges` (RFC 9110 §14.6), unless the
/// multipart answer would be larger than the 200 (rule 4 of the policy in [`crate::rfc::range`]).
fn partial(response: Response, slot: Option<SourceSlot>, ranges: &Ranges, length: u64) -> Response {
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let multipart = match ranges.single() {
        Some(_) => None,
        None => {
            let framing = Framing::new(content_type.as_ref(), length);
            if framing.total_len(ranges) >= length {
                return response;
            }
            Some(framing)
        }
    };
    let (mut parts, body) = response.into_parts();
    let content = match slot.and_then(|slot| slot.take()) {
        Some(source) => Content::Source(Some(source)),
        None => match collect_now(body, length) {
            Ok(content) => content,
            Err(body) => {
                // The body's length is not what its size hint said: send it as it is.
                parts.headers.remove(header::ACCEPT_RANGES);
                return Response::from_parts(parts, body);
            }
        },
    };
    parts.status = StatusCode::PARTIAL_CONTENT;
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = match (ranges.single(), multipart) {
        (Some(range), _) => single(&mut parts, range, length, content),
        (None, Some(framing)) => framing.body(&mut parts, ranges, content),
        (None, None) => unreachable!("several ranges always have a framing"),
    };
    parts.headers.insert(
        header::CONTENT_LENGTH,
        value(body.size_hint().exact().unwrap_or_default().to_string()),
    );
    Response::from_parts(parts, Body::new(body))
}

fn single(parts: &mut Parts, range: ByteRange, length: u64, content: Content) -> PartsBody {
    parts.headers.insert(
        header::CONTENT_RANGE,
        value(format!("bytes {range}/{length}")),
    );
    PartsBody::new(vec![Segment::content(range.first(), range.len())], content)
}

/// The framing of a `multipart/byteranges` body: its boundary and each part's header lines.
struct Framing {
    boundary: String,
    /// The header lines of a part, but for its `Content-Range`: the representation's
    /// `Content-Type`, as RFC 9110 §14.6 asks.
    content_type: Option<HeaderValue>,
    length: u64,
}

impl Framing {
    fn new(content_type: Option<&HeaderValue>, length: u64) -> Self {
        Self {
            boundary: boundary_candidate(0),
            content_type: content_type.cloned(),
            length,
        }
    }

    /// The header of the part at `index`, with the delimiter before it.
    fn part_head(&self, index: usize, range: ByteRange) -> Vec<u8> {
        let mut head = Vec::with_capacity(160);
        if index > 0 {
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"--");
        head.extend_from_slice(self.boundary.as_bytes());
        head.extend_from_slice(b"\r\n");
        if let Some(content_type) = &self.content_type {
            head.extend_from_slice(b"Content-Type: ");
            head.extend_from_slice(content_type.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(
            format!("Content-Range: bytes {range}/{}\r\n\r\n", self.length).as_bytes(),
        );
        head
    }

    fn closing(&self) -> Vec<u8> {
        format!("\r\n--{}--\r\n", self.boundary).into_bytes()
    }

    /// The length of the whole multipart body. Every boundary candidate has the same length, so
    /// this is known before the boundary is chosen.
    fn total_len(&self, ranges: &Ranges) -> u64 {
        let heads = ranges
            .as_slice()
            .iter()
            .enumerate()
            .map(|(index, &range)| self.part_head(index, range).len() as u64)
            .sum::<u64>();
        heads
            .saturating_add(self.closing().len() as u64)
            .saturating_add(ranges.content_len())
    }

    /// Chooses the boundary (for content in memory, one that none of the parts holds) and sets
    /// the 206's `Content-Type`.
    fn body(mut self, parts: &mut Parts, ranges: &Ranges, content: Content) -> PartsBody {
        let mut watch = true;
        if let Content::Memory(all) = &content {
            watch = false;
            let mut attempt = 0;
            while ranges.as_slice().iter().any(|range| {
                let delimiter = format!("--{}", self.boundary);
                contains(
                    &slice(all, range.first(), range.len()),
                    delimiter.as_bytes(),
                )
            }) {
                attempt += 1;
                self.boundary = boundary_candidate(attempt);
            }
        }
        parts.headers.insert(
            header::CONTENT_TYPE,
            value(format!("multipart/byteranges; boundary={}", self.boundary)),
        );
        let mut segments = Vec::with_capacity(ranges.as_slice().len() * 2 + 1);
        for (index, &range) in ranges.as_slice().iter().enumerate() {
            segments.push(Segment::Literal(self.part_head(index, range).into()));
            segments.push(Segment::content(range.first(), range.len()));
        }
        segments.push(Segment::Literal(self.closing().into()));
        let body = PartsBody::new(segments, content);
        if watch {
            body.watching(&format!("--{}", self.boundary))
        } else {
            body
        }
    }
}

/// A multipart boundary: 128 random bits, so that no one can predict it, and always of the
/// same length (49 characters, under the 70 that RFC 2046 §5.1.1 allows).
fn boundary_candidate(attempt: u64) -> String {
    let state = RandomState::new();
    let high = state.hash_one((attempt, 0u8));
    let low = state.hash_one((attempt, 1u8));
    format!("axum-conditional-{high:016x}{low:016x}")
}

/// A header value the runtime formatted: digits, `bytes`, `*`, `/`, `-`, and the boundary.
fn value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The handler's body as the content of a 206: all of it now when it is ready now (any
/// in-memory body: `Bytes`, `String`, `Json`…), or a source that collects it at the first
/// read (a stream of known length). `Err` gives back, as a body, what was read when the body
/// ended with another length than its size hint said.
fn collect_now(mut body: Body, length: u64) -> Result<Content, Body> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut chunks: Vec<Bytes> = Vec::new();
    loop {
        match Pin::new(&mut body).poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                // Trailers are not content; a range has none.
                if let Ok(data) = frame.into_data() {
                    chunks.push(data);
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Pending => {
                return Ok(Content::Source(Some(Box::new(Collecting {
                    chunks,
                    body: Some(body),
                    length,
                    all: None,
                }))));
            }
            Poll::Ready(None) => {
                let all = concat(chunks);
                return if all.len() as u64 == length {
                    Ok(Content::Memory(all))
                } else {
                    Err(Body::from(all))
                };
            }
        }
    }
}

fn concat(mut chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut all = Vec::with_capacity(chunks.iter().map(Bytes::len).sum());
    for chunk in chunks {
        all.extend_from_slice(&chunk);
    }
    all.into()
}

/// A body of known length that was not ready at once, read whole at the first read.
struct Collecting {
    chunks: Vec<Bytes>,
    body: Option<Body>,
    length: u64,
    all: Option<Bytes>,
}

impl RangeSource for Collecting {
    fn len(&self) -> u64 {
        self.length
    }

    async fn read_at(&mut self, offset: u64, max: usize) -> io::Result<Bytes> {
        if self.all.is_none() {
            if let Some(mut body) = self.body.take() {
                while let Some(frame) =
                    std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
                {
                    if let Ok(data) = frame.map_err(io::Error::other)?.into_data() {
                        self.chunks.push(data);
                    }
                }
            }
            let all = concat(std::mem::take(&mut self.chunks));
            if all.len() as u64 != self.length {
                return Err(io::Error::other(
                    "the response body's length is not the one its size hint stated",
                ));
            }
            self.all = Some(all);
        }
        let all = self.all.as_ref().map_or_else(Bytes::new, Bytes::clone);
        Ok(slice(&all, offset, max as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boundary_found_in_the_content_is_replaced() {
        let content = Bytes::from_static(b"a part that holds --known-boundary, and more");
        let length = content.len() as u64;
        let Selection::Partial(ranges) = select([&b"bytes=0-"[..]], length) else {
            panic!("the whole content");
        };
        let framing = Framing {
            boundary: "known-boundary".to_owned(),
            content_type: None,
            length,
        };
        let mut parts = Response::new(()).into_parts().0;
        let body = framing.body(&mut parts, &ranges, Content::Memory(content));
        let header = parts.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default();
        assert!(
            header.starts_with("multipart/byteranges; boundary=axum-conditional-"),
            "{header}"
        );
        assert!(
            body.watch.is_none(),
            "content in memory is checked, not watched"
        );
    }

    #[test]
    fn the_watch_sees_a_delimiter_split_across_reads() {
        let mut watch = Watch::new("--abc");
        assert!(!watch.sees(b"xx-"));
        assert!(watch.sees(b"-abcyy"));
        watch.new_part();
        assert!(!watch.sees(b"--ab"));
        watch.new_part();
        assert!(!watch.sees(b"c"));
        assert!(!watch.sees(b"-"));
        assert!(!watch.sees(b"-"));
        assert!(!watch.sees(b"a"));
        assert!(watch.sees(b"bc"));
    }
}
