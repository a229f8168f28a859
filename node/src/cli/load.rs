//! `hanse load`

use super::{LoadArgs, api_url};
use crate::client::NodeClient;
use crate::node_dir::{NodeDir, NodeDirError};
use crate::store::graph_store::GraphTarget;
use crate::store::loader::{self, LoadProgress, LoadSource};
use crate::store::observation_index::ObservationIndex;
use crate::store::rdf_format::{RDF_FORMAT_NAMES, rdf_format_from_name, rdf_format_from_path};
use crate::store::state::NodeState;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use oxigraph::model::NamedNode;
use std::time::{Duration, Instant};

pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let dir = NodeDir::new(&args.dir.dir);
    let config = dir.load_config()?;
    let sources = sources(&args)?;
    let graph = args
        .graph
        .as_deref()
        .map(|iri| NamedNode::new(iri).with_context(|| format!("--graph `{iri}` is not an IRI")))
        .transpose()?;
    let total_bytes = sources
        .iter()
        .map(|s| std::fs::metadata(&s.path).map(|m| m.len()))
        .sum::<std::io::Result<u64>>()
        .context("cannot read the size of an input file")?;
    let started = Instant::now();
    let quads = match dir.lock() {
        Ok(_lock) => {
            let bar = progress_bar(total_bytes, "loading");
            let progress = LoadProgress::default();
            let count = with_progress(&bar, &progress, {
                let (progress, dir, config) = (progress.clone(), dir.clone(), config.clone());
                move || {
                    let store = dir.open_store(&config)?;
                    let count = loader::load(&store, &sources, graph.as_ref(), &progress)?;
                    NodeDir::flush_store(&store)?;
                    // The store changed while the node was down: its observation index is
                    // rebuilt at the next start.
                    let state = NodeState::open(&dir.resolve(&config.storage.state))?;
                    ObservationIndex::forget_clean_shutdown(&state)?;
                    Ok(count)
                }
            })
            .await?;
            bar.finish_and_clear();
            count
        }
        Err(NodeDirError::AlreadyRunning { .. }) => {
            let api = RunningNode {
                url: api_url(config.http.listen),
                max_body_bytes: config.http.max_body_bytes,
            };
            load_through_api(&dir, api, sources, graph, total_bytes).await?
        }
        Err(e) => return Err(e.into()),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "loaded {quads} quads from {} file(s) in {secs:.1}s ({:.0} quads/s)",
        args.files.len(),
        quads as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Where a running node's API is and how much it accepts per request.
struct RunningNode {
    url: String,
    max_body_bytes: usize,
}

/// Validates every file locally (so nothing is sent if any is bad), then posts them.
async fn load_through_api(
    dir: &NodeDir,
    api: RunningNode,
    sources: Vec<LoadSource>,
    graph: Option<NamedNode>,
    total_bytes: u64,
) -> anyhow::Result<u64> {
    eprintln!(
        "a node is running on {}; loading through its API at {}",
        dir.root().display(),
        api.url
    );
    for source in &sources {
        let len = std::fs::metadata(&source.path)?.len();
        if len > api.max_body_bytes as u64 {
            bail!(
                "{} ({len} bytes) is larger than the running node accepts per request (http.max_body_bytes = {}); stop the node and load it directly, or raise the limit",
                source.path.display(),
                api.max_body_bytes
            );
        }
    }
    let client = NodeClient::new(api.url, Some(dir.load_admin_token()?));
    let bar = progress_bar(total_bytes, "checking");
    let progress = LoadProgress::default();
    let checked = {
        let (sources, graph, counter) = (sources.clone(), graph.clone(), progress.clone());
        with_progress(&bar, &progress, move || {
            sources
                .iter()
                .map(|s| loader::validate(s, graph.as_ref(), &counter).map_err(Into::into))
                .collect::<anyhow::Result<Vec<u64>>>()
        })
        .await?
    };
    bar.finish_and_clear();
    let bar = progress_bar(total_bytes, "sending");
    let mut quads = 0;
    for (source, expected) in sources.iter().zip(checked) {
        let body = std::fs::read(&source.path)
            .with_context(|| format!("cannot read {}", source.path.display()))?;
        let len = body.len() as u64;
        let target = match &graph {
            Some(g) => GraphTarget::Named(g.clone()),
            None if source.format.supports_datasets() => GraphTarget::Dataset,
            None => GraphTarget::Default,
        };
        quads += client
            .add_rdf(&target, source.format.media_type(), body)
            .await
            .with_context(|| {
                format!(
                    "the node refused {} ({expected} quads); files before it were stored",
                    source.path.display()
                )
            })?;
        bar.inc(len);
    }
    bar.finish_and_clear();
    Ok(quads)
}

/// Runs blocking `work` while a task moves `bar` along with `progress`.
async fn with_progress<T: Send + 'static>(
    bar: &ProgressBar,
    progress: &LoadProgress,
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let task = tokio::task::spawn_blocking(work);
    tokio::pin!(task);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            result = &mut task => {
                bar.set_position(progress.bytes_read());
                return result.context("the load task failed")?;
            }
            _ = tick.tick() => bar.set_position(progress.bytes_read()),
        }
    }
}

fn progress_bar(total: u64, verb: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>8} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(verb);
    bar
}

fn sources(args: &LoadArgs) -> anyhow::Result<Vec<LoadSource>> {
    let forced = match &args.format {
        Some(name) => Some(rdf_format_from_name(name).with_context(|| {
            format!("unknown --format `{name}`; use one of {RDF_FORMAT_NAMES}")
        })?),
        None => None,
    };
    args.files
        .iter()
        .map(|path| {
            let Some(format) = forced.or_else(|| rdf_format_from_path(path)) else {
                bail!(
                    "cannot tell the RDF format of {} from its extension; pass --format ({RDF_FORMAT_NAMES})",
                    path.display()
                );
            };
            if !path.is_file() {
                bail!("{} is not a readable file", path.display());
            }
            Ok(LoadSource {
                path: path.clone(),
                format,
            })
        })
        .collect()
}
