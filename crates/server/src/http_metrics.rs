//! The data plane's HTTP metrics, counted by each listener's front layer
//! ([`crate::listener::front`]): each request by listener, method, matched route template and
//! status class when its response body ends (or is dropped), so a stream counts whole; error
//! responses by status and error code; and the listener's requests in flight.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use llmux_engine::metrics::{
    method_label, status_class, Active, HttpError, HttpInFlight, HttpRoute,
};
use llmux_engine::Gateway;

/// The `route` label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

/// The error code of an error response (a response extension set where errors become
/// responses), for the `error` label; without it the label is the status class.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// What the middleware of one listener needs: the registry, the listener's name, and its
/// in-flight gauge (looked up once, when the router is built).
#[derive(Clone)]
pub struct HttpMetricsCtx {
    gateway: Arc<Gateway>,
    listener: Arc<str>,
    in_flight: HttpInFlight,
}

impl HttpMetricsCtx {
    /// The context of listener `listener` of `gateway`.
    pub fn new(gateway: Arc<Gateway>, listener: Arc<str>) -> Self {
        let in_flight = gateway.metrics().http_in_flight(&listener);
        HttpMetricsCtx {
            gateway,
            listener,
            in_flight,
        }
    }
}

/// One request being counted: in flight from [`Tracking::begin`] until its response body
/// ends or is dropped, then counted with its duration (and as an error when its status is
/// 400 or more). Label values are borrowed: nothing is allocated for a label set already
/// seen.
pub struct Tracking {
    started: Instant,
    active: Active,
    method: &'static str,
    /// A clone of an `Arc<str>`: the route template outlives the request.
    matched: Option<MatchedPath>,
    series: HttpRoute,
}

impl Tracking {
    /// Starts counting `req` on `ctx`'s listener.
    pub fn begin(ctx: &HttpMetricsCtx, req: &Request) -> Tracking {
        let started = Instant::now();
        let active = ctx.in_flight.enter();
        let method = method_label(req.method());
        let matched = req.extensions().get::<MatchedPath>().cloned();
        let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
        let series = ctx
            .gateway
            .metrics()
            .http_route(&ctx.listener, method, route);
        Tracking {
            started,
            active,
            method,
            matched,
            series,
        }
    }

    /// Hands the counting to `resp`'s body, which finishes it when it ends.
    pub fn finish(self, ctx: &HttpMetricsCtx, resp: Response) -> Response {
        let status = resp.status();
        let route = self.matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
        let error = (status.as_u16() >= 400).then(|| {
            let code = resp
                .extensions()
                .get::<ErrorCode>()
                .map_or_else(|| status_class(status.as_u16()), |c| c.0);
            ctx.gateway.metrics().http_error(
                [&ctx.listener, self.method, route],
                status.as_str(),
                code,
            )
        });
        let done = Done {
            series: self.series,
            status: status.as_u16(),
            error,
            started: self.started,
            _active: self.active,
        };
        resp.map(|inner| {
            Body::new(Metered {
                inner,
                done: Some(done),
            })
        })
    }
}

/// A request's counting, done once when dropped: at the end of its response body, or when
/// the body is dropped unfinished (the client went away).
struct Done {
    series: HttpRoute,
    status: u16,
    error: Option<HttpError>,
    started: Instant,
    /// Given back after the counting (fields drop after `drop` runs): a scrape that sees the
    /// request out of flight sees it counted.
    _active: Active,
}

impl Drop for Done {
    fn drop(&mut self) {
        self.series.finish(self.status, self.started.elapsed());
        if let Some(error) = &self.error {
            error.inc();
        }
    }
}

/// A response body that counts its request when it ends.
struct Metered {
    inner: Body,
    done: Option<Done>,
}

impl http_body::Body for Metered {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            this.done.take();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
