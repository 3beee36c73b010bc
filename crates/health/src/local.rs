//! Serving outside Lambda: the same routes as a plain HTTP/1.1 server on hyper, for local
//! runs, tests and benchmarks.
//!
//! hyper and hyper-util directly, without a framework: the whole router is one function,
//! and the binary has a size budget. Once listening, the server prints exactly one line
//! to stdout, `listening on http://ADDR`, so that callers can bind port 0 and read the
//! real port; logs go to stderr.

use std::convert::Infallible;
use std::future::{Future, ready};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::respond::{Prepared, respond_logged};

/// Address served when `--listen` is not given.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));

/// A client that has not sent its request head by then is dropped (slow-loris guard).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long shutdown waits for open connections to finish their current request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed accept (say, out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// Usage text for `--help` and argument errors.
pub const USAGE: &str = "\
usage: health [--listen ADDR]

Serves the regionflip health endpoint. Under Lambda (AWS_LAMBDA_RUNTIME_API set) it serves
invocations; anywhere else it listens on ADDR (default 127.0.0.1:8080; port 0 picks a free
port) and prints `listening on http://ADDR` once ready. Configuration comes from environment
variables: see crates/health/README.md.";

/// Command line of the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve; `listen` is used only outside Lambda.
    Serve {
        /// Address of the local server.
        listen: SocketAddr,
    },
    /// Print usage and exit.
    Help,
}

/// Parses the arguments after the program name: `--listen ADDR`, `--listen=ADDR`, `--help`.
/// Hand-written because one flag does not justify an argument parser in a size-budgeted binary.
pub fn parse_args<I, S>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let mut listen = None;
    let mut args = args.into_iter().map(Into::into);
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|arg| format!("argument {arg:?} is not valid UTF-8"))?;
        let value = match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--listen" => args
                .next()
                .ok_or("--listen needs an address, for example 127.0.0.1:8080")?
                .into_string()
                .map_err(|value| format!("--listen value {value:?} is not valid UTF-8"))?,
            other => match other.strip_prefix("--listen=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unknown argument {other:?}")),
            },
        };
        let addr = value.parse::<SocketAddr>().map_err(|_| {
            format!("--listen {value:?} is not an IP:PORT address, for example 127.0.0.1:8080")
        })?;
        listen = Some(addr);
    }
    Ok(Command::Serve {
        listen: listen.unwrap_or(DEFAULT_LISTEN),
    })
}

/// Binds `addr`, prints the listening line and serves until SIGTERM or Ctrl-C.
pub async fn run(addr: SocketAddr, prepared: Arc<Prepared>) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    // The one line on stdout; println! flushes at the newline.
    println!("listening on http://{local_addr}");
    tracing::info!(%local_addr, path = prepared.path(), "listening");
    serve(listener, prepared, shutdown_signal()).await;
    Ok(())
}

/// Serves connections from `listener` until `shutdown` completes, then lets open
/// connections finish their current request for up to a few seconds.
pub async fn serve(
    listener: TcpListener,
    prepared: Arc<Prepared>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Probes are tiny request/response pairs: send each answer without delay.
        let _ = stream.set_nodelay(true);
        let prepared = Arc::clone(&prepared);
        let service = service_fn(move |request: hyper::Request<Incoming>| {
            let response = respond_logged(
                &prepared,
                request.method(),
                request.uri().path(),
                request.headers(),
            );
            ready(Ok::<_, Infallible>(response))
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    tracing::info!("shutting down");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after the grace period; closing them");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "cannot watch SIGTERM; only Ctrl-C stops the server");
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
