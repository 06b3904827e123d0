//! Graceful shutdown that loses no request a client has sent: the listener closes first (new
//! connections are refused, those already queued are served), then every response says
//! `Connection: close`, and idle keep-alive connections get [`IDLE_GRACE`] to send one more
//! request before they are closed.
//!
//! Closing an idle keep-alive connection at once, as a plain graceful shutdown does, races with
//! a client that is writing its next request on it: the request is lost and the client sees a
//! reset. Answering it with `Connection: close` instead tells the client to stop reusing the
//! connection.

use std::{
    future::poll_fn,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{HeaderValue, Version, header},
    middleware::Next,
    response::Response,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{Notify, watch},
};

/// How long an idle keep-alive connection may still send a request once shutdown began.
pub const IDLE_GRACE: Duration = Duration::from_secs(2);

/// The phases of a shutdown, shared by the listener, the response layer and the server.
#[derive(Clone)]
pub struct Drain {
    close_listener: watch::Sender<bool>,
    draining: watch::Sender<bool>,
    open: Arc<Open>,
}

#[derive(Default)]
struct Open {
    count: AtomicUsize,
    changed: Notify,
}

impl Default for Drain {
    fn default() -> Self {
        Self {
            close_listener: watch::channel(false).0,
            draining: watch::channel(false).0,
            open: Arc::default(),
        }
    }
}

impl Drain {
    /// Wraps the bound listener so that it can be closed by [`Drain::begin`].
    pub fn listener(&self, listener: TcpListener) -> DrainingListener {
        let address = listener.local_addr();
        DrainingListener {
            inner: Some(listener),
            address,
            close: self.close_listener.subscribe(),
            closed: self.draining.clone(),
            open: Arc::clone(&self.open),
        }
    }

    /// Whether responses should close their connection.
    pub fn draining(&self) -> watch::Receiver<bool> {
        self.draining.subscribe()
    }

    /// Closes the listener (serving what it had queued), makes every later response close its
    /// connection, then waits until no connection is left or [`IDLE_GRACE`] has passed. In-flight
    /// requests go on after this returns; the server waits for them.
    pub async fn begin(&self) {
        let mut closed = self.draining.subscribe();
        self.close_listener.send_replace(true);
        // The listener sets `draining` once its socket is gone. Should the server stop polling it
        // first, nothing can be accepted any more either.
        let _ = closed.wait_for(|d| *d).await;
        let no_connection_left = async {
            loop {
                let changed = self.open.changed.notified();
                if self.open.count.load(Ordering::Acquire) == 0 {
                    return;
                }
                changed.await;
            }
        };
        let _ = tokio::time::timeout(IDLE_GRACE, no_connection_left).await;
    }
}

/// Adds `Connection: close` to HTTP/1 responses once the shutdown has begun, and hands a
/// request that asks to upgrade its connection the [`Draining`] signal.
pub async fn close_when_draining(
    State(draining): State<watch::Receiver<bool>>,
    mut request: Request,
    next: Next,
) -> Response {
    let http1 = request.version() <= Version::HTTP_11;
    if request.headers().contains_key(header::UPGRADE) {
        request.extensions_mut().insert(Draining(draining.clone()));
    }
    let mut response = next.run(request).await;
    if http1 && *draining.borrow() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The shutdown as a connection that outlives its request (a WebSocket) sees it: the server
/// does not wait for such connections, so they close themselves when this says so.
#[derive(Debug, Clone)]
pub struct Draining(watch::Receiver<bool>);

impl Draining {
    /// Whether the shutdown has begun.
    #[must_use]
    pub fn has_begun(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the shutdown has begun (or the server is gone).
    pub async fn begun(&mut self) {
        let _ = self.0.wait_for(|draining| *draining).await;
    }
}

/// A TCP listener that [`Drain::begin`] can close, counting the connections it accepted.
pub struct DrainingListener {
    inner: Option<TcpListener>,
    address: io::Result<SocketAddr>,
    close: watch::Receiver<bool>,
    closed: watch::Sender<bool>,
    open: Arc<Open>,
}

impl axum::serve::Listener for DrainingListener {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            let Some(listener) = &self.inner else {
                return std::future::pending().await;
            };
            let accepted = if *self.close.borrow() {
                // Connections the kernel already queued were promised an answer: take them
                // without waiting, and close the socket once the queue is empty.
                let ready = poll_fn(|cx| Poll::Ready(listener.poll_accept(cx))).await;
                match ready {
                    Poll::Ready(accepted) => accepted,
                    Poll::Pending => {
                        self.inner = None;
                        self.closed.send_replace(true);
                        continue;
                    }
                }
            } else {
                tokio::select! {
                    accepted = listener.accept() => accepted,
                    changed = self.close.changed() => {
                        if changed.is_err() {
                            // No one can begin a shutdown any more: serve on.
                            listener.accept().await
                        } else {
                            continue;
                        }
                    }
                }
            };
            match accepted {
                Ok((stream, address)) => {
                    if let Err(err) = stream.set_nodelay(true) {
                        // Small responses must not wait for Nagle's algorithm.
                        tracing::debug!(error = %err, "could not set TCP_NODELAY");
                    }
                    return (Counted::new(stream, &self.open), address);
                }
                Err(err) if is_connection_error(&err) => {}
                Err(err) => {
                    // As axum's own listener: most likely out of file descriptors; give the
                    // process a moment to close some.
                    tracing::error!(error = %err, "accept error");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.address {
            Ok(address) => Ok(*address),
            Err(err) => Err(io::Error::new(err.kind(), err.to_string())),
        }
    }
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// An accepted connection, counted as open until it is dropped, that reports the bytes it
/// receives to the server's watchdog once [`Counted::watch`] gave it one.
pub struct Counted {
    stream: TcpStream,
    open: Arc<Open>,
    activity: Option<Arc<crate::server::Activity>>,
}

impl Counted {
    fn new(stream: TcpStream, open: &Arc<Open>) -> Self {
        open.count.fetch_add(1, Ordering::AcqRel);
        Self {
            stream,
            open: Arc::clone(open),
            activity: None,
        }
    }

    /// Reports received bytes to `activity` from now on.
    pub fn watch(&mut self, activity: Arc<crate::server::Activity>) {
        self.activity = Some(activity);
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.open.count.fetch_sub(1, Ordering::AcqRel);
        self.open.changed.notify_waiters();
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Some(activity) = &self.activity
            && matches!(polled, Poll::Ready(Ok(())))
            && buf.filled().len() > before
        {
            activity.received();
        }
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
