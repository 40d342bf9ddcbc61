//! The protected application: it answers every request with what it was
//! sent, so a test sees exactly which headers and cookies the proxy let
//! through.

use axum::Json;
use axum::extract::Request;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;

/// A running echo server; it stops when dropped.
pub struct Upstream {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn echo(request: Request) -> Json<Value> {
    let mut headers = Map::new();
    for (name, value) in request.headers() {
        let value = Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned());
        match headers.get_mut(name.as_str()) {
            Some(Value::Array(values)) => values.push(value),
            _ => {
                headers.insert(name.as_str().to_owned(), Value::Array(vec![value]));
            }
        }
    }
    Json(json!({
        "method": request.method().as_str(),
        "uri": request.uri().to_string(),
        "headers": headers,
    }))
}

pub async fn start() -> Upstream {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(echo);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Upstream { addr, task }
}

/// What the upstream says it received.
pub struct Seen(pub Value);

impl Seen {
    /// Every value of header `name` (lower case) the upstream received.
    pub fn header(&self, name: &str) -> Vec<String> {
        self.0["headers"][name]
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether header `name` arrived absent or empty: nginx drops an empty
    /// header, Caddy passes it on as it got it.
    pub fn names_no_one(&self, name: &str) -> bool {
        self.header(name).iter().all(String::is_empty)
    }

    pub fn uri(&self) -> &str {
        self.0["uri"].as_str().unwrap_or_default()
    }
}
