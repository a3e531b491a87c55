//! `word-bocce healthcheck`: ask the instance running beside it whether it serves — for a
//! container's `HEALTHCHECK`, which then needs no curl in the image. One HTTP/1.1 `GET` over a
//! plain [`TcpStream`] (the standard library only: no client stack to start for a probe that
//! runs every few seconds), the whole exchange bounded by one deadline.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Where an instance bound to `bind:port` is reached from its own host: an unspecified address
/// (`0.0.0.0`, `::`, as in a container) on loopback, any other address as it is.
pub fn local_addr(bind: IpAddr, port: u16) -> SocketAddr {
    let ip = match bind {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, port)
}

/// `GET path` from `addr`, connecting, sending and reading the status line within `timeout`;
/// the status code of the answer.
pub fn probe(addr: SocketAddr, path: &str, timeout: Duration) -> std::io::Result<u16> {
    let deadline = Instant::now() + timeout;
    // What is left of the deadline; socket timeouts must not be zero.
    let left = || {
        let d = deadline.saturating_duration_since(Instant::now());
        if d.is_zero() {
            Err(std::io::Error::new(ErrorKind::TimedOut, "timed out"))
        } else {
            Ok(d)
        }
    };
    let mut stream = TcpStream::connect_timeout(&addr, left()?)?;
    stream.set_write_timeout(Some(left()?))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: word-bocce-healthcheck\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    // Only the status line is needed: read until its end (or 1 KiB, or the deadline).
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 1024 {
        stream.set_read_timeout(Some(left()?))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // A read timeout is WouldBlock on Unix.
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return Err(std::io::Error::new(ErrorKind::TimedOut, "timed out"))
            }
            Err(e) => return Err(e),
        }
    }
    status_code(&head).ok_or_else(|| {
        let shown = String::from_utf8_lossy(&head[..head.len().min(80)]).into_owned();
        std::io::Error::new(
            ErrorKind::InvalidData,
            format!("not an HTTP answer: {shown:?}"),
        )
    })
}

/// The status code of an HTTP/1.x status line (`HTTP/1.1 200 OK`).
fn status_code(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    let code = parts.next()?;
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return None;
    }
    code.parse().ok().filter(|c| (100..600).contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_are_reached_on_loopback() {
        assert_eq!(
            local_addr("0.0.0.0".parse().unwrap(), 8000),
            "127.0.0.1:8000".parse().unwrap()
        );
        assert_eq!(
            local_addr("::".parse().unwrap(), 8000),
            "[::1]:8000".parse().unwrap()
        );
        assert_eq!(
            local_addr("10.1.2.3".parse().unwrap(), 80),
            "10.1.2.3:80".parse().unwrap()
        );
    }

    #[test]
    fn status_lines() {
        assert_eq!(
            status_code(b"HTTP/1.1 200 OK\r\ncontent-length: 2"),
            Some(200)
        );
        assert_eq!(
            status_code(b"HTTP/1.0 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(status_code(b"HTTP/1.1 204\r\n"), Some(204));
        assert_eq!(status_code(b"SSH-2.0-OpenSSH_9.2\r\n"), None);
        assert_eq!(status_code(b"HTTP/1.1 2000 OK\r\n"), None);
        assert_eq!(status_code(b""), None);
    }
}
