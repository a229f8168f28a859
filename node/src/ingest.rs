//! Sensor ingest: the node's sources (one mapping file each in `sources/`), wired to the
//! store.
//!
//! A message (MQTT publish, HTTP push, CSV row) is decoded and mapped by `hanse-sensors`;
//! its observations, or, if it is refused, its dead letter, go to the [`writer`], which
//! commits them in batches; only then is the message acknowledged (MQTT PUBACK, HTTP 200).
//! Observation IRIs derive from device, property and time, so a redelivered message is
//! stored once.
//!
//! - [`writer`]: the batching writer thread and latest-state entity updates;
//! - [`dead_letters`]: refused messages, kept for replay;
//! - [`live`]: the newest readings of each commit, announced for live charts;
//! - [`status`]: per-source counters;
//! - `mqtt`: one subscription loop per MQTT source;
//! - `replay`: dead letters through the fixed mapping;
//! - [`retention`]: hourly aggregates and expiry of raw observations.

pub mod dead_letters;
pub mod live;
mod mqtt;
pub(crate) mod mqtt_client;
mod replay;
pub mod retention;
pub mod status;
pub mod writer;

pub use replay::ReplayOutcome;

use crate::catalog::CatalogService;
use crate::config::IngestSection;
use crate::store::observation_index::ObservationIndex;
use crate::store::state::NodeState;
use crate::store::subject_filter::SubjectFilter;
use crate::trust::admin_token::AdminToken;
use dead_letters::{DeadLetter, DeadLetterError, DeadLetterStore};
use hanse_sensors::formats::CsvReader;
use hanse_sensors::{
    CSV_TOPIC_PREFIX, Mapper, OffsetDateTime, PayloadError, SourceConfig, SourceError, format_time,
};
use oxigraph::store::Store;
use serde::Serialize;
use status::{SourceCounters, SourceStatus};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use writer::{WriteError, WriteJob, WriteOutcome};

/// Errors of the ingest service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// A mapping file cannot be used.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Two files define the same source name.
    #[error("two mapping files define source `{0}`")]
    DuplicateSource(String),
    /// The sources directory cannot be read.
    #[error("cannot read the sources directory {path}: {source}")]
    SourcesDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A source's token file cannot be read or created.
    #[error("source `{source_name}`: {message}")]
    Token {
        /// The source.
        source_name: String,
        /// What failed.
        message: String,
    },
    /// No source of that name.
    #[error("no source `{0}` (see GET /api/ingest/status for the configured sources)")]
    UnknownSource(String),
    /// The dead-letter store failed.
    #[error(transparent)]
    DeadLetters(#[from] DeadLetterError),
    /// The batch could not be stored.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The store did not commit in time; the data may still be stored.
    #[error("the store did not commit within {0} s; retry (stored observations are idempotent)")]
    Timeout(u64),
    /// A CSV body without the required columns.
    #[error("{0}")]
    Csv(String),
    /// A retention run failed.
    #[error("retention: {0}")]
    Retention(String),
}

/// One configured source.
struct Source {
    mapper: RwLock<Arc<Mapper>>,
    counters: Arc<SourceCounters>,
    token: Option<AdminToken>,
    path: PathBuf,
}

