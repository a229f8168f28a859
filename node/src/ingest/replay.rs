//! Replaying dead letters: the mapping files are read again (the operator fixed one), then
//! every dead letter goes through its source's current mapping; stored ones are removed,
//! the others keep their new reason and a replay count.

use super::dead_letters::DeadLetter;
use super::writer::WriteJob;
use super::{IngestError, IngestService};
use hanse_sensors::{Mapper, OffsetDateTime, SourceConfig};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

/// What a replay did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct ReplayOutcome {
    /// Dead letters tried.
    pub tried: usize,
    /// Stored, and removed from dead letters.
    pub stored: usize,
    /// Still refused, with the new reason kept.
    pub still_refused: usize,
}

impl IngestService {
    /// Re-reads the sources' mapping files, so that a fixed mapping applies (new sources
    /// need a restart).
    pub fn reload_mappings(&self) -> Result<(), IngestError> {
        for (name, source) in &self.inner.sources {
            let mut config = SourceConfig::load(&source.path)?;
            config.name = name.clone();
            let mapper = Mapper::new(config)?;
            match source.mapper.write() {
                Ok(mut m) => *m = Arc::new(mapper),
                Err(p) => *p.into_inner() = Arc::new(mapper),
            }
        }
        Ok(())
    }

    /// Reloads the mappings, then tries every dead letter of `source` (or all) again.
    /// Stored ones are removed; the others keep their new reason.
    #[tracing::instrument(skip(self))]
    pub async fn replay(&self, source: Option<&str>) -> Result<ReplayOutcome, IngestError> {
        self.reload_mappings()?;
        let mut outcome = ReplayOutcome::default();
        let mut after = None;
        loop {
            let page = self.inner.dead_letters.list(source, after, 500)?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for mut letter in page {
                outcome.tried += 1;
                let result = self.remap(&letter);
                match result {
                    Ok(observations) => {
                        let src = self.source(&letter.source)?;
                        let (done, answer) = oneshot::channel();
                        self.submit(WriteJob {
                            source: letter.source.clone(),
                            mapper: src.mapper(),
                            counters: src.counters.clone(),
                            messages: 1,
                            observations,
                            dead_letters: Vec::new(),
                            received: Instant::now(),
                            done,
                        })
                        .await?;
                        self.wait(answer).await?;
                        self.inner.dead_letters.remove(letter.id)?;
                        outcome.stored += 1;
                    }
                    Err(reason) => {
                        letter.replays += 1;
                        letter.reason = reason;
                        self.inner.dead_letters.update(&letter)?;
                        outcome.still_refused += 1;
                    }
                }
            }
        }
        tracing::info!(?outcome, "dead letters replayed");
        Ok(outcome)
    }

    /// A dead letter through its source's current mapping.
    fn remap(&self, letter: &DeadLetter) -> Result<Vec<hanse_sensors::Observation>, String> {
        let source = self.source(&letter.source).map_err(|e| e.to_string())?;
        let mapper = source.mapper();
        let received_at = hanse_sensors::parse_time_text(&letter.received_at)
            .unwrap_or_else(OffsetDateTime::now_utc);
        mapper
            .decode_and_map(&letter.topic, &letter.payload, received_at)
            .map_err(|e| e.to_string())
    }
}
