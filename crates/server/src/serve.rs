//! Binding the listeners and serving until shutdown, with a bounded drain.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;

use crate::{admin, surfaces, AppState};

/// Bound listeners, so that callers learn the real ports (port 0 in tests).
pub struct Listeners {
    /// Data plane.
    pub data: TcpListener,
    /// Admin.
    pub admin: TcpListener,
}

impl Listeners {
    /// Binds both addresses; an error names the address that failed.
    ///
    /// On Linux both sockets set `SO_REUSEPORT`, so a second llmux (same user) can bind the same
    /// ports while this one drains: the kernel then spreads new connections over both. A port
    /// held by a socket without `SO_REUSEPORT` still fails with "address in use".
    pub async fn bind(data: SocketAddr, admin: SocketAddr) -> std::io::Result<Listeners> {
        Ok(Listeners {
            data: bind_one(data, "data plane")?,
            admin: bind_one(admin, "admin")?,
        })
    }

    /// The bound data-plane address.
    pub fn data_addr(&self) -> std::io::Result<SocketAddr> {
        self.data.local_addr()
    }

    /// The bound admin address.
    pub fn admin_addr(&self) -> std::io::Result<SocketAddr> {
        self.admin.local_addr()
    }
}

/// Pending connections the kernel queues before llmux accepts them.
const BACKLOG: u32 = 1024;

/// One listening socket: `SO_REUSEADDR` on Unix (as `TcpListener::bind` sets it: rebinding while
/// old connections sit in TIME_WAIT), `SO_REUSEPORT` on Linux, then `listen(BACKLOG)`.
fn bind_one(addr: SocketAddr, what: &'static str) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    };
    let listen = || {
        let socket = socket?;
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        // Linux only: elsewhere SO_REUSEPORT does not share the load (BSDs, macOS) or means
        // something else, and Windows has no such option.
        #[cfg(target_os = "linux")]
        socket.set_reuseport(true)?;
        socket.bind(addr)?;
        socket.listen(BACKLOG)
    };
    listen().map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot listen on {addr} ({what}): {e}"))
    })
}

/// Serves both listeners until `shutdown` resolves, then lets in-flight requests finish for up
/// to `drain` before returning.
pub async fn run(
    state: AppState,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    // Small responses and stream events must leave at once, not wait for Nagle.
    let nodelay = |io: &mut tokio::net::TcpStream| {
        let _ = io.set_nodelay(true);
    };
    // `into_make_service`: handing axum::serve the Router itself makes it rebuild the route
    // table for every accepted connection (~4.6 KB each; 13 MiB at 2,000 open streams).
    let data = axum::serve(
        listeners.data.tap_io(nodelay),
        surfaces::router(state.clone()).into_make_service(),
    )
    .with_graceful_shutdown(wait(rx.clone()));
    let admin = axum::serve(
        listeners.admin.tap_io(nodelay),
        admin::router(state).into_make_service(),
    )
    .with_graceful_shutdown(wait(rx));
    let servers = async { tokio::try_join!(data.into_future(), admin.into_future()).map(|_| ()) };
    tokio::pin!(servers);
    tokio::select! {
        result = &mut servers => return result,
        () = shutdown => {}
    }
    tracing::info!(
        drain_secs = drain.as_secs(),
        "shutting down: no new connections, finishing in-flight requests"
    );
    let _ = tx.send(true);
    match tokio::time::timeout(drain, servers).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("drain timeout reached; closing remaining connections");
            Ok(())
        }
    }
}
