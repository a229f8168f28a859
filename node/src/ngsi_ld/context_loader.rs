//! Loading @contexts: the NGSI-LD core contexts from the copies embedded in `hanse-vocab`
//! (never fetched), user contexts from the configured URL -> file map or over HTTP once —
//! only from URLs `egress.allow` lists — then from a cache bounded in entries and age. Processed active contexts are cached too,
//! so a batch of entities sharing one @context processes it once.

use super::context::ActiveContext;
use super::error::NgsiLdError;
use crate::config::NgsiLdSection;
use crate::trust::egress::{Egress, FetchError, fetch_bounded};
use hanse_vocab::ngsi_ld::{CORE_CONTEXT, embedded_context, is_core_context};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Deepest chain of contexts referring to contexts.
const MAX_DEPTH: usize = 8;
/// Most context documents one @context may pull in.
const MAX_DOCUMENTS: usize = 32;
/// Longest @context value (as JSON text) whose processed form is cached.
const MAX_KEY_BYTES: usize = 16 * 1024;

/// Loads and processes @contexts; cheap to clone.
#[derive(Clone)]
pub struct ContextLoader {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    egress: Egress,
    config: NgsiLdSection,
    files: HashMap<String, std::path::PathBuf>,
    documents: Mutex<HashMap<String, (Instant, Arc<Value>)>>,
    processed: Mutex<HashMap<String, (Instant, Arc<ActiveContext>)>>,
    core: Map<String, Value>,
    core_only: Arc<ActiveContext>,
}

/// A context document's `@context` member, parsed.
fn context_member(url: &str, text: &str) -> Result<Value, NgsiLdError> {
    let document: Value = serde_json::from_str(text).map_err(|e| {
        NgsiLdError::LdContextNotAvailable(format!("the @context at {url} is not JSON: {e}"))
    })?;
    match document {
        Value::Object(mut map) => map.remove("@context").ok_or_else(|| {
            NgsiLdError::LdContextNotAvailable(format!("{url} has no @context member"))
        }),
        _ => Err(NgsiLdError::LdContextNotAvailable(format!(
            "{url} is not a JSON-LD context document"
        ))),
    }
}

type Flattening<'a> = Pin<Box<dyn Future<Output = Result<(), NgsiLdError>> + Send + 'a>>;

