//! A minimal HTTP/1.1 client for the runtime API: one keep-alive connection; requests always framed
//! by `Content-Length` (never chunked); responses framed by `Content-Length`, chunked, or by the end
//! of the connection.
//!
//! Hand-rolled rather than hyper or reqwest: the runtime API is plain HTTP on the local machine, one
//! request at a time, and this file costs less start-up time and binary size than either.
//!
//! A connection the server closed while it was idle is replaced transparently, once per request:
//! before writing when the close is already visible, and after writing when the server answered
//! nothing at all — it closes only idle connections, so the request was never processed.

use std::io;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The most a response head may take.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most a response body may take: events are at most 6 MB; anything far larger is not the
/// runtime API talking.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Bodies up to this size go out in the same write as the head.
const INLINE_BODY_BYTES: usize = 64 * 1024;
/// How much room each read asks for.
const READ_CHUNK: usize = 16 * 1024;

/// A response: status, headers (names in lower case) and body.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum HttpError {
    /// No connection could be made.
    Connect(io::Error),
    /// The connection broke (or was closed) before a whole response arrived.
    Broken(io::Error),
    /// The answer is not HTTP/1.1 as this client speaks it.
    Malformed(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Connect(e) => write!(f, "cannot connect: {e}"),
            HttpError::Broken(e) => write!(f, "the connection broke: {e}"),
            HttpError::Malformed(why) => write!(f, "malformed response: {why}"),
        }
    }
}

/// A failed exchange, and whether the server can have seen the request (if not, it may be sent
/// again on a new connection).
struct Failure {
    error: HttpError,
    unanswered: bool,
}

impl Failure {
    fn io(error: io::Error, answered: bool) -> Failure {
        // A closed or reset connection with no answer: the server dropped an idle connection.
        let closed = matches!(
            error.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        );
        Failure { error: HttpError::Broken(error), unanswered: closed && !answered }
    }

    fn malformed(why: impl Into<String>) -> Failure {
        Failure { error: HttpError::Malformed(why.into()), unanswered: false }
    }
}

/// One keep-alive connection to `host:port`, opened on first use and reopened when the server
/// closes it.
#[derive(Debug)]
pub(crate) struct Connection {
    host: String,
    port: u16,
    /// `Host` header: exactly the address connected to.
    authority: String,
    stream: Option<TcpStream>,
    /// Bytes received and not yet consumed.
    received: Vec<u8>,
    /// The request being written (kept to reuse its allocation).
    outgoing: Vec<u8>,
}

impl Connection {
    pub fn new(host: &str, port: u16) -> Connection {
        let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        Connection {
            host: host.to_owned(),
            port,
            authority,
            stream: None,
            received: Vec::with_capacity(READ_CHUNK),
            outgoing: Vec::with_capacity(1024),
        }
    }

    /// `host:port`, as connected to and sent in `Host`.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Sends a request and reads its response. `GET` requests carry no body.
    pub async fn send(&mut self, method: &str, path: &str, body: &[u8]) -> Result<Response, HttpError> {
        let mut retried = false;
        loop {
            let reused = self.connect().await?;
            match self.exchange(method, path, body).await {
                Ok((response, keep_alive)) => {
                    if !keep_alive {
                        self.close();
                    }
                    return Ok(response);
                }
                Err(failure) => {
                    self.close();
                    if !(failure.unanswered && reused && !retried) {
                        return Err(failure.error);
                    }
                    retried = true;
                }
            }
        }
    }

    /// Makes sure a connection is open; returns whether it was already open (reused).
    async fn connect(&mut self) -> Result<bool, HttpError> {
        if let Some(stream) = &self.stream {
            // The server may have closed it while it was idle (or sent something unasked).
            let mut probe = [0u8; 1];
            match stream.try_read(&mut probe) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && self.received.is_empty() => return Ok(true),
                _ => self.close(),
            }
        }
        let stream = TcpStream::connect((self.host.as_str(), self.port)).await.map_err(HttpError::Connect)?;
        // Requests are written whole; waiting to coalesce them would only add latency.
        let _ = stream.set_nodelay(true);
        self.stream = Some(stream);
        Ok(false)
    }

    fn close(&mut self) {
        self.stream = None;
        self.received.clear();
    }

    async fn exchange(&mut self, method: &str, path: &str, body: &[u8]) -> Result<(Response, bool), Failure> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(Failure::io(io::ErrorKind::NotConnected.into(), false));
        };
        self.outgoing.clear();
        self.outgoing.extend_from_slice(method.as_bytes());
        self.outgoing.push(b' ');
        self.outgoing.extend_from_slice(path.as_bytes());
        self.outgoing.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        self.outgoing.extend_from_slice(self.authority.as_bytes());
        if method != "GET" {
            self.outgoing.extend_from_slice(b"\r\nContent-Type: application/json\r\nContent-Length: ");
            self.outgoing.extend_from_slice(body.len().to_string().as_bytes());
        }
        self.outgoing.extend_from_slice(b"\r\n\r\n");
        let inline = method != "GET" && body.len() <= INLINE_BODY_BYTES;
        if inline {
            self.outgoing.extend_from_slice(body);
        }
        stream.write_all(&self.outgoing).await.map_err(|e| Failure::io(e, false))?;
        if !inline && method != "GET" {
            stream.write_all(body).await.map_err(|e| Failure::io(e, false))?;
        }
        read_response(stream, &mut self.received).await
    }
}

