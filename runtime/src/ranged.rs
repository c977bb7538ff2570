//! Ranged reads: content that a response can serve a part of without producing the whole,
//! [`RangeSource`] and the [`Ranged`] response; and the slicing of a route's 200 into a 206.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body::{Frame, SizeHint};

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
pub trait RangeSource: Send + 'static {
    /// The content's length in bytes. It must not change while the response is sent: the
    /// `Content-Length` and `Content-Range` are computed from it.
    #[allow(
        clippy::len_without_is_empty,
        reason = "the length is all a response needs"
    )]
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
        self.len() as u64
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
    fn length(&self) -> u64;
    fn read_boxed(self: Box<Self>, offset: u64, max: usize) -> Read;
}

impl<S: RangeSource> ErasedSource for S {
    fn length(&self) -> u64 {
        self.len()
    }

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

    fn length(&self) -> Option<u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|source| source.length())
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
        }
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

/// The finishing step of a route with `ranges = true`, on a 2xx response to `GET` or `HEAD`:
/// `Accept-Ranges: bytes` on a 200 whose length is known, and the 206 or 416 that `range` (the
/// request's `Range` field, when the preconditions let it be honoured) asks for.
pub(crate) fn serve(response: Response, range: Option<&HeaderValue>) -> Response {
    let slot = response.extensions().get::<SourceSlot>().cloned();
    if response.status() != StatusCode::OK || response.headers().contains_key(header::CONTENT_RANGE)
    {
        return response;
    }
    let _ = (slot, range);
    response
}
