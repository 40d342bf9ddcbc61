//! Rate limits per client IP and per target account, probed with scripted
//! attempts and rotating addresses.

use crate::common::{Backend, PASSWORD, on_both_backends, spawn};
use portcullis::settings::LimitSettings;
use reqwest::StatusCode;
use std::time::Duration as StdDuration;

on_both_backends!(
    logins_past_the_per_ip_limit_get_429_with_retry_after_and_cost_nothing,
    rotating_ips_does_not_escape_the_per_account_limit,
    a_forged_forwarded_for_is_ignored_without_trusted_proxies,
    registration_is_limited_per_ip,
    switching_rate_limits_off_leaves_the_lockout_on,
    ipv6_clients_in_one_network_share_a_limit_and_other_networks_do_not,
    an_ipv4_mapped_address_counts_as_its_ipv4_address,
);

fn limit(max: u32, seconds: u64) -> LimitSettings {
    LimitSettings {
        max,
        window: StdDuration::from_secs(seconds),
    }
}

fn behind_proxy(s: &mut portcullis::Settings) {
    s.rate_limit.enabled = true;
    s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
}

async fn logins_past_the_per_ip_limit_get_429_with_retry_after_and_cost_nothing(backend: Backend) {
    let app = spawn!(backend, |s| {
        behind_proxy(s);
        s.rate_limit.login_per_ip = limit(3, 60);
    });
    app.browser_from("198.51.100.9")
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    let attacker = app.browser_from("203.0.113.1");
    for _ in 0..3 {
        assert_eq!(
            attacker.login("alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = attacker.login("alice", PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password"
    );
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Too many attempts.")
    );
    let api = attacker
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(api.headers().contains_key("retry-after"));
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "rate_limited"
    );

    // No work was done for refused attempts: only three failures were judged.
    assert_eq!(app.audit(&["--type", "login_failed"])["total"], 3);
    assert_eq!(
        app.audit(&["--type", "rate_limited"])["total"],
        1,
        "one record per window, not per hit"
    );

    // Another address is unaffected; the limited one recovers after the window.
    assert_eq!(
        app.browser_from("203.0.113.2")
            .login("alice", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(
        attacker.login("alice", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn rotating_ips_does_not_escape_the_per_account_limit(backend: Backend) {
    let app = spawn!(backend, |s| {
        behind_proxy(s);
        s.rate_limit.login_per_account = limit(3, 300);
        s.lockout.max_failures = 50;
    });
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    app.browser()
        .register("bob", "bob@example.com", PASSWORD)
        .await;
    for i in 0..3 {
        let b = app.browser_from(&format!("203.0.113.{}", 10 + i));
        assert_eq!(
            b.login("alice", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    for i in 0..3 {
        let b = app.browser_from(&format!("198.51.100.{}", 10 + i));
        assert_eq!(
            b.login("ALICE", PASSWORD).await.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "attempt {i}"
        );
    }
    // Other accounts, from the same addresses, are fine.
    assert_eq!(
        app.browser_from("203.0.113.10")
            .login("bob", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn a_forged_forwarded_for_is_ignored_without_trusted_proxies(backend: Backend) {
    let app = spawn!(backend, |s| {
        s.rate_limit.enabled = true;
        s.rate_limit.login_per_ip = limit(2, 60);
    });
    for i in 0..2 {
        let b = app.browser_from(&format!("203.0.113.{i}"));
        assert_eq!(
            b.login("nobody", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let b = app.browser_from("192.0.2.77");
    assert_eq!(
        b.login("nobody", "wrong password").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn registration_is_limited_per_ip(backend: Backend) {
    let app = spawn!(backend, |s| {
        behind_proxy(s);
        s.rate_limit.register_per_ip = limit(2, 3600);
    });
    let b = app.browser_from("203.0.113.5");
    assert_eq!(
        b.register("user1", "u1@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        b.register("user2", "u2@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let response = b.register("user3", "u3@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let api = b
        .post_json("/api/register", &serde_json::json!({"username": "user4", "email": "u4@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    // Nothing was created for the refused ones.
    let listed = crate::cli::portcullis(&app.db_url, &["users", "list", "--json"], None);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["total"], 2);
    assert_eq!(
        app.browser_from("203.0.113.6")
            .register("user3", "u3@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn switching_rate_limits_off_leaves_the_lockout_on(backend: Backend) {
    let app = spawn!(backend, |s| {
        s.rate_limit.enabled = false;
        s.rate_limit.login_per_ip = limit(1, 60);
    });
    app.browser()
        .register("alice", "alice@example.com", PASSWORD)
        .await;
    for _ in 0..20 {
        assert_eq!(
            app.browser()
                .login("alice", "wrong password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.browser().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "locked"
    );
    assert_eq!(app.audit(&["--type", "locked_out"])["total"], 1);
}

async fn ipv6_clients_in_one_network_share_a_limit_and_other_networks_do_not(backend: Backend) {
    let app = spawn!(backend, |s| {
        behind_proxy(s);
        s.rate_limit.login_per_ip = limit(2, 60);
    });
    // Two addresses of one /64: a client rotating through its own network.
    for ip in ["2001:db8:1:2::a", "2001:db8:1:2:ffff:ffff:ffff:fffe"] {
        assert_eq!(
            app.browser_from(ip)
                .login("nobody", "wrong password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED,
            "{ip}"
        );
    }
    assert_eq!(
        app.browser_from("2001:db8:1:2:1234::1")
            .login("nobody", "wrong password")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a third address of the same /64 shares its limit"
    );
    assert_eq!(
        app.browser_from("2001:db8:1:3::a")
            .login("nobody", "wrong password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the next /64 has a limit of its own"
    );
    // The audit log keeps each full address, not the network.
    let failed = app.audit(&["--type", "login_failed"]);
    let ips: Vec<&str> = failed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["ip"].as_str())
        .collect();
    for ip in [
        "2001:db8:1:2::a",
        "2001:db8:1:2:ffff:ffff:ffff:fffe",
        "2001:db8:1:3::a",
    ] {
        assert!(ips.contains(&ip), "{ip} in {ips:?}");
    }
}

async fn an_ipv4_mapped_address_counts_as_its_ipv4_address(backend: Backend) {
    let app = spawn!(backend, |s| {
        behind_proxy(s);
        s.rate_limit.login_per_ip = limit(2, 60);
    });
    for ip in ["203.0.113.7", "::ffff:203.0.113.7"] {
        assert_eq!(
            app.browser_from(ip)
                .login("nobody", "wrong password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED,
            "{ip}"
        );
    }
    assert_eq!(
        app.browser_from("203.0.113.7")
            .login("nobody", "wrong password")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