impl Source {
    fn mapper(&self) -> Arc<Mapper> {
        // A poisoned lock still holds a valid mapper.
        match self.mapper.read() {
            Ok(m) => m.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// What the ingest service needs from the node.
pub struct IngestParts {
    /// The node directory (relative paths in mapping files resolve against it).
    pub root: PathBuf,
    /// `[ingest]`.
    pub config: IngestSection,
    /// The RDF store.
    pub store: Store,
    /// The state database (dead letters, retention watermarks).
    pub state: NodeState,
    /// Told when data changes, so statistics and the catalogue follow.
    pub catalog: CatalogService,
    /// The spatial index, told where devices are.
    pub geo_index: crate::store::geo_index::GeoIndex,
    /// The filter of stored entities, told of what ingest and retention write.
    pub subjects: SubjectFilter,
    /// The observation index, told of what ingest writes and retention deletes.
    pub observations: ObservationIndex,
}

/// The ingest service; cheap to clone.
#[derive(Clone)]
pub struct IngestService {
    inner: Arc<Inner>,
}

struct Inner {
    sources: BTreeMap<String, Source>,
    // Taken at shutdown so the writer thread ends once in-flight sends finish. Never held
    // across an await.
    writer: Mutex<Option<mpsc::Sender<WriteJob>>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    dead_letters: DeadLetterStore,
    config: IngestSection,
    root: PathBuf,
    store: Store,
    subjects: SubjectFilter,
    observations: ObservationIndex,
    state: NodeState,
    live: live::LiveSender,
}

/// The answer to an HTTP push or CSV chunk.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct PushOutcome {
    /// Messages (or CSV rows) received.
    pub messages: u64,
    /// Observations stored.
    pub observations: usize,
    /// Messages refused, each kept as a dead letter.
    pub dead_lettered: usize,
    /// The first refusal's reason.
    pub first_error: Option<String>,
    /// Ids of the dead letters.
    pub dead_letter_ids: Vec<u64>,
}

fn load_sources(root: &Path, dir: &Path) -> Result<Vec<(PathBuf, SourceConfig)>, IngestError> {
    let dir = root.join(dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(IngestError::SourcesDir { path: dir, source }),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| Ok((path.clone(), SourceConfig::load(&path)?)))
        .collect()
}

fn source_token(root: &Path, config: &SourceConfig) -> Result<Option<AdminToken>, IngestError> {
    let Some(http) = &config.http else {
        return Ok(None);
    };
    let path = root.join(&http.token_file);
    let error = |message: String| IngestError::Token {
        source_name: config.name.clone(),
        message,
    };
    if !path.exists() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| error(format!("{}: {e}", parent.display())))?;
        }
        AdminToken::generate()
            .save(&path)
            .map_err(|e| error(e.to_string()))?;
        tracing::info!(source = %config.name, "created the source's HTTP token in {}", path.display());
    }
    AdminToken::load(&path)
        .map(Some)
        .map_err(|e| error(e.to_string()))
}

impl IngestService {
    /// Loads every mapping file and starts the writer thread. A bad mapping file stops the
    /// node from starting, with the file and key named: silently ignoring a source would
    /// lose its data.
    pub fn open(parts: IngestParts) -> Result<IngestService, IngestError> {
        let mut sources = BTreeMap::new();
        for (path, config) in load_sources(&parts.root, &parts.config.sources_dir)? {
            let token = source_token(&parts.root, &config)?;
            let name = config.name.clone();
            let mapper = Mapper::new(config)?;
            let source = Source {
                mapper: RwLock::new(Arc::new(mapper)),
                counters: Arc::default(),
                token,
                path,
            };
            if sources.insert(name.clone(), source).is_some() {
                return Err(IngestError::DuplicateSource(name));
            }
        }
        let dead_letters = DeadLetterStore::open(&parts.state)?;
        let live = live::channel();
        let (writer, thread) = writer::spawn(
            parts.store.clone(),
            dead_letters.clone(),
            writer::Followers {
                catalog: parts.catalog,
                geo: parts.geo_index,
                subjects: parts.subjects.clone(),
                observations: parts.observations.clone(),
            },
            parts.config.max_batch_observations,
            parts.config.queue_capacity,
            live.clone(),
        );
        if !sources.is_empty() {
            tracing::info!(sources = ?sources.keys().collect::<Vec<_>>(), "ingest sources loaded");
        }
        Ok(IngestService {
            inner: Arc::new(Inner {
                sources,
                writer: Mutex::new(Some(writer)),
                writer_thread: Mutex::new(Some(thread)),
                dead_letters,
                config: parts.config,
                root: parts.root,
                store: parts.store,
                subjects: parts.subjects,
                observations: parts.observations,
                state: parts.state,
                live,
            }),
        })
    }

    /// Readings as they are committed (the newest per entity and property of each batch).
    pub fn live(&self) -> tokio::sync::broadcast::Receiver<Arc<Vec<live::LiveReading>>> {
        self.inner.live.subscribe()
    }

