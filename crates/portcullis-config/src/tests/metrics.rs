//! Where metrics are served: an address of their own, or nowhere.

use super::env;
use crate::Settings;

fn with(vars: &[(&str, &str)]) -> Result<Settings, String> {
    Settings::load(None, env(vars)).map_err(|e| e.to_string())
}

#[test]
fn metrics_are_off_by_default_and_never_share_the_public_listener() {
    assert_eq!(with(&[]).unwrap().metrics.listen, None);
    let on = with(&[("PORTCULLIS_METRICS__LISTEN", "127.0.0.1:9090")]).unwrap();
    assert_eq!(on.metrics.listen, Some("127.0.0.1:9090".parse().unwrap()));
    let err = with(&[
        ("PORTCULLIS_LISTEN", "127.0.0.1:8080"),
        ("PORTCULLIS_METRICS__LISTEN", "127.0.0.1:8080"),
    ])
    .unwrap_err();
    assert!(
        err.contains("metrics.listen") && err.contains("never served on the public listener"),
        "{err}"
    );
    let err = with(&[("PORTCULLIS_METRICS__LISTEN", "localhost")]).unwrap_err();
    assert!(err.contains("PORTCULLIS_METRICS__LISTEN"), "{err}");
}
