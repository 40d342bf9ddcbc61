//! Real nginx and Caddy processes on loopback ports, configured with the
//! snippets the README publishes: the test reads them out of README.md and
//! changes only names, addresses and file paths, so what an operator pastes
//! is what the suite runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The proxies the suite runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Nginx,
    Caddy,
}

/// Where the snippets send requests, as the README writes them, and what
/// the test puts there instead.
pub struct Wiring<'a> {
    pub dir: &'a Path,
    pub port: u16,
    pub portcullis: SocketAddr,
    pub upstream: SocketAddr,
    pub cert: &'a Path,
    pub key: &'a Path,
    /// Every protected site's host name (the first is the README's).
    pub sites: &'a [&'a str],
}

/// A running proxy; killed when dropped.
pub struct Proxy {
    child: Child,
    log: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// What the proxy wrote to its error log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The fenced block that follows `<!-- tested: {name} -->` in README.md.
fn snippet(name: &str) -> String {
    let readme = include_str!("../../../../../README.md");
    let marker = format!("<!-- tested: {name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker}"))
        .1;
    let body = after
        .split_once("```")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split_once("\n```"))
        .unwrap_or_else(|| panic!("no fenced block after {marker}"))
        .0;
    body.to_owned()
}

/// The README's addresses and paths replaced by the test's.
fn wire(text: &str, w: &Wiring<'_>) -> String {
    text.replace("/etc/ssl/example.com.pem", &w.cert.display().to_string())
        .replace("/etc/ssl/example.com.key", &w.key.display().to_string())
        .replace("127.0.0.1:8080", &w.portcullis.to_string())
        .replace("127.0.0.1:3000", &w.upstream.to_string())
        .replace("example.com", "example.test")
}

/// Each protected site's block: the README's, under each site's name.
fn sites(block: &str, w: &Wiring<'_>) -> String {
    let block = wire(block, w);
    w.sites
        .iter()
        .map(|site| block.replace("app.example.test", site))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Kind {
    fn program(self) -> &'static str {
        match self {
            Kind::Nginx => "nginx",
            Kind::Caddy => "caddy",
        }
    }

    /// Whether the proxy is installed. Outside CI a missing one skips its
    /// tests (as a missing PostgreSQL does); under CI it is a failure.
    pub fn available(self) -> bool {
        let found = Command::new(self.program())
            .arg(if self == Kind::Nginx { "-v" } else { "version" })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is not installed; .ci/run installs it from Debian",
                self.program()
            );
            eprintln!("{} is not installed: skipping", self.program());
        }
        found
    }
}

pub fn start(kind: Kind, w: &Wiring<'_>) -> Proxy {
    let log = w.dir.join(format!("{kind:?}.log").to_lowercase());
    let (program, args) = match kind {
        Kind::Nginx => {
            let config = w.dir.join("nginx.conf");
            std::fs::write(&config, nginx_config(w)).unwrap();
            let dir = w.dir.display().to_string();
            let config = config.display().to_string();
            (
                kind.program(),
                vec![
                    "-p".into(),
                    dir,
                    "-c".into(),
                    config,
                    "-e".into(),
                    log.display().to_string(),
                ],
            )
        }
        Kind::Caddy => {
            let config = w.dir.join("Caddyfile");
            std::fs::write(&config, caddy_config(w)).unwrap();
            let config = config.display().to_string();
            (
                kind.program(),
                vec![
                    "run".into(),
                    "--config".into(),
                    config,
                    "--adapter".into(),
                    "caddyfile".into(),
                ],
            )
        }
    };
    let output = std::fs::File::create(&log).unwrap();
    let child = Command::new(program)
        .args(&args)
        .current_dir(w.dir)
        .env("HOME", w.dir)
        .env("XDG_DATA_HOME", w.dir)
        .env("XDG_CONFIG_HOME", w.dir)
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} could not start ({e}); .ci/run installs it from Debian")
        });
    let mut proxy = Proxy { child, log };
    wait_for_port(&mut proxy, w.port);
    proxy
}

/// Waits until the proxy accepts connections, or fails with its log.
fn wait_for_port(proxy: &mut Proxy, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = proxy.child.try_wait() {
            panic!("the proxy exited ({status}):\n{}", proxy.log());
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the proxy did not listen on {port}:\n{}",
            proxy.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn nginx_config(w: &Wiring<'_>) -> String {
    let once = wire(&snippet("nginx"), w);
    let each = sites(&snippet("nginx-site"), w);
    let listen = format!("listen 127.0.0.1:{} ssl;", w.port);
    let dir = w.dir.display();
    format!(
        "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n\
         access_log off;\n\
         client_body_temp_path {dir}/body;\nproxy_temp_path {dir}/proxy;\n\
         fastcgi_temp_path {dir}/fastcgi;\nuwsgi_temp_path {dir}/uwsgi;\nscgi_temp_path {dir}/scgi;\n\
         {}\n{}\n}}\n",
        once.replace("listen 443 ssl;", &listen),
        each.replace("listen 443 ssl;", &listen),
    )
}

fn caddy_config(w: &Wiring<'_>) -> String {
    let text = format!(
        "{}\n{}",
        wire(&snippet("caddy"), w),
        sites(&snippet("caddy-site"), w)
    );
    // Caddy fetches certificates itself in production; here every site
    // address gets the port and the test's certificate.
    let tls = format!("tls {} {}", w.cert.display(), w.key.display());
    let sites: String = text
        .lines()
        .map(|line| match line.strip_suffix(" {") {
            Some(site)
                if !line.starts_with(char::is_whitespace) && site.ends_with(".example.test") =>
            {
                format!("https://{site}:{} {{\n\t{tls}\n", w.port)
            }
            _ => format!("{line}\n"),
        })
        .collect();
    format!(
        "{{\n\tadmin off\n\tauto_https off\n\tstorage file_system {}\n}}\n{sites}",
        w.dir.join("caddy-data").display()
    )
}
