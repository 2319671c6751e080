//! Binding the listeners and serving until shutdown, with a bounded drain.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use http::{HeaderValue, Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::{admin, surfaces, AppState};

/// Bound listeners, so that callers learn the real ports (port 0 in tests).
pub struct Listeners {
    /// Data plane.
    pub data: TcpListener,
    /// Admin.
    pub admin: TcpListener,
    /// Further data-plane listeners (`server.forwards`), by forward name.
    pub forwards: Vec<(String, TcpListener)>,
    /// Forward listeners handed over while serving (see [`Listeners::late`]).
    late: Option<mpsc::UnboundedReceiver<LateListener>>,
}

/// A forward's listener handed to the running server (made, or moved to a new address, by a
/// configuration change), with the signal that closes it again (`true`, or the sender
/// dropped): the listener stops accepting; its open connections finish.
pub struct LateListener {
    /// The forward's name: its routing rules and limits are looked up by it.
    pub name: String,
    /// The bound socket (see [`bind_forward`]).
    pub listener: TcpListener,
    /// Turns `true` (or its sender goes away) when the listener must close.
    pub close: watch::Receiver<bool>,
}

/// Binds one forward's address, as start-up does (`SO_REUSEPORT`, the same backlog).
pub fn bind_forward(addr: SocketAddr) -> std::io::Result<TcpListener> {
    bind_one(addr, "forward")
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
            forwards: Vec::new(),
            late: None,
        })
    }

    /// Where to send forward listeners while serving: [`run`] serves each one it receives
    /// until its close signal or shutdown.
    pub fn late(&mut self) -> mpsc::UnboundedSender<LateListener> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.late = Some(rx);
        tx
    }

    /// Also binds every forward's address (`server.forwards`).
    pub fn bind_forwards(
        &mut self,
        forwards: &[llmux_engine::config::ForwardConfig],
    ) -> std::io::Result<()> {
        for f in forwards {
            let listener = bind_one(f.listen, "forward")?;
            self.forwards.push((f.name.clone(), listener));
        }
        Ok(())
    }

    /// The bound address of each forward, by name.
    pub fn forward_addrs(&self) -> std::io::Result<Vec<(String, SocketAddr)>> {
        self.forwards
            .iter()
            .map(|(name, l)| Ok((name.clone(), l.local_addr()?)))
            .collect()
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

/// After shutdown begins, how long open connections keep taking requests before the idle ones
/// are closed. Each of those requests is answered with `Connection: close`, so a keep-alive
/// client learns to reconnect (to the new llmux, on a restart) instead of having its next
/// request cut by a close it could not see coming.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Serves both listeners until `shutdown` resolves, then lets in-flight requests finish for up
/// to `drain` before returning.
///
/// On shutdown the listeners close at once (on Linux with `net.ipv4.tcp_migrate_req=1` the
/// kernel hands their queued connections to another llmux on the same ports). Connections
/// already accepted are served: the request in progress finishes and the connection closes.
pub async fn run(
    state: AppState,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()> {
    let (tx, rx) = watch::channel(false);
    let stop = Stop {
        rx,
        stopping: Arc::new(AtomicBool::new(false)),
    };
    let data = serve_listener(
        listeners.data,
        surfaces::router(state.clone()),
        stop.clone(),
        None,
    );
    let forwards = serve_forwards(
        listeners.forwards,
        listeners.late,
        state.clone(),
        stop.clone(),
    );
    let admin = serve_listener(listeners.admin, admin::router(state), stop.clone(), None);
    let servers = async { tokio::try_join!(data, admin, forwards).map(|_| ()) };
    tokio::pin!(servers);
    tokio::select! {
        result = &mut servers => return result,
        () = shutdown => {}
    }
    tracing::info!(
        drain_secs = drain.as_secs(),
        "shutting down: no new connections, finishing in-flight requests"
    );
    stop.stopping.store(true, Ordering::Relaxed);
    let _ = tx.send(true);
    match tokio::time::timeout(drain, servers).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!("drain timeout reached; closing remaining connections");
            Ok(())
        }
    }
}

/// Shutdown, as the listeners and connections see it.
#[derive(Clone)]
struct Stop {
    /// Turns true when shutdown begins; to wait on.
    rx: watch::Receiver<bool>,
    /// The same, to read on every response.
    stopping: Arc<AtomicBool>,
}

impl Stop {
    /// Resolves once shutdown has begun.
    async fn begun(&mut self) {
        let _ = self.rx.wait_for(|stop| *stop).await;
    }
}