/// Reads one response (and whether the connection may be kept).
async fn read_response(stream: &mut TcpStream, received: &mut Vec<u8>) -> Result<(Response, bool), Failure> {
    let head_end = loop {
        if let Some(end) = find(received, b"\r\n\r\n") {
            break end;
        }
        if received.len() > MAX_HEAD_BYTES {
            return Err(Failure::malformed(format!("a response head over {} KiB", MAX_HEAD_BYTES / 1024)));
        }
        let answered = !received.is_empty();
        if fill(stream, received).await.map_err(|e| Failure::io(e, answered))? == 0 {
            return Err(Failure::io(io::ErrorKind::UnexpectedEof.into(), answered));
        }
    };
    let head = parse_head(&received[..head_end])?;
    received.drain(..head_end + 4);
    let mut keep_alive = head.keep_alive;
    let body = match head.framing {
        Framing::Empty => Vec::new(),
        Framing::Length(length) => read_exact_body(stream, received, length).await?,
        Framing::Chunked => read_chunked_body(stream, received).await?,
        Framing::UntilClose => {
            keep_alive = false;
            read_to_close(stream, received).await?
        }
    };
    Ok((Response { status: head.status, headers: head.headers, body }, keep_alive))
}

async fn fill(stream: &mut TcpStream, received: &mut Vec<u8>) -> io::Result<usize> {
    received.reserve(READ_CHUNK);
    stream.read_buf(received).await
}

async fn read_exact_body(stream: &mut TcpStream, received: &mut Vec<u8>, length: usize) -> Result<Vec<u8>, Failure> {
    received.reserve(length.saturating_sub(received.len()));
    while received.len() < length {
        if fill(stream, received).await.map_err(|e| Failure::io(e, true))? == 0 {
            return Err(Failure::io(io::ErrorKind::UnexpectedEof.into(), true));
        }
    }
    let rest = received.split_off(length);
    Ok(std::mem::replace(received, rest))
}

async fn read_chunked_body(stream: &mut TcpStream, received: &mut Vec<u8>) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        let line = read_line(stream, received).await?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| Failure::malformed(format!("a chunk size of `{size_text}`")))?;
        if size == 0 {
            // Trailers, up to an empty line.
            while !read_line(stream, received).await?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(Failure::malformed(format!("a body over {} MiB", MAX_BODY_BYTES / (1024 * 1024))));
        }
        while received.len() < size + 2 {
            if fill(stream, received).await.map_err(|e| Failure::io(e, true))? == 0 {
                return Err(Failure::io(io::ErrorKind::UnexpectedEof.into(), true));
            }
        }
        if &received[size..size + 2] != b"\r\n" {
            return Err(Failure::malformed("a chunk not followed by CRLF"));
        }
        body.extend_from_slice(&received[..size]);
        received.drain(..size + 2);
    }
}

async fn read_line(stream: &mut TcpStream, received: &mut Vec<u8>) -> Result<String, Failure> {
    loop {
        if let Some(end) = find(received, b"\r\n") {
            let line = String::from_utf8_lossy(&received[..end]).into_owned();
            received.drain(..end + 2);
            return Ok(line);
        }
        if received.len() > MAX_HEAD_BYTES {
            return Err(Failure::malformed("a chunk header line too long"));
        }
        if fill(stream, received).await.map_err(|e| Failure::io(e, true))? == 0 {
            return Err(Failure::io(io::ErrorKind::UnexpectedEof.into(), true));
        }
    }
}

async fn read_to_close(stream: &mut TcpStream, received: &mut Vec<u8>) -> Result<Vec<u8>, Failure> {
    loop {
        if received.len() > MAX_BODY_BYTES {
            return Err(Failure::malformed(format!("a body over {} MiB", MAX_BODY_BYTES / (1024 * 1024))));
        }
        if fill(stream, received).await.map_err(|e| Failure::io(e, true))? == 0 {
            return Ok(std::mem::take(received));
        }
    }
}

/// How a response's body is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

