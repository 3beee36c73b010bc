//! regionflip-probe: checks an HTTP(S) endpoint exactly the way a Route 53 health checker
//! does, so whoever calls it sees what Route 53 will conclude.
//!
//! One implementation serves every caller: the CLI's `regionflip probe`, the drill's
//! simulated checkers and the watcher's own probes of each region. It depends on no AWS
//! SDK and makes no AWS call; anything may depend on it.
//!
//! What a checker requires (field facts, from the Route 53 documentation):
//!
//! | step            | requirement                                                    |
//! |-----------------|----------------------------------------------------------------|
//! | TCP connect     | within 4 s                                                     |
//! | TLS (HTTPS)     | SNI sent, certificate **not** validated                        |
//! | status          | 2xx or 3xx within 2 s of connecting (redirects not followed)   |
//! | search string   | case-sensitive, entirely within the first 5,120 bytes of the   |
//! |                 | body, which must arrive within the same 2 s                    |
//! | encoding        | only gzip and deflate bodies are decoded                       |
//!
//! [`probe`] is the one implementation of those rules, so the drill's endpoint verdicts are
//! exactly what `regionflip probe` prints.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Uri;
use hyper::header::{CONTENT_ENCODING, HOST, USER_AGENT};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout, timeout_at};

/// The User-Agent Route 53 checkers send, with this tool's reference in place of the
/// health check's id.
pub const CHECKER_USER_AGENT: &str =
    "Amazon-Route53-Health-Check-Service (ref regionflip-probe; report http://amzn.to/1vsZADi)";
/// Route 53 searches only this many leading bytes of the (decoded) body.
pub const SEARCH_WINDOW_BYTES: usize = 5120;
/// Route 53 accepts a search string of at most this many characters.
pub const MAX_SEARCH_CHARS: usize = 255;
/// A compressed body is read at most this far while looking for the window: the window
/// is 5,120 decoded bytes, and no sane encoding needs a hundred times that.
const MAX_ENCODED_BYTES: usize = 512 * 1024;

/// The time limits of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeLimits {
    /// TCP connect (after name resolution).
    pub connect: Duration,
    /// From connected to the status (and, with a search string, the body's window).
    pub response: Duration,
}

impl ProbeLimits {
    /// Route 53's limits: 4 s to connect, then 2 s for the answer.
    pub const ROUTE53: ProbeLimits = ProbeLimits {
        connect: Duration::from_secs(4),
        response: Duration::from_secs(2),
    };
}

/// What to probe: a parsed `http://` or `https://` URL and an optional search string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    https: bool,
    /// Host without IPv6 brackets, for resolution and SNI.
    host: String,
    port: u16,
    /// The `Host` header: host, and the port when it is not the scheme's default.
    authority: String,
    path_and_query: String,
    search: Option<String>,
}

impl ProbeTarget {
    /// Parses `url` and checks `search` against Route 53's limits.
    pub fn parse(url: &str, search: Option<String>) -> Result<ProbeTarget, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(format!("{url:?} must start with http:// or https://")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{url:?} has no host"))?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = match uri.port_u16() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        if let Some(search) = &search {
            let chars = search.chars().count();
            if chars == 0 || chars > MAX_SEARCH_CHARS {
                return Err(format!(
                    "the search string has {chars} characters; Route 53 accepts 1 to {MAX_SEARCH_CHARS}"
                ));
            }
        }
        Ok(ProbeTarget {
            https,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            authority,
            path_and_query: uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
            search,
        })
    }

    /// The URL probed.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.path_and_query)
    }

    /// The search string, if any.
    pub fn search(&self) -> Option<&str> {
        self.search.as_deref()
    }

    /// Whether `other` requests the same thing: scheme, host (DNS names compare without
    /// case), port (an explicit default port is the default) and path. The search string
    /// is not part of the request.
    pub fn same_request_as(&self, other: &ProbeTarget) -> bool {
        self.https == other.https
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
            && self.path_and_query == other.path_and_query
    }
}

