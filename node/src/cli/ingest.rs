//! `hanse ingest csv|status|dead-letters`: past measurements from CSV files, and the state of
//! the running node's sensor sources.

use super::DirArg;
use super::api::Api;
use crate::client::NodeClient;
use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;
use serde_json::Value;
use std::path::Path;

/// The `hanse ingest` subcommands.
#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// Send a CSV file (`device,time,<field>…` header) through a source's mapping into the
    /// running node, in batches, with a progress bar. Refused rows become dead letters.
    Csv {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The CSV file.
        file: std::path::PathBuf,
        /// The source whose mapping applies.
        #[arg(long)]
        source: String,
        /// Rows per request.
        #[arg(long, default_value_t = 5000)]
        batch_rows: usize,
    },
    /// Per source: messages received, stored, dead-lettered, lag and last error.
    Status {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
    },
    /// List refused messages, or replay them after fixing the mapping (`--replay`).
    DeadLetters {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// Re-read the mapping files and try every dead letter again.
        #[arg(long)]
        replay: bool,
    },
}

/// Runs an ingest subcommand.
pub async fn run(command: IngestCommand) -> anyhow::Result<()> {
    match command {
        IngestCommand::Csv {
            dir,
            file,
            source,
            batch_rows,
        } => csv(&Api::for_dir(&dir)?, &file, &source, batch_rows.max(1)).await,
        IngestCommand::Status { dir } => status(&Api::for_dir(&dir)?).await,
        IngestCommand::DeadLetters {
            dir,
            source,
            replay,
        } => dead_letters(&Api::for_dir(&dir)?, source.as_deref(), replay).await,
    }
}

async fn status(api: &NodeClient) -> anyhow::Result<()> {
    let sources: Vec<Value> = serde_json::from_slice(&api.get("/api/ingest/status").await?)?;
    if sources.is_empty() {
        println!(
            "no sources: put mapping files in the node's sources/ directory (see docs/ingest.md)"
        );
        return Ok(());
    }
    let count = |value: &Value| value.as_u64().map_or("-".to_owned(), |n| n.to_string());
    let rows: Vec<Vec<String>> = sources
        .iter()
        .map(|s| {
            vec![
                s["source"].as_str().unwrap_or("").to_owned(),
                s["format"].as_str().unwrap_or("").to_owned(),
                count(&s["received"]),
                count(&s["messages_stored"]),
                count(&s["observations_stored"]),
                count(&s["dead_letters_waiting"]),
                count(&s["lag_ms"]),
                s["last_error"]["reason"].as_str().unwrap_or("-").to_owned(),
            ]
        })
        .collect();
    let header = [
        "source",
        "format",
        "received",
        "stored",
        "observations",
        "dead",
        "lag ms",
        "last error",
    ];
    print!("{}", super::table::aligned(&header, &rows));
    Ok(())
}

async fn dead_letters(api: &NodeClient, source: Option<&str>, replay: bool) -> anyhow::Result<()> {
    let query = source.map(|s| format!("?source={s}")).unwrap_or_default();
    if replay {
        let path = format!("/api/ingest/dead-letters/replay{query}");
        let outcome: Value = serde_json::from_slice(&api.send(Method::POST, &path, None).await?)?;
        println!(
            "replayed {} dead letters: {} stored, {} still refused",
            outcome["tried"], outcome["stored"], outcome["still_refused"]
        );
        return Ok(());
    }
    let path = format!("/api/ingest/dead-letters{query}");
    let letters: Vec<Value> = serde_json::from_slice(&api.get(&path).await?)?;
    for letter in &letters {
        let payload = letter["payload"].as_str().unwrap_or("");
        let short: String = payload.chars().take(60).collect();
        println!(
            "{:>6}  {}  {:<14} {:<24} {}\n        payload: {}{}",
            letter["id"].to_string(),
            letter["received_at"].as_str().unwrap_or(""),
            letter["source"].as_str().unwrap_or(""),
            letter["topic"].as_str().unwrap_or(""),
            letter["reason"].as_str().unwrap_or(""),
            short.replace('\n', "\\n"),
            if payload.chars().count() > 60 {
                "…"
            } else {
                ""
            },
        );
    }
    println!("{} dead letters", letters.len());
    Ok(())
}

/// Streams the file in batches of rows, each sent as a CSV document with the header.
async fn csv(api: &NodeClient, file: &Path, source: &str, batch_rows: usize) -> anyhow::Result<()> {
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let total = input.metadata()?.len();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::new(input));
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the CSV header", file.display()))?
        .clone();
    for required in ["device", "time"] {
        if !headers.iter().any(|h| h.trim() == required) {
            bail!("{}: the header has no `{required}` column", file.display());
        }
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>9} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("ingesting");
    let (mut rows, mut observations, mut refused) = (0u64, 0u64, 0u64);
    let mut record = csv::StringRecord::new();
    loop {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&headers)?;
        let mut batch = 0;
        while batch < batch_rows && reader.read_record(&mut record)? {
            writer.write_record(&record)?;
            batch += 1;
        }
        if batch == 0 {
            break;
        }
        let body = writer.into_inner().context("cannot build a batch")?;
        let path = format!("/api/ingest/{source}");
        let (status, answer) = api
            .exchange(Method::POST, &path, Some(("text/csv", body)))
            .await?;
        // 422 means every row of the batch was refused (and kept as dead letters): go on.
        if !status.is_success() && status != reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            bar.abandon();
            bail!(
                "after {rows} rows: {}",
                String::from_utf8_lossy(&answer).trim()
            );
        }
        let outcome: Value = serde_json::from_slice(&answer).unwrap_or_default();
        rows += batch as u64;
        observations += outcome["observations"].as_u64().unwrap_or(0);
        refused += outcome["dead_lettered"].as_u64().unwrap_or(0);
        bar.set_position(reader.position().byte());
    }
    bar.finish_and_clear();
    println!(
        "{rows} rows: {observations} observations stored, {refused} rows refused (see `hanse ingest dead-letters`)"
    );
    Ok(())
}
