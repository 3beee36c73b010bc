//! The hand-written command line: `--listen ADDR`, `--listen=ADDR`, `--help`.

use std::net::SocketAddr;

use regionflip_health::local::{Command, DEFAULT_LISTEN, parse_args};

fn serve(addr: &str) -> Command {
    Command::Serve {
        listen: addr.parse::<SocketAddr>().expect("address"),
    }
}

#[test]
fn no_arguments_listen_on_the_default_loopback_port() {
    assert_eq!(
        parse_args(Vec::<String>::new()),
        Ok(serve("127.0.0.1:8080"))
    );
    assert_eq!(
        DEFAULT_LISTEN,
        "127.0.0.1:8080".parse::<SocketAddr>().expect("address")
    );
}

#[test]
fn listen_takes_a_separate_or_attached_value() {
    assert_eq!(
        parse_args(["--listen", "127.0.0.1:0"]),
        Ok(serve("127.0.0.1:0"))
    );
    assert_eq!(parse_args(["--listen=[::1]:9000"]), Ok(serve("[::1]:9000")));
    // The last one wins, as with most tools.
    assert_eq!(
        parse_args(["--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"]),
        Ok(serve("127.0.0.1:2"))
    );
}

#[test]
fn help_wins_over_everything_else() {
    assert_eq!(
        parse_args(["--listen", "127.0.0.1:0", "-h"]),
        Ok(Command::Help)
    );
    assert_eq!(parse_args(["--help"]), Ok(Command::Help));
}

#[test]
fn mistakes_are_explained() {
    let missing = parse_args(["--listen"]).expect_err("missing value");
    assert!(missing.contains("needs an address"), "{missing}");
    let hostname = parse_args(["--listen", "localhost:80"]).expect_err("not an IP");
    assert!(hostname.contains("IP:PORT"), "{hostname}");
    let unknown = parse_args(["--port", "80"]).expect_err("unknown flag");
    assert!(unknown.contains("--port"), "{unknown}");
}
