//! The gateway's pumps (docs/mcp.md): lines from the client to the [`Gateway`] and on to the
//! server, lines from the server through the gateway back to the client, on two threads, until
//! both sides are done. Generic over readers and writers, so the plumbing is tested without a
//! process; `hostguard mcp` hands it a child's pipes.
//!
//! A line is bounded ([`MAX_LINE_BYTES`]): a longer one is never buffered whole — it is
//! skipped to its end, and the client is told (it came from the client) or the line is
//! dropped with a note (it came from the server). Writes that fail end the pump; a lock
//! poisoned by a panicking thread is still used (the gateway's state stays consistent line by
//! line), never unwrapped.

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use hostguard_manager::Clock;
use serde_json::Value;

use crate::gateway::{Action, Gateway};
use crate::jsonrpc::{error_response, MAX_LINE_BYTES};

/// One line read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// A line (without its newline) is in the buffer.
    Line,
    /// A line longer than the bound was skipped; its length.
    TooLong(usize),
    /// The end of the stream.
    Eof,
}

/// Reads one line of at most `max` bytes into `buf` (cleared first); a longer one is skipped
/// to its newline without being kept.
pub fn read_line_bounded<R: BufRead>(
    r: &mut R,
    max: usize,
    buf: &mut Vec<u8>,
) -> io::Result<LineRead> {
    buf.clear();
    let mut skipped: Option<usize> = None;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(match (skipped, buf.is_empty()) {
                (Some(len), _) => LineRead::TooLong(len),
                (None, true) => LineRead::Eof,
                (None, false) => LineRead::Line,
            });
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(at) => (at, true),
            None => (chunk.len(), false),
        };
        match &mut skipped {
            Some(len) => *len = len.saturating_add(take),
            None if buf.len().saturating_add(take) > max => {
                skipped = Some(buf.len().saturating_add(take));
                buf.clear();
            }
            None => buf.extend_from_slice(chunk.get(..take).unwrap_or_default()),
        }
        r.consume(if done { take.saturating_add(1) } else { take });
        if done {
            return Ok(skipped.map_or(LineRead::Line, LineRead::TooLong));
        }
    }
}

/// How a relay ended.
#[derive(Debug, Default)]
pub struct RelayEnd {
    /// Lines longer than the bound, skipped.
    pub too_long: u64,
    /// The first write error, if a side went away.
    pub write_error: Option<io::Error>,
}

/// The shared writer of the client's side (both pumps answer the client).
pub type ClientOut = Arc<Mutex<Box<dyn Write + Send>>>;

/// Relays until the client's input ends (the server's input is then closed, so a well-behaved
/// server exits) and the server's output ends.
pub fn relay<CI, SI, SO>(
    gateway: Arc<Mutex<Gateway>>,
    clock: Arc<dyn Clock>,
    client_in: CI,
    client_out: ClientOut,
    server_in: SI,
    server_out: SO,
) -> RelayEnd
where
    CI: BufRead + Send,
    SI: Write + Send,
    SO: BufRead + Send,
{
    std::thread::scope(|scope| {
        let to_server = {
            let (gateway, clock, client_out) = (
                Arc::clone(&gateway),
                Arc::clone(&clock),
                Arc::clone(&client_out),
            );
            scope.spawn(move || client_pump(&gateway, &*clock, client_in, &client_out, server_in))
        };
        let to_client = server_pump(&gateway, &*clock, server_out, &client_out);
        let from_client = to_server.join().unwrap_or_else(|_| RelayEnd::default());
        RelayEnd {
            too_long: from_client.too_long.saturating_add(to_client.too_long),
            write_error: from_client.write_error.or(to_client.write_error),
        }
    })
}

