//! `single-hash`: how long one password verification takes on this machine
//! with the argon2id parameters the server is configured with, so that login
//! throughput can be compared with its physical limit (cores ÷ hash time).
//!
//! The parameters come from the same `PORTCULLIS_PASSWORD__*` variables the
//! server reads (defaults m=19456 KiB, t=2, p=1). Run it in release mode:
//!
//! ```sh
//! cargo run --release -p portcullis-core --example single_hash -- 21
//! ```
//!
//! It verifies a password `N` times one after another (the argument, default
//! 21) and prints the median, then runs one verification per core at once for
//! the same number of rounds, to show what the cores sustain together. The
//! output is one JSON object on standard output, for `bench/run` to read.

use portcullis_core::{HashingConfig, PasswordHasher};
use std::time::{Duration, Instant};

fn env_u32(name: &str, default: u32) -> u32 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {value:?}")),
        Err(_) => default,
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|n| {
            n.parse()
                .expect("the argument is the number of verifications")
        })
        .unwrap_or(21)
        .max(1);
    let defaults = HashingConfig::default();
    let cores = defaults.max_concurrent;
    let config = HashingConfig {
        memory_kib: env_u32("PORTCULLIS_PASSWORD__MEMORY_KIB", defaults.memory_kib),
        iterations: env_u32("PORTCULLIS_PASSWORD__ITERATIONS", defaults.iterations),
        parallelism: env_u32("PORTCULLIS_PASSWORD__PARALLELISM", defaults.parallelism),
        max_concurrent: cores,
    };
    let hasher = PasswordHasher::new(config).expect("valid argon2 parameters");
    let password = "correct horse battery staple";
    let stored = hasher.hash(password).await.expect("hashing works");

    // One warm-up verification, then the measured ones, one at a time.
    assert!(
        hasher
            .verify(password, &stored)
            .await
            .expect("verify")
            .matches
    );
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let verified = hasher.verify(password, &stored).await.expect("verify");
        samples.push(started.elapsed());
        assert!(verified.matches);
    }
    let min = *samples.iter().min().expect("at least one sample");
    let max = *samples.iter().max().expect("at least one sample");
    let median = median(&mut samples);

    // All cores at once: `cores` tasks each verifying `rounds` times.
    let started = Instant::now();
    let tasks: Vec<_> = (0..cores)
        .map(|_| {
            let hasher = hasher.clone();
            let stored = stored.clone();
            tokio::spawn(async move {
                for _ in 0..rounds {
                    hasher.verify(password, &stored).await.expect("verify");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("verification task");
    }
    let parallel_elapsed = started.elapsed();
    let parallel_per_s = (cores * rounds) as f64 / parallel_elapsed.as_secs_f64();

    println!(
        "{{\"memory_kib\":{},\"iterations\":{},\"parallelism\":{},\"cores\":{},\
         \"rounds\":{},\"median_ms\":{:.3},\"min_ms\":{:.3},\"max_ms\":{:.3},\
         \"limit_per_s\":{:.2},\"parallel_per_s\":{:.2}}}",
        config.memory_kib,
        config.iterations,
        config.parallelism,
        cores,
        rounds,
        millis(median),
        millis(min),
        millis(max),
        cores as f64 / median.as_secs_f64(),
        parallel_per_s,
    );
}