/// The verdict of one probe, with where the time went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeVerdict {
    /// Whether a Route 53 checker would count the endpoint healthy.
    pub healthy: bool,
    /// The HTTP status, when one arrived.
    pub status: Option<u16>,
    /// The address connected to, once resolved.
    pub address: Option<String>,
    /// From the start to the TCP connection, milliseconds.
    pub connect_ms: Option<f64>,
    /// From the start to the response head, milliseconds.
    pub first_byte_ms: Option<f64>,
    /// From the start to the verdict, milliseconds.
    pub total_ms: f64,
    /// What was found, or why the endpoint fails.
    pub reason: String,
    /// The endpoint failed by not answering within Route 53's limits (resolving,
    /// connecting, TLS, status or body), rather than by answering wrongly.
    pub timed_out: bool,
}

/// Probes `target` once within `limits`.
pub async fn probe(target: &ProbeTarget, limits: ProbeLimits) -> ProbeVerdict {
    let started = Instant::now();
    let mut progress = Progress::default();
    let outcome = check(target, limits, started, &mut progress).await;
    let (healthy, reason) = match outcome {
        Ok(found) => (true, found),
        Err(why) => (false, why),
    };
    ProbeVerdict {
        healthy,
        status: progress.status,
        address: progress.address.map(|a| a.to_string()),
        connect_ms: progress.connect_ms,
        first_byte_ms: progress.first_byte_ms,
        total_ms: millis(started.elapsed()),
        reason,
        timed_out: progress.timed_out,
    }
}

/// What a probe got to before it ended.
#[derive(Debug, Default)]
struct Progress {
    address: Option<SocketAddr>,
    connect_ms: Option<f64>,
    first_byte_ms: Option<f64>,
    status: Option<u16>,
    /// A limit ran out.
    timed_out: bool,
}

/// The checker's steps in order; `Ok` carries what was found, `Err` why it fails.
async fn check(
    target: &ProbeTarget,
    limits: ProbeLimits,
    started: Instant,
    progress: &mut Progress,
) -> Result<String, String> {
    let address = resolve(target, limits.connect, progress).await?;
    progress.address = Some(address);
    let stream = match timeout(limits.connect, TcpStream::connect(address)).await {
        Err(_) => {
            progress.timed_out = true;
            return Err(format!(
                "no TCP connection to {address} within {} s",
                limits.connect.as_secs_f64()
            ));
        }
        Ok(Err(e)) => return Err(format!("TCP connect to {address} failed: {e}")),
        Ok(Ok(stream)) => stream,
    };
    progress.connect_ms = Some(millis(started.elapsed()));
    // Health answers are tiny: send the request at once.
    let _ = stream.set_nodelay(true);
    let deadline = Instant::now() + limits.response;
    if target.https {
        let server_name = ServerName::try_from(target.host.clone())
            .map_err(|e| format!("{:?} cannot be sent as SNI: {e}", target.host))?;
        let connector = tokio_rustls::TlsConnector::from(tls_config()?);
        let tls = match timeout_at(deadline, connector.connect(server_name, stream)).await {
            Err(_) => return Err(within("no TLS handshake", limits, progress)),
            Ok(Err(e)) => return Err(format!("TLS handshake failed: {e}")),
            Ok(Ok(tls)) => tls,
        };
        exchange(tls, target, limits, deadline, started, progress).await
    } else {
        exchange(stream, target, limits, deadline, started, progress).await
    }
}

/// Resolves the host; like Route 53 for checks defined by name, prefers IPv4.
async fn resolve(
    target: &ProbeTarget,
    limit: Duration,
    progress: &mut Progress,
) -> Result<SocketAddr, String> {
    let host = target.host.as_str();
    let addresses: Vec<SocketAddr> =
        match timeout(limit, tokio::net::lookup_host((host, target.port))).await {
            Err(_) => {
                progress.timed_out = true;
                return Err(format!("resolving {host} took longer than {limit:?}"));
            }
            Ok(Err(e)) => return Err(format!("cannot resolve {host}: {e}")),
            Ok(Ok(found)) => found.collect(),
        };
    addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addresses.first())
        .copied()
        .ok_or_else(|| format!("{host} resolves to no address"))
}

