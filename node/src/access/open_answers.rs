//! Answers being read chunk by chunk: the rest of a large remote-query answer waits here,
//! bounded in number and time, until its requester asks for the next chunk.

use crate::p2p::{ChunkStatus, SolutionChunk};
use crate::store::solutions::{SolutionTable, WireRow};
use libp2p::PeerId;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Answers whose further chunks are held for their requesters, at most.
const MAX_OPEN_ANSWERS: usize = 64;
/// How long further chunks are held without being asked for.
const ANSWER_TTL: Duration = Duration::from_secs(120);

/// The rest of an answer, waiting for the requester to ask for it.
struct OpenAnswer {
    peer: PeerId,
    opened: Instant,
    variables: Vec<String>,
    datasets: Vec<String>,
    chunks: VecDeque<Vec<WireRow>>,
    last: ChunkStatus,
}

/// Answers being read chunk by chunk.
#[derive(Default)]
pub(crate) struct OpenAnswers {
    next_id: AtomicU64,
    answers: Mutex<HashMap<u64, OpenAnswer>>,
}

impl OpenAnswers {
    /// Cuts `table` into chunks and returns the first; the rest wait under its id.
    pub(crate) fn open(
        &self,
        peer: PeerId,
        table: &SolutionTable,
        datasets: Vec<String>,
        last: ChunkStatus,
        chunk_bytes: usize,
    ) -> SolutionChunk {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut chunks: VecDeque<_> = table.to_wire_chunks(chunk_bytes).into();
        let first = chunks.pop_front().unwrap_or_default();
        let variables = table.variable_names();
        if chunks.is_empty() {
            return SolutionChunk {
                id,
                variables,
                rows: first,
                status: last,
                datasets,
                disclosure: None,
            };
        }
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers.retain(|_, a| a.opened.elapsed() < ANSWER_TTL);
        if answers.len() >= MAX_OPEN_ANSWERS
            && let Some(oldest) = answers
                .iter()
                .min_by_key(|(_, a)| a.opened)
                .map(|(k, _)| *k)
        {
            answers.remove(&oldest);
        }
        answers.insert(
            id,
            OpenAnswer {
                peer,
                opened: Instant::now(),
                variables: variables.clone(),
                datasets: datasets.clone(),
                chunks,
                last,
            },
        );
        SolutionChunk {
            id,
            variables,
            rows: first,
            status: ChunkStatus::More,
            datasets,
            disclosure: None,
        }
    }

    /// The next chunk of answer `id`, for its requester only.
    pub(crate) fn next(&self, peer: PeerId, id: u64) -> SolutionChunk {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let gone = |reason: &str| SolutionChunk {
            id,
            variables: Vec::new(),
            rows: Vec::new(),
            status: ChunkStatus::Error(reason.to_owned()),
            datasets: Vec::new(),
            disclosure: None,
        };
        let Some(answer) = answers.get_mut(&id) else {
            return gone("no such answer (expired or already read)");
        };
        if answer.peer != peer {
            return gone("no such answer (expired or already read)");
        }
        let rows = answer.chunks.pop_front().unwrap_or_default();
        let status = if answer.chunks.is_empty() {
            answer.last.clone()
        } else {
            answer.opened = Instant::now();
            ChunkStatus::More
        };
        let chunk = SolutionChunk {
            id,
            variables: answer.variables.clone(),
            rows,
            status,
            datasets: answer.datasets.clone(),
            disclosure: None,
        };
        if answer.chunks.is_empty() {
            answers.remove(&id);
        }
        chunk
    }
}
