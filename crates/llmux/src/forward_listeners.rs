//! The forwards' listeners (`server.forwards`, also made through `/api/v1/forwards`) follow
//! the configuration: a change that adds a forward binds its address before the change is
//! applied (a busy address refuses the change), one that moves a forward binds the new
//! address and closes the old, one that removes a forward closes its listener.

use std::net::SocketAddr;
use std::sync::Mutex;

use llmux_engine::config::Config;
use llmux_server::{bind_forward, LateListener};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

/// The forward listeners being served, by name.
pub struct ForwardListeners {
    /// To the running server, which serves each listener until its close signal.
    serve: mpsc::UnboundedSender<LateListener>,
    /// The runtime the sockets register with (changes run on blocking threads).
    runtime: tokio::runtime::Handle,
    bound: Mutex<Vec<Bound>>,
}

struct Bound {
    name: String,
    addr: SocketAddr,
    close: watch::Sender<bool>,
}

/// What a configuration needs: listeners bound but not serving yet, and names to close.
/// Dropped without [`ForwardListeners::commit`], it changes nothing (the new sockets close).
pub struct Pending {
    open: Vec<(String, SocketAddr, TcpListener)>,
    close: Vec<String>,
}

impl ForwardListeners {
    /// Listeners handed to the server through `serve`, bound on `runtime`.
    pub fn new(
        serve: mpsc::UnboundedSender<LateListener>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        ForwardListeners {
            serve,
            runtime,
            bound: Mutex::new(Vec::new()),
        }
    }

    /// Binds what `config`'s forwards need and writes each forward's real address into
    /// `config` (port 0 becomes the port the system gave). An address that cannot be bound,
    /// or that is one of llmux's other listeners (`reserved`, as bound: `SO_REUSEPORT` would
    /// let the two share it silently), is an error naming the forward.
    pub fn prepare(
        &self,
        config: &mut Config,
        reserved: &[(&str, SocketAddr)],
    ) -> Result<Pending, String> {
        let bound = self.bound.lock().unwrap_or_else(|e| e.into_inner());
        let mut pending = Pending {
            open: Vec::new(),
            close: Vec::new(),
        };
        for fw in &mut config.server.forwards {
            let running = bound.iter().find(|b| b.name == fw.name);
            if let Some(b) = running {
                if fw.listen.port() == 0 || fw.listen == b.addr {
                    fw.listen = b.addr;
                    continue;
                }
                pending.close.push(b.name.clone());
            }
            if let Some((what, addr)) = reserved.iter().find(|(_, r)| clashes(*r, fw.listen)) {
                return Err(format!(
                    "forward `{}`: {} is llmux's {what} listener ({addr}); pick another port",
                    fw.name, fw.listen
                ));
            }
            let _enter = self.runtime.enter();
            let listener =
                bind_forward(fw.listen).map_err(|e| format!("forward `{}`: {e}", fw.name))?;
            let addr = listener
                .local_addr()
                .map_err(|e| format!("forward `{}`: {e}", fw.name))?;
            fw.listen = addr;
            pending.open.push((fw.name.clone(), addr, listener));
        }
        for b in bound.iter() {
            if !config.server.forwards.iter().any(|f| f.name == b.name) {
                pending.close.push(b.name.clone());
            }
        }
        Ok(pending)
    }

    /// Serves the new listeners and closes the old ones, once the configuration that needed
    /// them is in effect.
    pub fn commit(&self, pending: Pending) {
        let mut bound = self.bound.lock().unwrap_or_else(|e| e.into_inner());
        for name in pending.close {
            if let Some(i) = bound.iter().position(|b| b.name == name) {
                let b = bound.remove(i);
                let _ = b.close.send(true);
                tracing::info!(target: "llmux", forward = %b.name, listen = %b.addr, "forward closed");
            }
        }
        for (name, addr, listener) in pending.open {
            let (close, rx) = watch::channel(false);
            let late = LateListener {
                name: name.clone(),
                listener,
                close: rx,
            };
            if self.serve.send(late).is_err() {
                tracing::warn!(target: "llmux", forward = %name, "the server has stopped: forward not served");
                continue;
            }
            tracing::info!(target: "llmux", forward = %name, listen = %addr, "forward listening");
            bound.push(Bound { name, addr, close });
        }
    }
}

/// Whether a forward asking for `wanted` would land on the listener bound at `taken`: the
/// same port, on the same address or with either on every address.
fn clashes(taken: SocketAddr, wanted: SocketAddr) -> bool {
    wanted.port() != 0
        && wanted.port() == taken.port()
        && (wanted.ip() == taken.ip()
            || wanted.ip().is_unspecified()
            || taken.ip().is_unspecified())
}
