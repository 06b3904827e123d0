//! Serving HTTP/1 connections with the limits of SPEC §9: how long a client may take over its
//! request head, its body and an idle keep-alive connection, how many connections are open at
//! once, and how long a shutdown may take whatever clients do.
//!
//! hyper's own header timeout starts when a connection becomes idle, so it would cut idle
//! keep-alive connections at the header deadline; [`watch`] keeps the two apart.

mod body;
mod watch;

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::{Pin, pin},
    sync::Arc,
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{HeaderValue, Request, Response, Version, header},
    response::IntoResponse,
    serve::Listener,
};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    sync::{OwnedSemaphorePermit, Semaphore, watch as signal},
    task::JoinSet,
    time::Instant,
};
use tower::ServiceExt;

use crate::config::ConnectionLimits;
use crate::error::ApiError;
use crate::shutdown::{Counted, Drain, DrainingListener};

use self::body::{BodyProgress, RequestBody};
pub use self::watch::Activity;
use self::watch::{InFlight, Verdict};

/// Most header fields a request may carry.
pub const MAX_HEADERS: usize = 100;
/// Most bytes of header names and values a request may carry.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Longest request target (path and query).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// hyper answers by itself, without a body, past these; they are set well above ours so that
/// nearly every oversized head gets our problem+json answer instead.
const HYPER_MAX_HEADERS: usize = 2 * MAX_HEADERS;
const HYPER_MAX_BUF_BYTES: usize = 1024 * 1024;
/// A refused connection gets this long to take its 503 before it is closed.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);
/// At most this many refused connections are answered at once; past it they are closed.
const MAX_REFUSALS: usize = 256;

/// Serves `router` on `listener` until `shutdown` resolves, then drains as `crate::shutdown`
/// describes and gives in-flight requests until `limits.shutdown_timeout` (counted from the
/// signal) before closing whatever is still open.
pub async fn serve(
    mut listener: DrainingListener,
    drain: Drain,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let limits = Arc::new(limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let (stop, stopping) = signal::channel(false);
    let mut connections = JoinSet::new();
    let mut begin = pin!(async {
        shutdown.await;
        let signalled = Instant::now();
        drain.begin().await;
        signalled
    });
    let signalled = loop {
        tokio::select! {
            (io, remote) = listener.accept() => {
                match Arc::clone(&permits).try_acquire_owned() {
                    Ok(permit) => {
                        connections.spawn(connection(
                            io, remote, router.clone(), Arc::clone(&limits), stopping.clone(), permit,
                        ));
                    }
                    Err(_) => {
                        if let Ok(turn) = Arc::clone(&refusals).try_acquire_owned() {
                            connections.spawn(refuse(io, turn));
                        }
                        crate::metrics::connection_refused();
                    }
                }
            }
            signalled = &mut begin => break signalled,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    };
    stop.send_replace(true);
    let deadline = signalled + limits.shutdown_timeout;
    let all_done = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout_at(deadline, all_done).await.is_err() {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline reached: closing the connections still open"
        );
        connections.shutdown().await;
    }
}

/// Serves one connection, closing it when it breaks a time limit or the server stops.
async fn connection(
    mut io: Counted,
    remote: SocketAddr,
    router: Router,
    limits: Arc<ConnectionLimits>,
    mut stopping: signal::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let service = ConnectionService {
        router,
        remote,
        activity: Arc::clone(&activity),
        body_timeout: limits.body_timeout,
    };
    io.watch(Arc::clone(&activity));
    let io = TokioIo::new(io);
    let mut conn = pin!(
        hyper::server::conn::http1::Builder::new()
            .max_headers(HYPER_MAX_HEADERS)
            .max_buf_size(HYPER_MAX_BUF_BYTES)
            .serve_connection(io, service)
            .with_upgrades()
    );
    let mut closing = false;
    let mut deadline = Instant::now() + limits.header_timeout;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            changed = stopping.wait_for(|stop| *stop), if !closing => {
                if changed.is_ok() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                match activity.check(Instant::now(), &limits) {
                    Verdict::Wait(until) => deadline = until,
                    Verdict::Idle => {
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                        deadline = Instant::now() + limits.header_timeout;
                    }
                    // Half a request head, too slow: nothing to answer.
                    Verdict::HeadTooSlow => return,
                }
            }
        }
    }
}

/// Answers a connection over the cap with a 503 instead of leaving it queued.
async fn refuse(mut io: Counted, _turn: OwnedSemaphorePermit) {
    let problem = serde_json::to_string(&crate::error::Problem {
        kind: "about:blank",
        title: "Service Unavailable",
        status: 503,
        detail: "the server has too many open connections, please retry".to_owned(),
        errors: None,
        error: None,
    })
    .unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nx-content-type-options: nosniff\r\nx-request-id: {}\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{problem}",
        uuid::Uuid::new_v4(),
        problem.len()
    );
    let linger = async {
        io.write_all(answer.as_bytes()).await?;
        io.shutdown().await?;
        // Read what the client sent until it closes, so the close is not a reset that could
        // destroy the answer before the client reads it.
        let mut sink = [0_u8; 1024];
        while io.read(&mut sink).await? > 0 {}
        std::io::Result::Ok(())
    };
    let _ = tokio::time::timeout(REFUSAL_LINGER, linger).await;
}

/// The router as hyper calls it for one connection.
#[derive(Clone)]
struct ConnectionService {
    router: Router,
    remote: SocketAddr,
    activity: Arc<Activity>,
    body_timeout: Duration,
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for ConnectionService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::begin(Arc::clone(&self.activity));
        if let Some(refused) = refused_head(&request) {
            return Box::pin(async move {
                drop(in_flight);
                Ok(refused.into_response())
            });
        }
        let http1 = request.version() <= Version::HTTP_11;
        let (mut parts, incoming) = request.into_parts();
        parts.extensions.insert(ConnectInfo(self.remote));
        // Requests without a body (most of them) skip the tracking and its allocation.
        let (body, progress) = if hyper::body::Body::is_end_stream(&incoming) {
            (Body::new(incoming), None)
        } else {
            let progress = Arc::new(BodyProgress::default());
            let body = RequestBody::new(incoming, self.body_timeout, Arc::clone(&progress));
            (Body::new(body), Some(progress))
        };
        let router = self.router.clone();
        Box::pin(async move {
            let response = router.oneshot(Request::from_parts(parts, body)).await;
            drop(in_flight);
            let mut response = match response {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if let Some(progress) = progress {
                if progress.timed_out() {
                    response = ApiError::RequestTimeout.into_response();
                }
                // The rest of the body is still on the wire: the connection cannot carry
                // another request, and the client must be told so before it sends one.
                if http1 && !progress.finished() {
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
            }
            Ok(response)
        })
    }
}

/// A problem+json answer for a request head over our limits (414, 431) or with a query
/// parameter no database can compare with (422).
fn refused_head<B>(request: &Request<B>) -> Option<Response<Body>> {
    let target_len = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    let error = if target_len > MAX_URI_BYTES {
        ApiError::UriTooLong
    } else if request.headers().len() > MAX_HEADERS
        || request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum::<usize>()
            > MAX_HEADER_BYTES
    {
        ApiError::HeadersTooLarge
    } else if let Some(error) = request.uri().query().and_then(crate::input::query_error) {
        ApiError::Validation(vec![error])
    } else {
        return None;
    };
    let mut response = error.into_response();
    let headers = response.headers_mut();
    // Refused before anything read its body, if it has one.
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(crate::observe::REQUEST_ID_HEADER, id);
    }
    Some(response)
}