/// Serves the forwards bound before serving (until shutdown) and every [`LateListener`]
/// received (until its close signal or shutdown), then waits for them all to end.
async fn serve_forwards(
    bound: Vec<(String, TcpListener)>,
    late: Option<mpsc::UnboundedReceiver<LateListener>>,
    state: AppState,
    mut stop: Stop,
) -> std::io::Result<()> {
    let mut running = JoinSet::new();
    for (name, listener) in bound {
        let router = surfaces::router_for(state.clone(), &name);
        running.spawn(serve_listener(listener, router, stop.clone(), None));
    }
    if let Some(mut rx) = late {
        serve_late(&mut rx, &state, &mut stop, &mut running).await;
    }
    while let Some(ended) = running.join_next().await {
        ended.map_err(std::io::Error::other)??;
    }
    Ok(())
}

/// Receives late listeners and serves them in `running` until shutdown.
async fn serve_late(
    rx: &mut mpsc::UnboundedReceiver<LateListener>,
    state: &AppState,
    stop: &mut Stop,
    running: &mut JoinSet<std::io::Result<()>>,
) {
    loop {
        tokio::select! {
            got = rx.recv() => {
                let Some(late) = got else { break };
                let router = surfaces::router_for(state.clone(), &late.name);
                running.spawn(serve_listener(late.listener, router, stop.clone(), Some(late.close)));
            }
            // Ended listeners are collected as they go (a forward deleted, then made again).
            Some(_) = running.join_next(), if !running.is_empty() => {}
            () = stop.begun() => break,
        }
    }
}

/// Resolves when `close` turns true or its sender goes away; never without one.
async fn closed(close: &mut Option<watch::Receiver<bool>>) {
    match close {
        Some(rx) => {
            let _ = rx.wait_for(|c| *c).await;
        }
        None => std::future::pending().await,
    }
}

/// Accepts on `listener` until `stop` turns true (or `close`, for a forward a configuration
/// change removed), then closes it and waits for its connections to end.
async fn serve_listener(
    listener: TcpListener,
    router: Router,
    mut stop: Stop,
    mut close: Option<watch::Receiver<bool>>,
) -> std::io::Result<()> {
    // Every connection task holds a receiver; `closed()` resolves when the last one ends.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.begun() => break,
            () = closed(&mut close) => break,
        };
        match accepted {
            Ok((io, peer)) => {
                // Small responses and stream events must leave at once, not wait for Nagle.
                let _ = io.set_nodelay(true);
                let conn =
                    serve_connection(io, peer, router.clone(), stop.clone(), open_rx.clone());
                tokio::spawn(conn);
            }
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // Out of file descriptors, most likely: give connections time to close.
                tracing::error!(error = %e, "accept failed; retrying in 1 s");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = stop.begun() => break,
                }
            }
        }
    }
    drop(listener);
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

/// An error that ends one connection, not the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// Serves one connection (HTTP/1.1, or HTTP/2 with prior knowledge). On `stop`, responses
/// carry `Connection: close` for [`CLOSE_GRACE`], then hyper's graceful shutdown closes the
/// connection once its request in progress is answered (HTTP/2: GOAWAY).
///
/// Not at once: hyper closes an idle keep-alive connection on the spot, which cuts a request
/// the client is sending on it, and drops a connection it has not read from yet (while it
/// still tells HTTP/1 from HTTP/2), which is every connection accepted an instant before.
async fn serve_connection(
    io: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    mut stop: Stop,
    _open: watch::Receiver<()>,
) {
    let service = CloseOnStop {
        inner: TowerToHyperService::new(router),
        stopping: stop.stopping.clone(),
        peer,
    };
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http2().enable_connect_protocol();
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    let grace = async {
        stop.begun().await;
        tokio::time::sleep(CLOSE_GRACE).await;
    };
    tokio::pin!(grace);
    let mut closing = false;
    loop {
        tokio::select! {
            biased;
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = &mut grace, if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The router, adding `Connection: close` to HTTP/1 responses once shutdown has begun, and
/// handing each request its client's address (`ConnectInfo`, for per-client rate limits).
#[derive(Clone)]
struct CloseOnStop<S> {
    inner: S,
    stopping: Arc<AtomicBool>,
    peer: SocketAddr,
}

impl<S, B> hyper::service::Service<Request<Incoming>> for CloseOnStop<S>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>>,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = CloseOnStopFuture<S::Future>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        CloseOnStopFuture {
            // HTTP/2 has no such header (hyper would drop it); its GOAWAY does the job.
            stopping: (req.version() < http::Version::HTTP_2).then(|| self.stopping.clone()),
            inner: self.inner.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// [`CloseOnStop`]'s response: the router's, with the header added if shutdown began
    /// while the request was being handled.
    struct CloseOnStopFuture<F> {
        #[pin]
        inner: F,
        stopping: Option<Arc<AtomicBool>>,
    }
}

impl<F, B, E> Future for CloseOnStopFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.inner.poll(cx))?;
        if this
            .stopping
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            response
                .headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        }
        Poll::Ready(Ok(response))
    }
}
