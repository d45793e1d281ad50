//! `Content-Length` framing for the stdio protocols (LSP and DAP share it):
//! an incremental decoder that survives garbage, readers feeding decoded
//! frames into a channel, and a writer that frames bodies.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Bodies larger than this are rejected (and skipped) instead of buffered.
const MAX_BODY: usize = 64 << 20;

/// One unit read from the input stream.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A complete body (not yet parsed).
    Message(String),
    /// Bytes that could not be framed; answered with a parse error.
    Invalid(String),
}

/// Incremental `Content-Length` framing, independent of how bytes arrive.
#[derive(Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Body bytes still to drop after an oversized header.
    skip: usize,
}

impl FrameDecoder {
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.skip > 0 {
            let n = self.skip.min(bytes.len());
            self.skip -= n;
            self.buf.extend_from_slice(&bytes[n..]);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The next complete frame, if the buffer holds one.
    pub fn next_frame(&mut self) -> Option<Frame> {
        let header_end = match find(&self.buf, b"\r\n\r\n") {
            Some(i) => i + 4,
            None => {
                // A header never gets this long: drop the garbage.
                if self.buf.len() > 8192 {
                    self.buf.clear();
                    return Some(Frame::Invalid("header too long".into()));
                }
                return None;
            }
        };
        let header = String::from_utf8_lossy(&self.buf[..header_end - 4]).into_owned();
        let mut length = None;
        for line in header.split("\r\n") {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let Some(length) = length else {
            self.buf.drain(..header_end);
            return Some(Frame::Invalid("missing or invalid Content-Length header".into()));
        };
        if length > MAX_BODY {
            self.buf.drain(..header_end);
            let n = length.min(self.buf.len());
            self.buf.drain(..n);
            self.skip = length - n;
            return Some(Frame::Invalid(format!("message of {length} bytes is too large")));
        }
        if self.buf.len() < header_end + length {
            return None;
        }
        let body: Vec<u8> = self.buf.drain(..header_end + length).skip(header_end).collect();
        Some(match String::from_utf8(body) {
            Ok(s) => Frame::Message(s),
            Err(_) => Frame::Invalid("message body is not UTF-8".into()),
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads frames from an async reader into `tx` until end of input.
pub async fn read_frames<R: AsyncRead + Unpin>(mut input: R, tx: mpsc::Sender<Frame>) {
    let mut decoder = FrameDecoder::default();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match input.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        decoder.feed(&chunk[..n]);
        while let Some(frame) = decoder.next_frame() {
            if tx.send(frame).await.is_err() {
                return;
            }
        }
    }
}

/// Reads frames from a blocking reader (stdin) on the current thread.
pub fn read_frames_blocking<R: std::io::Read>(mut input: R, tx: mpsc::Sender<Frame>) {
    let mut decoder = FrameDecoder::default();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        decoder.feed(&chunk[..n]);
        while let Some(frame) = decoder.next_frame() {
            if tx.blocking_send(frame).is_err() {
                return;
            }
        }
    }
}

/// Writes framed bodies; `flush` after a batch.
pub struct FrameWriter<W> {
    output: W,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    pub fn new(output: W) -> Self {
        FrameWriter { output }
    }

    /// Writes one message: its header, then its body.
    pub async fn write(&mut self, body: &str) -> std::io::Result<()> {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.output.write_all(header.as_bytes()).await?;
        self.output.write_all(body.as_bytes()).await
    }

    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.output.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_and_garbage() {
        let mut d = FrameDecoder::default();
        let body = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let msg = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        d.feed(&msg.as_bytes()[..10]);
        assert_eq!(d.next_frame(), None);
        d.feed(&msg.as_bytes()[10..]);
        assert_eq!(d.next_frame(), Some(Frame::Message(body.into())));
        d.feed(b"garbage\r\n\r\n");
        assert!(matches!(d.next_frame(), Some(Frame::Invalid(_))));
        d.feed(format!("content-length: 2\r\nContent-Type: x\r\n\r\n{{}}{msg}").as_bytes());
        assert_eq!(d.next_frame(), Some(Frame::Message("{}".into())));
        assert_eq!(d.next_frame(), Some(Frame::Message(body.into())));
        assert_eq!(d.next_frame(), None);
    }
}
