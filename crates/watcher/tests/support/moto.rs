//! The moto server of one test: [`regionflip_watcher::emulator::MotoServer`], which the
//! drill uses too, started so that a missing or broken moto fails the test loudly with
//! the install instructions (it never skips).
//!
//! Each test starts its own server, so tests run in parallel without sharing state and
//! without fixed ports; the server is killed when dropped, also when the test panics.

use regionflip_watcher::emulator;

/// A running `moto_server`, killed on drop.
pub(crate) struct MotoServer(emulator::MotoServer);

impl MotoServer {
    /// Starts moto and returns once it answers HTTP.
    ///
    /// # Panics
    ///
    /// When `moto_server` is not installed (with instructions), or does not start.
    pub(crate) fn start() -> Self {
        Self(emulator::MotoServer::start().unwrap_or_else(|why| panic!("{why}")))
    }

    /// The endpoint URL for the SDK.
    pub(crate) fn endpoint(&self) -> String {
        self.0.endpoint()
    }

    /// Wipes every resource in every service.
    ///
    /// # Panics
    ///
    /// When moto does not confirm the reset.
    pub(crate) fn reset(&self) {
        self.0.reset().unwrap_or_else(|why| panic!("{why}"));
    }
}
