//! `oxigraph serve` as an anchor: oxigraph's own SPARQL server (oxigraph-cli, built outside
//! the repository with `cargo install oxigraph-cli --version <the embedded oxigraph>`) on a
//! RocksDB store loaded with the same quads as the node, so an HTTP endpoint is compared
//! with an HTTP endpoint that pays the same transport.

use anyhow::{Context, Result, bail};
use oxigraph::io::RdfFormat;
use oxigraph::store::Store;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to open its store and answer.
const START_WITHIN: Duration = Duration::from_secs(60);

/// A running `oxigraph serve`, stopped when dropped.
pub struct OxigraphServer {
    child: Child,
    url: String,
}

impl OxigraphServer {
    /// Writes `store`'s quads to `dir`, loads them with `oxigraph load` into a store in `dir`
    /// and serves it on a free loopback port.
    pub async fn start(binary: &Path, store: &Store, dir: &Path) -> Result<Self> {
        let version = run(Command::new(binary).arg("--version"))?;
        println!("anchor: {} ({})", version.trim(), binary.display());
        let dump = dir.join("quads.nq");
        let location = dir.join("oxigraph");
        let (store, dump_path) = (store.clone(), dump.clone());
        tokio::task::spawn_blocking(move || -> Result<()> {
            let file = std::io::BufWriter::new(std::fs::File::create(&dump_path)?);
            store.dump_to_writer(RdfFormat::NQuads, file)?;
            Ok(())
        })
        .await??;
        let started = Instant::now();
        let (loader, loc) = (binary.to_owned(), location.clone());
        tokio::task::spawn_blocking(move || {
            run(Command::new(loader)
                .arg("load")
                .arg("--location")
                .arg(&loc)
                .arg("--file")
                .arg(&dump))
        })
        .await??;
        println!("oxigraph load: {:.1}s", started.elapsed().as_secs_f64());
        let port = free_port()?;
        let child = Command::new(binary)
            .arg("serve")
            .arg("--location")
            .arg(&location)
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_answering().await?;
        Ok(server)
    }

    /// The SPARQL query endpoint.
    pub fn query_url(&self) -> String {
        format!("{}/query", self.url)
    }

    async fn wait_until_answering(&self) -> Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_WITHIN;
        while Instant::now() < deadline {
            let ask = client
                .get(self.query_url())
                .query(&[("query", "ASK {}")])
                .send()
                .await;
            if ask.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "oxigraph serve did not answer on {} within {}s",
            self.url,
            START_WITHIN.as_secs()
        )
    }
}

impl Drop for OxigraphServer {
    fn drop(&mut self) {
        // Already gone is fine: nothing else to stop.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to completion; its standard output, or an error with its standard error.
fn run(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{:?} failed ({}): {}",
            command.get_program(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A loopback port nothing listens on now.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// `oxigraph` from `--oxigraph`, else from `PATH`; none when neither has it.
pub fn find_binary(given: Option<PathBuf>) -> Option<PathBuf> {
    given.or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("oxigraph"))
                .find(|candidate| candidate.is_file())
        })
    })
}