#[derive(Debug)]
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
    framing: Framing,
    keep_alive: bool,
}

fn parse_head(bytes: &[u8]) -> Result<Head, Failure> {
    let text = std::str::from_utf8(bytes).map_err(|_| Failure::malformed("a response head that is not text"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(Failure::malformed(format!("a status line `{}`", shorten(status_line))));
    }
    let status = parts
        .next()
        .filter(|code| code.len() == 3)
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|code| (200..600).contains(code))
        .ok_or_else(|| Failure::malformed(format!("a status line `{}`", shorten(status_line))))?;
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(Failure::malformed(format!("a header line `{}`", shorten(line))));
        };
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(Failure::malformed(format!("a header line `{}`", shorten(line))));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let values =
        |name: &'static str| headers.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str());
    let has_token = |name: &'static str, token: &str| {
        values(name).flat_map(|value| value.split(',')).any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let keep_alive =
        if version == "HTTP/1.0" { has_token("connection", "keep-alive") } else { !has_token("connection", "close") };
    let framing = if status == 204 || status == 304 {
        Framing::Empty
    } else if let Some(codings) = values("transfer-encoding").next_back() {
        if codings.rsplit(',').next().is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked")) {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else {
        let mut lengths = values("content-length").map(|value| value.parse::<usize>());
        match (lengths.next(), lengths.all(|other| other.is_ok())) {
            (None, _) => Framing::UntilClose,
            (Some(Ok(length)), true) if length <= MAX_BODY_BYTES => Framing::Length(length),
            (Some(Ok(length)), true) => {
                return Err(Failure::malformed(format!(
                    "a body of {length} bytes (at most {} MiB)",
                    MAX_BODY_BYTES / (1024 * 1024)
                )));
            }
            _ => return Err(Failure::malformed("an invalid Content-Length")),
        }
    };
    let mut seen = values("content-length");
    if let Some(first) = seen.next()
        && seen.any(|other| other != first)
    {
        return Err(Failure::malformed("conflicting Content-Length headers"));
    }
    Ok(Head { status, headers, framing, keep_alive })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// A line of a response, cut for an error message.
fn shorten(line: &str) -> String {
    let mut cut = line.len().min(80);
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    line[..cut].escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Head, String> {
        parse_head(text.as_bytes()).map_err(|f| f.error.to_string())
    }

    #[test]
    fn heads() {
        let ok = head("HTTP/1.1 200 OK\r\nRequest_Id: abc\r\nContent-Length: 12\r\nX-Empty:").unwrap();
        assert_eq!((ok.status, ok.framing, ok.keep_alive), (200, Framing::Length(12), true));
        assert_eq!(ok.headers[0], ("request_id".to_owned(), "abc".to_owned()));
        assert_eq!(ok.headers[2], ("x-empty".to_owned(), String::new()));
        let chunked = head("HTTP/1.1 202 Accepted\r\ntransfer-encoding: gzip, chunked\r\nconnection: Close").unwrap();
        assert_eq!((chunked.framing, chunked.keep_alive), (Framing::Chunked, false));
        assert_eq!(head("HTTP/1.1 204 No Content").unwrap().framing, Framing::Empty);
        assert_eq!(head("HTTP/1.1 200 OK").unwrap().framing, Framing::UntilClose);
        assert!(!head("HTTP/1.0 200 OK\r\nContent-Length: 0").unwrap().keep_alive);
        assert!(head("HTTP/1.0 200 OK\r\nConnection: keep-alive").unwrap().keep_alive);
    }

    #[test]
    fn bad_heads_are_named() {
        assert_eq!(head("SSH-2.0-OpenSSH").unwrap_err(), "malformed response: a status line `SSH-2.0-OpenSSH`");
        assert!(head("HTTP/1.1 2000 OK").unwrap_err().contains("status line"));
        assert!(head("HTTP/1.1 100 Continue").unwrap_err().contains("status line"));
        assert!(head("HTTP/1.1 200 OK\r\nno colon").unwrap_err().contains("header line `no colon`"));
        assert!(head("HTTP/1.1 200 OK\r\n folded: x").unwrap_err().contains("header line"));
        assert!(head("HTTP/1.1 200 OK\r\nContent-Length: -1").unwrap_err().contains("invalid Content-Length"));
        assert!(head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2").unwrap_err().contains("conflicting"));
        assert!(head("HTTP/1.1 200 OK\r\nContent-Length: 99999999999").unwrap_err().contains("at most 64 MiB"));
    }

    #[test]
    fn authorities() {
        assert_eq!(Connection::new("127.0.0.1", 9001).authority(), "127.0.0.1:9001");
        assert_eq!(Connection::new("::1", 9001).authority(), "[::1]:9001");
    }
}