impl ContextLoader {
    /// A loader with `config`'s bounds that fetches only what `egress` allows; relative
    /// paths of the URL -> file map resolve against `root`.
    pub fn new(config: NgsiLdSection, egress: Egress, root: &Path) -> Result<Self, NgsiLdError> {
        let client = egress
            .client(config.context_timeout())
            .map_err(|e| NgsiLdError::Internal(format!("HTTP client: {e}")))?;
        let core = match embedded_context(CORE_CONTEXT).map(|t| context_member(CORE_CONTEXT, t)) {
            Some(Ok(Value::Object(map))) => map,
            _ => {
                return Err(NgsiLdError::Internal(
                    "the embedded core context is not a context object".into(),
                ));
            }
        };
        let core_only =
            Arc::new(ActiveContext::build(&[&core]).map_err(NgsiLdError::LdContextNotAvailable)?);
        let files = config
            .context_files
            .iter()
            .map(|(url, path)| (url.clone(), root.join(path)))
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                egress,
                config,
                files,
                documents: Mutex::new(HashMap::new()),
                processed: Mutex::new(HashMap::new()),
                core,
                core_only,
            }),
        })
    }

    /// The active context for a request's @context (from the body or the Link header), or
    /// the core context alone for `None`. The core context is always applied last.
    pub async fn active(&self, context: Option<&Value>) -> Result<Arc<ActiveContext>, NgsiLdError> {
        let Some(context) = context else {
            return Ok(Arc::clone(&self.inner.core_only));
        };
        let key = serde_json::to_string(context).unwrap_or_default();
        let ttl = Duration::from_secs(self.inner.config.context_cache_secs);
        if let Some(found) = lock(&self.inner.processed)
            .get(&key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, c)| Arc::clone(c))
        {
            return Ok(found);
        }
        let mut definitions: Vec<Map<String, Value>> = Vec::new();
        let mut documents = 0;
        self.flatten(context, 0, &mut definitions, &mut documents)
            .await?;
        definitions.push(self.inner.core.clone());
        let refs: Vec<&Map<String, Value>> = definitions.iter().collect();
        let active = Arc::new(ActiveContext::build(&refs).map_err(NgsiLdError::BadRequestData)?);
        if key.len() <= MAX_KEY_BYTES {
            let mut processed = lock(&self.inner.processed);
            bound(&mut processed, self.inner.config.context_cache_entries);
            processed.insert(key, (Instant::now(), Arc::clone(&active)));
        }
        Ok(active)
    }

    fn flatten<'a>(
        &'a self,
        value: &'a Value,
        depth: usize,
        out: &'a mut Vec<Map<String, Value>>,
        documents: &'a mut usize,
    ) -> Flattening<'a> {
        Box::pin(async move {
            if depth > MAX_DEPTH {
                return Err(NgsiLdError::BadRequestData(format!(
                    "@context nests deeper than {MAX_DEPTH} levels"
                )));
            }
            match value {
                Value::Null => out.clear(),
                Value::String(url) => {
                    *documents += 1;
                    if *documents > MAX_DOCUMENTS {
                        return Err(NgsiLdError::BadRequestData(format!(
                            "@context refers to more than {MAX_DOCUMENTS} documents"
                        )));
                    }
                    let document = self.document(url).await?;
                    self.flatten(&document, depth + 1, out, documents).await?;
                }
                Value::Array(items) => {
                    for item in items {
                        self.flatten(item, depth + 1, out, documents).await?;
                    }
                }
                Value::Object(map) => {
                    if let Some(import) = map.get("@import") {
                        self.flatten(import, depth + 1, out, documents).await?;
                    }
                    out.push(map.clone());
                }
                other => {
                    return Err(NgsiLdError::BadRequestData(format!(
                        "an @context must be a URL, an object or an array of them, not {other}"
                    )));
                }
            }
            Ok(())
        })
    }

    /// The `@context` member of the document at `url`.
    async fn document(&self, url: &str) -> Result<Arc<Value>, NgsiLdError> {
        if let Some(text) = embedded_context(url) {
            return context_member(url, text).map(Arc::new);
        }
        if is_core_context(url) {
            return Err(NgsiLdError::LdContextNotAvailable(format!(
                "{url} is not a core context this node embeds (v1.6 to v1.9); core contexts are never fetched"
            )));
        }
        let ttl = Duration::from_secs(self.inner.config.context_cache_secs);
        if let Some(found) = lock(&self.inner.documents)
            .get(url)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, d)| Arc::clone(d))
        {
            return Ok(found);
        }
        let text = if let Some(path) = self.inner.files.get(url) {
            tokio::fs::read_to_string(path).await.map_err(|e| {
                NgsiLdError::LdContextNotAvailable(format!(
                    "{url} maps to {} (ngsi_ld.context_files), which cannot be read: {e}",
                    path.display()
                ))
            })?
        } else {
            self.fetch(url).await?
        };
        let document = Arc::new(context_member(url, &text)?);
        let mut documents = lock(&self.inner.documents);
        bound(&mut documents, self.inner.config.context_cache_entries);
        documents.insert(url.to_owned(), (Instant::now(), Arc::clone(&document)));
        Ok(document)
    }

    async fn fetch(&self, url: &str) -> Result<String, NgsiLdError> {
        let unavailable = |why: String| {
            NgsiLdError::LdContextNotAvailable(format!("cannot load @context {url}: {why}"))
        };
        self.inner.egress.check(url).map_err(|denied| {
            unavailable(format!(
                "{denied}; or map it to a local file in ngsi_ld.context_files"
            ))
        })?;
        let max = self.inner.config.context_max_bytes;
        let request = self.inner.client.get(url).header(
            reqwest::header::ACCEPT,
            "application/ld+json, application/json;q=0.9",
        );
        let body = fetch_bounded(request, max).await.map_err(|e| match e {
            FetchError::TooLarge(_) => unavailable(format!("{e} (ngsi_ld.context_max_bytes)")),
            other => unavailable(other.to_string()),
        })?;
        String::from_utf8(body).map_err(|_| unavailable("not UTF-8".into()))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned cache is still a valid cache.
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Makes room for one more entry: drops the oldest entries beyond `max - 1`.
fn bound<T>(cache: &mut HashMap<String, (Instant, T)>, max: usize) {
    while cache.len() >= max.max(1) {
        let Some(oldest) = cache
            .iter()
            .min_by_key(|(_, (at, _))| *at)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        cache.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn core_contexts_resolve_offline_and_unknown_ones_fail_fast() {
        let loader =
            ContextLoader::new(NgsiLdSection::default(), Egress::default(), Path::new("."))
                .unwrap();
        let core = loader.active(None).await.unwrap();
        assert_eq!(
            core.expand("Property"),
            "https://uri.etsi.org/ngsi-ld/Property"
        );
        assert_eq!(
            core.expand("location"),
            "https://uri.etsi.org/ngsi-ld/location"
        );
        let v19 = Value::String(
            "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld".into(),
        );
        loader.active(Some(&v19)).await.unwrap();
        let missing = Value::String(
            "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-non-existing.jsonld".into(),
        );
        let started = Instant::now();
        let err = loader.active(Some(&missing)).await.unwrap_err();
        assert!(
            matches!(err, NgsiLdError::LdContextNotAvailable(_)),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        let inline: Value =
            serde_json::json!([{"b": "https://example.org/b#"}, {"name": "b:name"}]);
        let ctx = loader.active(Some(&inline)).await.unwrap();
        assert_eq!(ctx.expand("name"), "https://example.org/b#name");
        let bad = serde_json::json!(42);
        assert!(loader.active(Some(&bad)).await.is_err());
    }
}