    /// Runs the MQTT subscriptions and the retention timer until `cancel`.
    pub async fn run(self, cancel: CancellationToken) {
        let mut tasks = tokio::task::JoinSet::new();
        for (name, source) in &self.inner.sources {
            if let Some(settings) = source.mapper().config().mqtt.clone() {
                tasks.spawn(mqtt::run(
                    self.clone(),
                    name.clone(),
                    settings,
                    cancel.child_token(),
                ));
            }
        }
        let interval = Duration::from_secs(self.inner.config.retention_interval_secs);
        let retention = {
            let service = self.clone();
            let cancel = cancel.clone();
            async move {
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(interval) => {}
                    }
                    if let Err(e) = service.run_retention().await {
                        tracing::error!("{e}");
                    }
                }
            }
        };
        tasks.spawn(retention);
        while let Some(result) = tasks.join_next().await {
            if let Err(e) = result {
                tracing::error!("ingest task failed: {e}");
            }
        }
    }

    /// Ends the writer once queued batches are written; call after [`IngestService::run`]
    /// returned and the HTTP server stopped. Waits up to `limit` for the thread.
    pub async fn close(&self, limit: Duration) {
        if let Ok(mut writer) = self.inner.writer.lock() {
            writer.take();
        }
        let thread = self
            .inner
            .writer_thread
            .lock()
            .ok()
            .and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let joined =
                tokio::time::timeout(limit, tokio::task::spawn_blocking(move || thread.join()))
                    .await;
            if joined.is_err() {
                tracing::warn!("the ingest writer did not stop within {limit:?}");
            }
        }
    }

    fn source(&self, name: &str) -> Result<&Source, IngestError> {
        self.inner
            .sources
            .get(name)
            .ok_or_else(|| IngestError::UnknownSource(name.to_owned()))
    }

    fn sender(&self) -> Result<mpsc::Sender<WriteJob>, IngestError> {
        self.inner
            .writer
            .lock()
            .ok()
            .and_then(|w| w.clone())
            .ok_or(IngestError::Write(WriteError::Stopped))
    }

    /// Builds the writer job for mapped messages of `source`: observations of the mapped
    /// ones, dead letters of the refused ones. Returns the job, its answer and the first
    /// refusal's reason.
    fn job(
        &self,
        source_name: &str,
        messages: Vec<Mapped>,
        received_at: OffsetDateTime,
    ) -> Result<(WriteJob, Answer, Option<String>), IngestError> {
        let source = self.source(source_name)?;
        source.counters.received(messages.len() as u64);
        let mut observations = Vec::new();
        let mut dead_letters = Vec::new();
        let count = messages.len() as u64;
        for message in messages {
            match message.result {
                Ok(mut mapped) => observations.append(&mut mapped),
                Err(reason) => {
                    let reason = reason.to_string();
                    tracing::warn!(source = source_name, topic = %message.topic, "dead letter: {reason}");
                    source.counters.dead_lettered(&reason);
                    dead_letters.push(DeadLetter {
                        id: 0,
                        source: source_name.to_owned(),
                        topic: message.topic,
                        payload: message.payload,
                        reason,
                        received_at: format_time(received_at),
                        replays: 0,
                    });
                }
            }
        }
        let first_error = dead_letters.first().map(|l| l.reason.clone());
        let (done, answer) = oneshot::channel();
        let job = WriteJob {
            source: source_name.to_owned(),
            mapper: source.mapper(),
            counters: source.counters.clone(),
            messages: count,
            observations,
            dead_letters,
            received: Instant::now(),
            done,
        };
        Ok((job, answer, first_error))
    }

    /// Queues a job, waiting while the writer's queue is full (backpressure).
    async fn submit(&self, job: WriteJob) -> Result<(), IngestError> {
        self.sender()?
            .send(job)
            .await
            .map_err(|_| IngestError::Write(WriteError::Stopped))
    }

    /// Decodes, maps and queues one message of `source` (MQTT); the answer comes once it is
    /// durable.
    async fn enqueue_message(
        &self,
        source_name: &str,
        topic: String,
        payload: Vec<u8>,
    ) -> Result<Answer, IngestError> {
        let now = OffsetDateTime::now_utc();
        let result = self
            .source(source_name)?
            .mapper()
            .decode_and_map(&topic, &payload, now);
        let (job, answer, _) = self.job(
            source_name,
            vec![Mapped {
                topic,
                payload,
                result,
            }],
            now,
        )?;
        self.submit(job).await?;
        Ok(answer)
    }

    async fn wait(&self, answer: Answer) -> Result<WriteOutcome, IngestError> {
        let limit = self.inner.config.write_timeout_secs;
        match tokio::time::timeout(Duration::from_secs(limit), answer).await {
            Err(_) => Err(IngestError::Timeout(limit)),
            Ok(Err(_)) => Err(IngestError::Write(WriteError::Stopped)),
            Ok(Ok(result)) => Ok(result?),
        }
    }

    /// The source whose HTTP token `token` is, with the graph it writes: such a token may
    /// also write entities of that graph through the NGSI-LD API (an IoT agent's token).
    pub fn source_for_token(&self, token: &str) -> Option<(String, String)> {
        self.inner.sources.iter().find_map(|(name, source)| {
            let matches = source.token.as_ref().is_some_and(|t| t.matches(token));
            matches.then(|| (name.clone(), source.mapper().config().graph.clone()))
        })
    }

    /// `POST /api/ingest/{source}` (the access service has let the caller push for this
    /// source): stores the body and answers once durable. A CSV body is read row by row,
    /// anything else as one message of the source's format on `topic`.
    #[tracing::instrument(skip(self, body), fields(bytes = body.len()))]
    pub async fn push(
        &self,
        source_name: &str,
        topic: &str,
        csv: bool,
        body: Vec<u8>,
    ) -> Result<PushOutcome, IngestError> {
        let source = self.source(source_name)?;
        let now = OffsetDateTime::now_utc();
        let mapper = source.mapper();
        let messages = if csv {
            let mut reader =
                CsvReader::new(body.as_slice()).map_err(|e| IngestError::Csv(e.to_string()))?;
            let mut rows = Vec::new();
            while let Some(row) = reader.next_row() {
                rows.push(Mapped {
                    topic: format!("{CSV_TOPIC_PREFIX}{}", row.line),
                    payload: row.text.into_bytes(),
                    result: mapper.map_decoded(row.readings, now),
                });
            }
            rows
        } else {
            let result = mapper.decode_and_map(topic, &body, now);
            vec![Mapped {
                topic: topic.to_owned(),
                payload: body,
                result,
            }]
        };
        let count = messages.len() as u64;
        let (job, answer, first_error) = self.job(source_name, messages, now)?;
        self.submit(job).await?;
        let outcome = self.wait(answer).await?;
        Ok(PushOutcome {
            messages: count,
            observations: outcome.observations,
            dead_lettered: outcome.dead_letters.len(),
            first_error,
            dead_letter_ids: outcome.dead_letters,
        })
    }

    /// Every source's counters.
    pub fn status(&self) -> Vec<SourceStatus> {
        let waiting = self.inner.dead_letters.counts();
        self.inner
            .sources
            .iter()
            .map(|(name, source)| {
                let mapper = source.mapper();
                let config = mapper.config();
                let sessions = config.mqtt.as_ref().map_or(0, |m| m.connections);
                let mut status = source.counters.snapshot(sessions);
                status.source = name.clone();
                status.format = config.format.name().to_owned();
                status.graph = config.graph.clone();
                status.transports = [
                    ("mqtt", config.mqtt.is_some()),
                    ("http", config.http.is_some()),
                ]
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(t, _)| t.to_owned())
                .collect();
                status.dead_letters_waiting = waiting.get(name).copied().unwrap_or(0);
                status
            })
            .collect()
    }

    /// Dead letters, oldest first.
    pub fn dead_letters(
        &self,
        source: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, IngestError> {
        Ok(self
            .inner
            .dead_letters
            .list(source, None, limit.min(dead_letters::MAX_LISTED))?)
    }

    /// Deletes a dead letter; `false` if there was none with that id.
    pub fn delete_dead_letter(&self, id: u64) -> Result<bool, IngestError> {
        Ok(self.inner.dead_letters.remove(id)?)
    }

    /// Runs retention for every source that has a `[retention]` table.
    pub async fn run_retention(&self) -> Result<Vec<retention::RetentionReport>, IngestError> {
        let mut reports = Vec::new();
        for source in self.inner.sources.values() {
            let mapper = source.mapper();
            if mapper.config().retention.is_none() {
                continue;
            }
            let (store, state) = (self.inner.store.clone(), self.inner.state.clone());
            let subjects = self.inner.subjects.clone();
            let observations = self.inner.observations.clone();
            let report = tokio::task::spawn_blocking(move || {
                retention::run(
                    &store,
                    &subjects,
                    &observations,
                    &state,
                    &mapper,
                    OffsetDateTime::now_utc(),
                )
            })
            .await
            .map_err(|e| IngestError::Retention(e.to_string()))?
            .map_err(|e| IngestError::Retention(e.to_string()))?;
            reports.push(report);
        }
        Ok(reports)
    }

    /// The node directory, against which mapping files' relative paths resolve.
    fn root(&self) -> &Path {
        &self.inner.root
    }
}

/// The writer's answer to one job.
type Answer = oneshot::Receiver<Result<WriteOutcome, WriteError>>;

/// A message with the result of decoding and mapping it.
struct Mapped {
    topic: String,
    payload: Vec<u8>,
    result: Result<Vec<hanse_sensors::Observation>, PayloadError>,
}
