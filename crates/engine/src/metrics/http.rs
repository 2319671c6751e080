//! The HTTP families of the data plane: requests by listener, method, matched route and status
//! class; their time to the end of the response body; error responses by status and error
//! code; requests in flight per listener. Every label value is bounded: listener names come
//! from configuration, methods are folded into the standard ones, routes are templates.

use std::sync::Arc;
use std::time::Duration;

use super::family::{header, label, sample, Active, Counter, Entry, Family, Gauge, Histogram};
use super::{Metrics, LIMIT};

/// The label of a status class, `1xx` to `5xx` (below 100 counts as `1xx`, above 599 as `5xx`).
pub fn status_class(status: u16) -> &'static str {
    STATUS_CLASSES
        .get(class_index(status))
        .copied()
        .unwrap_or("5xx")
}

pub(super) const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The index of `status`'s class in [`STATUS_CLASSES`].
pub(super) fn class_index(status: u16) -> usize {
    usize::from(status / 100).clamp(1, 5) - 1
}

/// The `method` label: a standard method's name, `other` for any extension method (a client
/// could send any number of them).
pub fn method_label(method: &http::Method) -> &'static str {
    use http::Method as M;
    const STANDARD: [(M, &str); 9] = [
        (M::GET, "GET"),
        (M::POST, "POST"),
        (M::PUT, "PUT"),
        (M::DELETE, "DELETE"),
        (M::HEAD, "HEAD"),
        (M::OPTIONS, "OPTIONS"),
        (M::PATCH, "PATCH"),
        (M::CONNECT, "CONNECT"),
        (M::TRACE, "TRACE"),
    ];
    STANDARD
        .iter()
        .find(|(m, _)| m == method)
        .map_or("other", |(_, s)| s)
}

/// One `(listener, method, route)`'s requests by status class and their durations.
#[derive(Debug, Default)]
pub(super) struct HttpSeries {
    requests: [Counter; STATUS_CLASSES.len()],
    duration: Histogram,
}

/// The HTTP families.
#[derive(Debug)]
pub(super) struct HttpFamilies {
    routes: Family<3, HttpSeries>,
    errors: Family<5, Counter>,
    in_flight: Family<1, Arc<Gauge>>,
}

fn labels_route([listener, method, route]: [&str; 3]) -> String {
    let mut out = String::new();
    label(&mut out, "listener", listener);
    label(&mut out, "method", method);
    label(&mut out, "route", route);
    out
}

fn labels_error([listener, method, route, status, error]: [&str; 5]) -> String {
    let mut out = labels_route([listener, method, route]);
    label(&mut out, "status", status);
    label(&mut out, "error", error);
    out
}

fn labels_listener([listener]: [&str; 1]) -> String {
    let mut out = String::new();
    label(&mut out, "listener", listener);
    out
}

impl Default for HttpFamilies {
    fn default() -> Self {
        HttpFamilies {
            routes: Family::new(
                LIMIT,
                labels_route,
                "listener=\"_overflow\",method=\"_overflow\",route=\"_overflow\"",
            ),
            errors: Family::new(
                LIMIT,
                labels_error,
                "listener=\"_overflow\",method=\"_overflow\",route=\"_overflow\",status=\"_overflow\",error=\"_overflow\"",
            ),
            in_flight: Family::new(LIMIT, labels_listener, "listener=\"_overflow\""),
        }
    }
}

/// A handle on one `(listener, method, route)`'s series, looked up once per request.
#[derive(Debug, Clone)]
pub struct HttpRoute(Arc<Entry<3, HttpSeries>>);

impl HttpRoute {
    /// Counts a request answered with `status` whose response body ended (or was dropped)
    /// `elapsed` after the request arrived.
    pub fn finish(&self, status: u16, elapsed: Duration) {
        if let Some(c) = self.0.value.requests.get(class_index(status)) {
            c.inc();
        }
        self.0.value.duration.observe(elapsed);
    }
}

/// A handle on one error series: `(listener, method, route, status, error)`.
#[derive(Debug, Clone)]
pub struct HttpError(Arc<Entry<5, Counter>>);

impl HttpError {
    /// Counts one error response.
    pub fn inc(&self) {
        self.0.value.inc();
    }
}

/// A handle on one listener's in-flight gauge, looked up once when its router is built.
#[derive(Debug, Clone)]
pub struct HttpInFlight(Arc<Gauge>);

impl HttpInFlight {
    /// One request in flight until the guard is dropped.
    pub fn enter(&self) -> Active {
        Active::new(self.0.clone())
    }
}

impl Metrics {
    /// The series of requests on `listener` with `method` (see [`method_label`]) to `route`
    /// (a route template, or `unmatched`).
    pub fn http_route(&self, listener: &str, method: &str, route: &str) -> HttpRoute {
        HttpRoute(self.http.routes.get([listener, method, route]))
    }

    /// The error counter of `(listener, method, route)` for `status` (its numeric text) and
    /// `error` (an error code, or the status class when the response gave none).
    pub fn http_error(
        &self,
        [listener, method, route]: [&str; 3],
        status: &str,
        error: &str,
    ) -> HttpError {
        HttpError(
            self.http
                .errors
                .get([listener, method, route, status, error]),
        )
    }

    /// The in-flight gauge of `listener`.
    pub fn http_in_flight(&self, listener: &str) -> HttpInFlight {
        HttpInFlight(self.http.in_flight.get([listener]).value.clone())
    }

    pub(super) fn render_http(&self, out: &mut String) {
        let routes = self.http.routes.all();
        let name = "llmux_http_requests_total";
        header(
            out,
            name,
            "counter",
            "Data-plane requests answered, by listener, method, route template and status class.",
        );
        for e in &routes {
            for (class, c) in STATUS_CLASSES.iter().zip(&e.value.requests) {
                if c.get() > 0 {
                    let extra = format!("status_class=\"{class}\"");
                    sample(out, name, &e.labels, &extra, c.get());
                }
            }
        }
        let name = "llmux_http_request_duration_seconds";
        header(
            out,
            name,
            "histogram",
            "Time from a request's arrival to the end of its response body (streams whole).",
        );
        for e in &routes {
            e.value.duration.encode(out, name, &e.labels);
        }
        let name = "llmux_http_request_errors_total";
        header(
            out,
            name,
            "counter",
            "Data-plane responses with status >= 400, by status and error code.",
        );
        for e in self.http.errors.all() {
            sample(out, name, &e.labels, "", e.value.get());
        }
        let name = "llmux_http_requests_in_flight";
        header(
            out,
            name,
            "gauge",
            "Data-plane requests whose response body has not ended yet.",
        );
        for e in self.http.in_flight.all() {
            sample(out, name, &e.labels, "", e.value.get());
        }
    }
}

#[cfg(test)]
mod tests;