/// One GET over an established connection: status, then the search window.
async fn exchange<IO>(
    io: IO,
    target: &ProbeTarget,
    limits: ProbeLimits,
    deadline: Instant,
    started: Instant,
    progress: &mut Progress,
) -> Result<String, String>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = match timeout_at(
        deadline,
        hyper::client::conn::http1::handshake(TokioIo::new(io)),
    )
    .await
    {
        Err(_) => return Err(within("no HTTP exchange", limits, progress)),
        Ok(Err(e)) => return Err(format!("HTTP handshake failed: {e}")),
        Ok(Ok(pair)) => pair,
    };
    // The connection task ends with the probe, whatever path the probe leaves by.
    let _connection = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let request = hyper::Request::get(target.path_and_query.as_str())
        .header(HOST, target.authority.as_str())
        .header(USER_AGENT, CHECKER_USER_AGENT)
        .header("connection", "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("the request could not be built: {e}"))?;
    let response = match timeout_at(deadline, sender.send_request(request)).await {
        Err(_) => return Err(within("no HTTP status", limits, progress)),
        Ok(Err(e)) => return Err(format!("no HTTP response: {e}")),
        Ok(Ok(response)) => response,
    };
    progress.first_byte_ms = Some(millis(started.elapsed()));
    let status = response.status();
    progress.status = Some(status.as_u16());
    if !(status.is_success() || status.is_redirection()) {
        return Err(format!(
            "HTTP {} (Route 53 needs 2xx or 3xx)",
            status.as_u16()
        ));
    }
    let Some(search) = &target.search else {
        return Ok(format!("HTTP {}", status.as_u16()));
    };
    let encoding = Encoding::of(
        response
            .headers()
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    )?;
    let mut body = response.into_body();
    let mut received = Vec::new();
    loop {
        let window = encoding.decoded_window(&received);
        if contains(&window, search.as_bytes()) {
            return Ok(format!(
                "HTTP {}, search string found in the first {} bytes",
                status.as_u16(),
                SEARCH_WINDOW_BYTES
            ));
        }
        if window.len() >= SEARCH_WINDOW_BYTES || received.len() >= MAX_ENCODED_BYTES {
            return Err(not_found(search, window.len()));
        }
        match timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(format!(
                    "{} (only {} bytes of the body had arrived)",
                    within(
                        "the body's first 5,120 bytes did not arrive",
                        limits,
                        progress
                    ),
                    window.len()
                ));
            }
            Ok(None) => return Err(not_found(search, window.len())),
            Ok(Some(Err(e))) => return Err(format!("reading the body failed: {e}")),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    received.extend_from_slice(&data);
                }
            }
        }
    }
}

fn not_found(search: &str, searched: usize) -> String {
    format!(
        "search string {search:?} not in the first {} bytes of the body ({searched} bytes searched)",
        SEARCH_WINDOW_BYTES
    )
}

/// Why a limit ran out, marking the probe as timed out.
fn within(what: &str, limits: ProbeLimits, progress: &mut Progress) -> String {
    progress.timed_out = true;
    format!(
        "{what} within {} s of connecting",
        limits.response.as_secs_f64()
    )
}

/// Body encodings a checker can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Deflate,
}

impl Encoding {
    fn of(header: Option<&str>) -> Result<Encoding, String> {
        match header.map(|h| h.trim().to_ascii_lowercase()).as_deref() {
            None | Some("" | "identity") => Ok(Encoding::Identity),
            Some("gzip" | "x-gzip") => Ok(Encoding::Gzip),
            Some("deflate") => Ok(Encoding::Deflate),
            Some(other) => Err(format!(
                "the body is {other}-encoded; Route 53 decodes only gzip and deflate"
            )),
        }
    }

    /// The first (up to) 5,120 decoded bytes of what has arrived. A compressed body cut
    /// short decodes as far as it goes, which is all a checker could have searched.
    fn decoded_window(self, received: &[u8]) -> Vec<u8> {
        let limit = SEARCH_WINDOW_BYTES as u64;
        let mut window = Vec::new();
        match self {
            Encoding::Identity => {
                window.extend_from_slice(&received[..received.len().min(SEARCH_WINDOW_BYTES)]);
            }
            Encoding::Gzip => {
                let _ = flate2::read::GzDecoder::new(received)
                    .take(limit)
                    .read_to_end(&mut window);
            }
            Encoding::Deflate => {
                // "deflate" in HTTP means zlib-wrapped, but servers also send raw deflate.
                if flate2::read::ZlibDecoder::new(received)
                    .take(limit)
                    .read_to_end(&mut window)
                    .is_err()
                    && window.is_empty()
                {
                    let _ = flate2::read::DeflateDecoder::new(received)
                        .take(limit)
                        .read_to_end(&mut window);
                }
            }
        }
        window
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn millis(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 10_000.0).round() / 10.0
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The TLS client configuration, built once per process: Route 53 sends SNI but does not
/// validate certificates, so neither does the probe. Handshake signatures are still
/// checked, so the peer must hold the key of the certificate it presents.
fn tls_config() -> Result<Arc<ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let verifier = Arc::new(AcceptAnyCertificate(Arc::clone(&provider)));
            ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|builder| {
                    Arc::new(
                        builder
                            .dangerous()
                            .with_custom_certificate_verifier(verifier)
                            .with_no_client_auth(),
                    )
                })
                .map_err(|e| format!("no TLS client configuration: {e}"))
        })
        .clone()
}

