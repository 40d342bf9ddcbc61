//! The ceiling the load benchmark measures Portcullis against: axum on the
//! same tokio runtime and the same loopback, answering `GET /hello` with a
//! short text and doing nothing else (no middleware, no logging, no
//! database). Whatever Portcullis costs on top shows as its share of this.
//!
//! ```text
//! cargo build --release -p portcullis-axum --example hello
//! target/release/examples/hello 127.0.0.1:0
//! ```
//!
//! It prints `hello listening on http://ADDR` once it accepts connections.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("hello listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/hello", get(|| async { "Hello, world!" }));
    axum::serve(listener, app).await
}
