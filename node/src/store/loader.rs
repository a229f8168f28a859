//! Bulk loading of RDF files into a stopped node's store (`hanse load`).
//!
//! All files of one call form one atomic load: oxigraph's bulk loader writes sorted runs
//! aside and only ingests them on commit, and commit happens only after every file parsed.
//! A syntax error anywhere leaves the store unchanged.

use oxigraph::io::{RdfFormat, RdfParseError, RdfParser};
use oxigraph::model::{GraphName, NamedNode};
use oxigraph::store::{StorageError, Store};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Errors of a bulk load; nothing is written when one occurs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file does not parse; the message names line and column.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The store failed.
    #[error("store error: {0}")]
    Storage(#[from] StorageError),
}

/// One file to load and its format.
#[derive(Debug, Clone)]
pub struct LoadSource {
    /// The file.
    pub path: PathBuf,
    /// Its RDF format.
    pub format: RdfFormat,
}

/// Counts bytes read so a progress bar can follow a load through files of known size.
#[derive(Debug, Clone, Default)]
pub struct LoadProgress {
    bytes: Arc<AtomicU64>,
}

impl LoadProgress {
    /// Bytes read so far across all files.
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

struct CountingReader<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Builds the parser for one source: blank nodes are renamed per file so two files never
/// share a blank node by accident, and `graph` (if any) receives the file's triples — a
/// TriG or N-Quads file with its own named graphs is then refused, since `--graph` could
/// not apply to those.
pub fn parser_for(format: RdfFormat, graph: Option<&NamedNode>) -> RdfParser {
    let parser = RdfParser::from_format(format).rename_blank_nodes();
    match graph {
        Some(graph) if format.supports_datasets() => parser
            .without_named_graphs()
            .with_default_graph(GraphName::NamedNode(graph.clone())),
        Some(graph) => parser.with_default_graph(GraphName::NamedNode(graph.clone())),
        None => parser,
    }
}

/// Parses `source` completely without storing anything, returning the quad count.
///
/// Used before sending files to a running node, so a bad file is reported with its line
/// before any request is made.
pub fn validate(
    source: &LoadSource,
    graph: Option<&NamedNode>,
    progress: &LoadProgress,
) -> Result<u64, LoadError> {
    let reader = open(&source.path, progress)?;
    let mut count = 0;
    for quad in parser_for(source.format, graph).for_reader(reader) {
        quad.map_err(|e| parse_error(&source.path, e))?;
        count += 1;
    }
    Ok(count)
}

/// Loads all `sources` into `store` in one atomic bulk load; returns the number of quads.
pub fn load(
    store: &Store,
    sources: &[LoadSource],
    graph: Option<&NamedNode>,
    progress: &LoadProgress,
) -> Result<u64, LoadError> {
    let mut loader = store.bulk_loader();
    let mut count = 0;
    for source in sources {
        let reader = open(&source.path, progress)?;
        let quads = parser_for(source.format, graph)
            .for_reader(reader)
            .inspect(|q| count += u64::from(q.is_ok()));
        loader
            .load_ok_quads::<RdfParseError, FileLoadError>(quads)
            .map_err(|e| match e {
                FileLoadError::Parse(e) => parse_error(&source.path, e),
                FileLoadError::Storage(e) => LoadError::Storage(e),
            })?;
    }
    loader.commit()?;
    Ok(count)
}

fn open(path: &Path, progress: &LoadProgress) -> Result<impl Read + use<>, LoadError> {
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(BufReader::with_capacity(
        1 << 16,
        CountingReader {
            inner: file,
            bytes: Arc::clone(&progress.bytes),
        },
    ))
}

fn parse_error(path: &Path, error: RdfParseError) -> LoadError {
    match error {
        RdfParseError::Io(source) => LoadError::Io {
            path: path.to_owned(),
            source,
        },
        RdfParseError::Syntax(e) => LoadError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        },
    }
}

/// The two ways one file's load can fail, kept apart so errors can name the file.
enum FileLoadError {
    Parse(RdfParseError),
    Storage(StorageError),
}

impl From<RdfParseError> for FileLoadError {
    fn from(e: RdfParseError) -> Self {
        Self::Parse(e)
    }
}

impl From<StorageError> for FileLoadError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(dir: &Path, name: &str, text: &str) -> LoadSource {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        LoadSource {
            format: crate::store::rdf_format::rdf_format_from_path(&path).unwrap(),
            path,
        }
    }

    #[test]
    fn a_bad_second_file_leaves_the_store_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store")).unwrap();
        let good = source(dir.path(), "a.nt", "<http://e/s> <http://e/p> \"1\" .\n");
        let bad = source(
            dir.path(),
            "b.ttl",
            "<http://e/s> <http://e/p> \"2\" .\n<http://e/s> .\n",
        );
        let err = load(&store, &[good.clone(), bad], None, &LoadProgress::default()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("b.ttl") && message.contains("line 2"),
            "{message}"
        );
        assert_eq!(store.len().unwrap(), 0);
        let n = load(&store, &[good], None, &LoadProgress::default()).unwrap();
        assert_eq!((n, store.len().unwrap()), (1, 1));
    }

    #[test]
    fn graph_option_places_triples() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new().unwrap();
        let file = source(dir.path(), "a.ttl", "<http://e/s> <http://e/p> 1 .");
        let graph = NamedNode::new("http://e/g").unwrap();
        load(&store, &[file], Some(&graph), &LoadProgress::default()).unwrap();
        assert!(store.contains_named_graph(&graph).unwrap());
    }
}