/// Accepts any certificate, as Route 53's checkers do.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_what_is_connected_to_and_sent() {
        let t = ProbeTarget::parse("http://127.0.0.1:8080/health?x=1", None).expect("valid");
        assert_eq!(
            (t.host.as_str(), t.port, t.https),
            ("127.0.0.1", 8080, false)
        );
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path_and_query, "/health?x=1");
        let t = ProbeTarget::parse("https://api.example.com", None).expect("valid");
        assert_eq!(
            (t.port, t.https, t.path_and_query.as_str()),
            (443, true, "/")
        );
        assert_eq!(t.authority, "api.example.com");
        let t = ProbeTarget::parse("http://[::1]:9/h", None).expect("valid");
        assert_eq!(t.host, "::1");
        assert!(ProbeTarget::parse("ftp://example.com/", None).is_err());
        assert!(ProbeTarget::parse("example.com/health", None).is_err());
        assert!(ProbeTarget::parse("http://a.example/", Some(String::new())).is_err());
        assert!(ProbeTarget::parse("http://a.example/", Some("x".repeat(256))).is_err());
    }

    #[test]
    fn the_same_request_ignores_an_explicit_default_port_and_the_case_of_a_name() {
        let same = |a: &str, b: &str| {
            let a = ProbeTarget::parse(a, Some("a".into())).expect("valid");
            let b = ProbeTarget::parse(b, Some("b".into())).expect("valid");
            a.same_request_as(&b)
        };
        assert!(same(
            "https://API.example.com:443/health",
            "https://api.example.com/health"
        ));
        assert!(same("http://127.0.0.1:8080/h", "http://127.0.0.1:8080/h"));
        assert!(!same(
            "https://api.example.com/health",
            "http://api.example.com/health"
        ));
        assert!(!same(
            "https://api.example.com/health",
            "https://api.example.com/other"
        ));
        assert!(!same("http://127.0.0.1:8080/h", "http://127.0.0.1:8081/h"));
        assert!(!same("https://a.example.com/h", "https://b.example.com/h"));
    }

    #[test]
    fn compressed_bodies_are_searched_after_decoding() {
        use std::io::Write;
        let body = format!("{}needle", " ".repeat(100));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(body.as_bytes()).expect("in memory");
        let gz = gz.finish().expect("in memory");
        assert!(contains(&Encoding::Gzip.decoded_window(&gz), b"needle"));
        // Cut short, it decodes as far as it goes.
        assert!(!contains(
            &Encoding::Gzip.decoded_window(&gz[..gz.len() / 2]),
            b"needle"
        ));
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(body.as_bytes()).expect("in memory");
        let zlib = zlib.finish().expect("in memory");
        assert!(contains(
            &Encoding::Deflate.decoded_window(&zlib),
            b"needle"
        ));
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(body.as_bytes()).expect("in memory");
        let raw = raw.finish().expect("in memory");
        assert!(contains(&Encoding::Deflate.decoded_window(&raw), b"needle"));
        assert!(Encoding::of(Some("br")).is_err());
        assert_eq!(Encoding::of(Some("GZIP")), Ok(Encoding::Gzip));
    }

    #[test]
    fn the_window_is_5120_bytes() {
        let mut body = vec![b'.'; SEARCH_WINDOW_BYTES - 6];
        body.extend_from_slice(b"needle");
        assert!(contains(
            &Encoding::Identity.decoded_window(&body),
            b"needle"
        ));
        body.insert(0, b'.');
        assert!(!contains(
            &Encoding::Identity.decoded_window(&body),
            b"needle"
        ));
    }
}