/// Client lines through the gateway; returns when the client's input ends (dropping
/// `server_in` closes the server's input).
pub fn client_pump<CI: BufRead, SI: Write>(
    gateway: &Mutex<Gateway>,
    clock: &dyn Clock,
    mut client_in: CI,
    client_out: &ClientOut,
    mut server_in: SI,
) -> RelayEnd {
    let mut end = RelayEnd::default();
    let mut line = Vec::new();
    loop {
        let actions = match read_line_bounded(&mut client_in, MAX_LINE_BYTES, &mut line) {
            Ok(LineRead::Line) => locked(gateway).from_client(&line, clock.now_ms()),
            Ok(LineRead::TooLong(len)) => {
                end.too_long = end.too_long.saturating_add(1);
                let message = format!("hostguard: a line of {len} bytes is longer than the {MAX_LINE_BYTES}-byte limit; not sent");
                vec![Action::ToClient(
                    error_response(&Value::Null, -32600, &message).into_bytes(),
                )]
            }
            Ok(LineRead::Eof) | Err(_) => return end,
        };
        if let Err(e) = deliver(actions, client_out, &mut server_in) {
            end.write_error = Some(e);
            return end;
        }
    }
}

/// Server lines through the gateway to the client; returns when the server's output ends.
pub fn server_pump<SO: BufRead>(
    gateway: &Mutex<Gateway>,
    clock: &dyn Clock,
    mut server_out: SO,
    client_out: &ClientOut,
) -> RelayEnd {
    let mut end = RelayEnd::default();
    let mut line = Vec::new();
    let mut nowhere = io::sink();
    loop {
        let actions = match read_line_bounded(&mut server_out, MAX_LINE_BYTES, &mut line) {
            Ok(LineRead::Line) => locked(gateway).from_server(&line, clock.now_ms()),
            Ok(LineRead::TooLong(len)) => {
                end.too_long = end.too_long.saturating_add(1);
                eprintln!("hostguard: mcp: the server wrote a line of {len} bytes, longer than the {MAX_LINE_BYTES}-byte limit; dropped");
                Vec::new()
            }
            Ok(LineRead::Eof) | Err(_) => return end,
        };
        if let Err(e) = deliver(actions, client_out, &mut nowhere) {
            end.write_error = Some(e);
            return end;
        }
    }
}

/// Writes each action's line, with its newline, to its side, flushed.
fn deliver(
    actions: Vec<Action>,
    client_out: &ClientOut,
    server_in: &mut dyn Write,
) -> io::Result<()> {
    for action in actions {
        match action {
            Action::ToServer(line) => write_line(server_in, line)?,
            Action::ToClient(line) => {
                let mut out = client_out
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                write_line(&mut **out, line)?;
            }
        }
    }
    Ok(())
}

/// One `write_all` of the line and its newline: on an unbuffered pipe (a child's stdin) two
/// writes are two system calls, and a reader woken by the first wakes again for the newline
/// (a round trip through the gateway paid one more wake-up of the server for each line).
fn write_line(out: &mut dyn Write, mut line: Vec<u8>) -> io::Result<()> {
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

fn locked(gateway: &Mutex<Gateway>) -> MutexGuard<'_, Gateway> {
    gateway
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(LineRead, Vec<u8>)> {
        let mut r = io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let read = read_line_bounded(&mut r, max, &mut buf).unwrap();
            if read == LineRead::Eof {
                return out;
            }
            out.push((read, buf.clone()));
        }
    }

    /// The writes a writer was given, one by one.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_and_its_newline_are_one_write() {
        let mut server = Writes::default();
        let client: ClientOut = Arc::new(Mutex::new(Box::new(io::sink())));
        let actions = vec![
            Action::ToServer(b"{\"a\":1}".to_vec()),
            Action::ToServer(Vec::new()),
        ];
        deliver(actions, &client, &mut server).unwrap();
        assert_eq!(server.0, vec![b"{\"a\":1}\n".to_vec(), b"\n".to_vec()]);
    }

    #[test]
    fn lines_are_bounded_and_a_long_one_is_skipped_whole() {
        let got = lines(b"ab\n0123456789\ncd\nlast", 5);
        assert_eq!(
            got,
            vec![
                (LineRead::Line, b"ab".to_vec()),
                (LineRead::TooLong(10), Vec::new()),
                (LineRead::Line, b"cd".to_vec()),
                (LineRead::Line, b"last".to_vec()),
            ]
        );
        assert_eq!(
            lines(b"0123456789", 5),
            vec![(LineRead::TooLong(10), Vec::new())]
        );
        assert_eq!(
            lines(b"\n\n", 5),
            vec![(LineRead::Line, Vec::new()), (LineRead::Line, Vec::new())]
        );
    }
}
