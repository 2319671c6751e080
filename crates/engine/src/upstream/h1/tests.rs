use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A server that answers each request on a connection with the next scripted reply; after the
/// last reply of a connection's script it closes that connection. Counts accepted connections.
async fn server(script: Vec<Vec<&'static str>>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        for replies in script {
            let (mut sock, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                for reply in replies {
                    // Read one request head + body (content-length).
                    let mut buf = Vec::new();
                    loop {
                        let mut tmp = [0u8; 4096];
                        let n = sock.read(&mut tmp).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&tmp[..n]);
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                            let len: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length: "))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    sock.write_all(reply.as_bytes()).await.unwrap();
                }
            });
        }
    });
    (addr, accepted)
}

async fn body_text(body: H1Body) -> Result<String, std::io::Error> {
    let bytes = body.collect().await?.to_bytes();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn pool(addr: &str) -> Arc<H1Pool> {
    H1Pool::new(addr.to_owned(), Duration::from_secs(2), None)
}

async fn get(pool: &Arc<H1Pool>) -> Result<H1Response, H1Error> {
    pool.send(
        &Method::POST,
        "/v1/x",
        &HeaderMap::new(),
        &Bytes::from_static(b"{}"),
    )
    .await
}

#[tokio::test]
async fn keep_alive_connections_are_reused() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi";
    let (addr, accepted) = server(vec![vec![ok, ok, ok]]).await;
    let pool = pool(&addr);
    for _ in 0..3 {
        let resp = get(&pool).await.unwrap();
        assert_eq!(resp.head.status, 200);
        assert_eq!(body_text(resp.body).await.unwrap(), "hi");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn chunked_bodies_are_decoded() {
    let reply =
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n6\r\ndata: \r\n3\r\nabc\r\n0\r\n\r\n";
    let (addr, accepted) = server(vec![vec![reply, reply]]).await;
    let pool = pool(&addr);
    for _ in 0..2 {
        let resp = get(&pool).await.unwrap();
        assert_eq!(body_text(resp.body).await.unwrap(), "data: abc");
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "chunked bodies end cleanly and allow reuse"
    );
}

#[tokio::test]
async fn a_connection_closed_by_the_upstream_is_replaced_once() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na";
    // First connection serves one reply, then closes; the second serves the retry.
    let (addr, accepted) = server(vec![vec![ok], vec![ok]]).await;
    let pool = pool(&addr);
    assert_eq!(
        body_text(get(&pool).await.unwrap().body).await.unwrap(),
        "a"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        body_text(get(&pool).await.unwrap().body).await.unwrap(),
        "a"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn close_delimited_and_connection_close_are_not_reused() {
    let close_delimited = "HTTP/1.1 200 OK\r\n\r\nuntil-eof";
    let closing = "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\nz";
    let (addr, accepted) = server(vec![vec![close_delimited], vec![closing], vec![closing]]).await;
    let pool = pool(&addr);
    assert_eq!(
        body_text(get(&pool).await.unwrap().body).await.unwrap(),
        "until-eof"
    );
    assert_eq!(
        body_text(get(&pool).await.unwrap().body).await.unwrap(),
        "z"
    );
    assert_eq!(
        body_text(get(&pool).await.unwrap().body).await.unwrap(),
        "z"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn truncated_bodies_are_errors() {
    let short = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc";
    let (addr, _) = server(vec![vec![short]]).await;
    let err = body_text(get(&pool(&addr)).await.unwrap().body)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn refused_connections_and_garbage() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    assert!(matches!(get(&pool(&free)).await, Err(H1Error::Connect(_))));
    let (addr, _) = server(vec![vec!["SSH-2.0-OpenSSH\r\n\r\n"]]).await;
    assert!(matches!(get(&pool(&addr)).await, Err(H1Error::Broken(_))));
}

#[tokio::test]
async fn new_connections_get_the_configured_tcp_keepalive() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi";
    for keepalive in [Some(Duration::from_secs(7)), None] {
        let (addr, _) = server(vec![vec![ok]]).await;
        let pool = H1Pool::new(addr, Duration::from_secs(2), keepalive);
        let resp = get(&pool).await.unwrap();
        assert_eq!(body_text(resp.body).await.unwrap(), "hi");
        // The finished exchange put its connection back in the pool: inspect its socket.
        let idle = pool.idle.lock().unwrap();
        let sock = socket2::SockRef::from(&idle[0].conn.stream);
        assert_eq!(sock.keepalive().unwrap(), keepalive.is_some());
        if let Some(idle_time) = keepalive {
            assert_eq!(sock.tcp_keepalive_time().unwrap(), idle_time);
        }
    }
}
