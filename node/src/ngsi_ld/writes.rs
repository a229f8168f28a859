//! Writing entities: create, replace, delete, append, update and partial updates of
//! attributes, and the batch operations (create, upsert, update, delete), each request one
//! transaction. Merging follows NGSI-LD: an attribute instance is identified by its
//! `datasetId` (none = the default instance).

use super::claims::{Claim, ClaimTimedOut};
use super::entity_quads::{EntityWrite, Scope};
use super::error::NgsiLdError;
use super::model::{Entity, Instance, dataset_id, kind};
use super::service::{Inner, NgsiLdService, entity_iri, error_from, not_found, now};
use crate::access::visibility::Rights;
use crate::catalog::DatasetDefinition;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// A batch operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOp {
    /// Create; existing ids fail.
    Create,
    /// Create or replace (`options=update`: create or merge).
    Upsert {
        /// Merge attributes instead of replacing the entity.
        update: bool,
    },
    /// Merge into existing entities (`options=noOverwrite` keeps existing attributes).
    Update {
        /// Keep existing attributes.
        no_overwrite: bool,
    },
}

/// One failed entity of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchError {
    /// The entity id (as sent, if any).
    #[serde(rename = "entityId")]
    pub entity_id: String,
    /// Why (ProblemDetails without status).
    pub error: Value,
}

/// The outcome of a batch.
#[derive(Debug, Default, Serialize)]
pub struct BatchOutcome {
    /// Ids written.
    pub success: Vec<String>,
    /// Ids that failed, and why.
    pub errors: Vec<BatchError>,
    /// Of `success`, the ids that did not exist before.
    #[serde(skip)]
    pub created: Vec<String>,
}

/// The outcome of an attribute update.
#[derive(Debug, Default, Serialize)]
pub struct UpdateOutcome {
    /// Attribute names (compacted by the caller) that were written.
    pub updated: Vec<String>,
    /// Attributes that were not, and why.
    #[serde(rename = "notUpdated")]
    pub not_updated: Vec<(String, String)>,
}

fn stamp(instance: &mut Instance, created: Option<&Value>, time: &str) {
    instance.insert(
        "createdAt".into(),
        created
            .cloned()
            .unwrap_or_else(|| Value::String(time.into())),
    );
    instance.insert("modifiedAt".into(), Value::String(time.into()));
}

/// Stamps a new entity's system times.
fn stamp_entity(entity: &mut Entity, created: Option<&str>, time: &str) {
    entity.created_at = Some(created.unwrap_or(time).to_owned());
    entity.modified_at = Some(time.to_owned());
    for instances in entity.attrs.values_mut() {
        for instance in instances {
            stamp(instance, None, time);
        }
    }
}

/// Merges `fragment`'s attributes into `entity`; returns the attributes written and those
/// kept because they existed (with `overwrite` false).
fn merge(
    entity: &mut Entity,
    fragment: Entity,
    overwrite: bool,
    time: &str,
) -> (Vec<String>, Vec<String>) {
    let (mut written, mut kept) = (Vec::new(), Vec::new());
    for t in fragment.types {
        if !entity.types.contains(&t) {
            entity.types.push(t);
        }
    }
    if let Some(scope) = fragment.scope {
        match (&mut entity.scope, overwrite) {
            (Some(existing), false) => {
                for s in scope {
                    if !existing.contains(&s) {
                        existing.push(s);
                    }
                }
            }
            (slot, _) => *slot = Some(scope),
        }
    }
    for (attr, instances) in fragment.attrs {
        let existing = entity.attrs.entry(attr.clone()).or_default();
        let mut changed = false;
        for mut instance in instances {
            let dataset = dataset_id(&instance).map(str::to_owned);
            match existing
                .iter_mut()
                .find(|i| dataset_id(i) == dataset.as_deref())
            {
                Some(_) if !overwrite => {}
                Some(old) => {
                    stamp(&mut instance, old.get("createdAt"), time);
                    *old = instance;
                    changed = true;
                }
                None => {
                    stamp(&mut instance, None, time);
                    existing.push(instance);
                    changed = true;
                }
            }
        }
        if changed {
            written.push(attr);
        } else {
            kept.push(attr);
        }
    }
    entity.modified_at = Some(time.to_owned());
    (written, kept)
}

impl NgsiLdService {
    /// `POST /entities`: 409 if the id exists.
    pub async fn create(&self, rights: &Rights, entity: Entity) -> Result<(), NgsiLdError> {
        let outcome = self
            .batch(rights, BatchOp::Create, vec![Ok(entity)])
            .await?;
        match outcome.errors.into_iter().next() {
            Some(error) => Err(error_from(&error.error)),
            None => Ok(()),
        }
    }

    /// A batch of entities (items that failed to parse come as errors).
    pub async fn batch(
        &self,
        rights: &Rights,
        op: BatchOp,
        items: Vec<Result<Entity, (String, NgsiLdError)>>,
    ) -> Result<BatchOutcome, NgsiLdError> {
        let rights = rights.clone();
        self.blocking(move |inner, deadline| {
            let ids = items.iter().filter_map(|item| item.as_ref().ok());
            let _claim = inner.claim(ids.map(|entity| entity.id.clone()), deadline)?;
            let time = now();
            let mut outcome = BatchOutcome::default();
            let mut writes: Vec<EntityWrite> = Vec::new();
            // Where each id of the batch is in `writes` (an id sent twice is written once,
            // as its last state).
            let mut position: HashMap<String, usize> = HashMap::new();
            // Ids this batch creates: nothing of them is stored, whatever the batch holds.
            let mut fresh: HashSet<String> = HashSet::new();
            // Which dataset claims which types (where new entities go): read once per batch.
            let definitions = inner
                .catalog
                .datasets()
                .list()
                .map_err(|e| NgsiLdError::Internal(e.to_string()))?;
            for item in items {
                let entity = match item {
                    Ok(entity) => entity,
                    Err((id, error)) => {
                        outcome.errors.push(BatchError {
                            entity_id: id,
                            error: error.short(),
                        });
                        continue;
                    }
                };
                let id = entity.id.clone();
                let earlier = position.get(&id).map(|&i| &writes[i]);
                match inner.batch_one(&rights, op, entity, earlier, &definitions, &time) {
                    Ok((mut change, created, kept)) => {
                        if !kept.is_empty() {
                            let error = NgsiLdError::BadRequestData(format!(
                                "attributes exist and noOverwrite was asked: {}",
                                kept.join(", ")
                            ));
                            outcome.errors.push(BatchError {
                                entity_id: id.clone(),
                                error: error.short(),
                            });
                        }
                        if created {
                            outcome.created.push(id.clone());
                            fresh.insert(id.clone());
                        }
                        change.scope = if fresh.contains(&id) {
                            Scope::New
                        } else {
                            Scope::All
                        };
                        match position.get(&id) {
                            Some(&i) => writes[i] = change,
                            None => {
                                position.insert(id.clone(), writes.len());
                                writes.push(change);
                            }
                        }
                        outcome.success.push(id);
                    }
                    Err(error) => outcome.errors.push(BatchError {
                        entity_id: id,
                        error: error.short(),
                    }),
                }
            }
            inner.commit(&writes)?;
            Ok(outcome)
        })
        .await
    }

    /// `entityOperations/delete` (and `DELETE /entities/{id}` for one id).
    pub async fn delete(
        &self,
        rights: &Rights,
        ids: Vec<String>,
    ) -> Result<BatchOutcome, NgsiLdError> {
        let rights = rights.clone();
        self.blocking(move |inner, deadline| {
            let _claim = inner.claim(ids.iter().cloned(), deadline)?;
            let mut outcome = BatchOutcome::default();
            let mut writes = Vec::new();
            // A repeated id is not found the second time; a set, not a scan of `writes`.
            let mut deleted = HashSet::new();
            for id in ids {
                let found = entity_iri(&id)
                    .and_then(|iri| inner.writable(&rights, &iri)?.ok_or_else(|| not_found(&id)));
                match found {
                    Ok(stored) if deleted.insert(id.clone()) => {
                        let entity = stored.entity();
                        writes.push(EntityWrite::of_stored(stored, entity, Scope::Delete));
                        outcome.success.push(id);
                    }
                    Ok(_) => outcome.errors.push(BatchError {
                        entity_id: id.clone(),
                        error: not_found(&id).short(),
                    }),
                    Err(error) => outcome.errors.push(BatchError {
                        entity_id: id,
                        error: error.short(),
                    }),
                }
            }
            inner.commit(&writes)?;
            Ok(outcome)
        })
        .await
    }

    /// `POST /entities/{id}/attrs` (append; `noOverwrite` keeps existing attributes) and
    /// `PATCH /entities/{id}/attrs` (`only_existing`: a scope is only replaced where there
    /// is one; new attributes are added, as the ETSI suite expects of this operation).
    pub async fn update_attributes(
        &self,
        rights: &Rights,
        id: &str,
        fragment: Entity,
        overwrite: bool,
        only_existing: bool,
    ) -> Result<UpdateOutcome, NgsiLdError> {
        let id = entity_iri(id)?;
        let rights = rights.clone();
        self.blocking(move |inner, deadline| {
            let _claim = inner.claim([id.as_str().to_owned()], deadline)?;
            let stored = inner
                .writable(&rights, &id)?
                .ok_or_else(|| not_found(id.as_str()))?;
            let mut entity = stored.entity();
            let mut outcome = UpdateOutcome::default();
            let mut fragment = fragment;
            if only_existing && fragment.scope.is_some() && entity.scope.is_none() {
                fragment.scope = None;
                outcome
                    .not_updated
                    .push(("scope".into(), "the entity has no scope".into()));
            }
            let time = now();
            let scope_changed = fragment.scope.is_some();
            let (mut written, kept) = merge(&mut entity, fragment, overwrite, &time);
            for attr in kept {
                outcome.not_updated.push((
                    attr,
                    "the attribute exists and noOverwrite was asked".into(),
                ));
            }
            let scope = written.clone();
            if scope_changed {
                written.push("scope".into());
            }
            outcome.updated = written;
            inner.commit(&[EntityWrite::of_stored(
                stored,
                entity,
                Scope::Attributes(scope),
            )])?;
            Ok(outcome)
        })
        .await
    }

    /// `PATCH /entities/{id}/attrs/{attr}`: changes members of one instance.
    pub async fn patch_attribute(
        &self,
        rights: &Rights,
        id: &str,
        attr: String,
        fragment: Instance,
    ) -> Result<(), NgsiLdError> {
        let id = entity_iri(id)?;
        let rights = rights.clone();
        self.blocking(move |inner, deadline| {
            let _claim = inner.claim([id.as_str().to_owned()], deadline)?;
            let stored = inner
                .writable(&rights, &id)?
                .ok_or_else(|| not_found(id.as_str()))?;
            let mut entity = stored.entity();
            let dataset = dataset_id(&fragment).map(str::to_owned);
            let instances = entity.attrs.get_mut(&attr).ok_or_else(|| {
                NgsiLdError::ResourceNotFound(format!(
                    "`{}` has no attribute `{attr}`",
                    id.as_str()
                ))
            })?;
            let instance = instances
                .iter_mut()
                .find(|i| dataset_id(i) == dataset.as_deref())
                .ok_or_else(|| {
                    NgsiLdError::ResourceNotFound(format!(
                        "`{}` has no instance of `{attr}` with datasetId {}",
                        id.as_str(),
                        dataset.as_deref().unwrap_or("(default)")
                    ))
                })?;
            if fragment.contains_key("type") && kind(&fragment) != kind(instance) {
                return Err(NgsiLdError::BadRequestData(format!(
                    "`{attr}` is a {}, the fragment a {}",
                    kind(instance),
                    kind(&fragment)
                )));
            }
            for (member, value) in fragment {
                instance.insert(member, value);
            }
            let time = now();
            instance.insert("modifiedAt".into(), Value::String(time.clone()));
            entity.modified_at = Some(time);
            let scope = vec![attr];
            inner.commit(&[EntityWrite::of_stored(
                stored,
                entity,
                Scope::Attributes(scope),
            )])
        })
        .await
    }

    /// `DELETE /entities/{id}/attrs/{attr}` (`datasetId`, `deleteAll`).
    pub async fn delete_attribute(
        &self,
        rights: &Rights,
        id: &str,
        attr: String,
        dataset: Option<String>,
        delete_all: bool,
    ) -> Result<(), NgsiLdError> {
        let id = entity_iri(id)?;
        let rights = rights.clone();
        self.blocking(move |inner, deadline| {
            let _claim = inner.claim([id.as_str().to_owned()], deadline)?;
            let stored = inner
                .writable(&rights, &id)?
                .ok_or_else(|| not_found(id.as_str()))?;
            let mut entity = stored.entity();
            let missing = || {
                NgsiLdError::ResourceNotFound(format!(
                    "`{}` has no attribute `{attr}`{}",
                    id.as_str(),
                    dataset
                        .as_deref()
                        .map(|d| format!(" with datasetId {d}"))
                        .unwrap_or_default()
                ))
            };
            if attr == hanse_vocab::ngsi_ld::SCOPE {
                entity.scope.take().ok_or_else(missing)?;
                entity.modified_at = Some(now());
                return inner.commit(&[EntityWrite::of_stored(
                    stored,
                    entity,
                    Scope::Attributes(Vec::new()),
                )]);
            }
            let instances = entity.attrs.get_mut(&attr).ok_or_else(missing)?;
            let before = instances.len();
            if !delete_all {
                instances.retain(|i| dataset_id(i) != dataset.as_deref());
                if instances.len() == before {
                    return Err(missing());
                }
            } else {
                instances.clear();
            }
            if instances.is_empty() {
                entity.attrs.remove(&attr);
            }
            entity.modified_at = Some(now());
            let scope = vec![attr];
            inner.commit(&[EntityWrite::of_stored(
                stored,
                entity,
                Scope::Attributes(scope),
            )])
        })
        .await
    }
}

impl Inner {
    /// Holds `ids` for this write once no other write in flight does (until `deadline`).
    fn claim(
        &self,
        ids: impl IntoIterator<Item = String>,
        deadline: Instant,
    ) -> Result<Claim<'_>, NgsiLdError> {
        self.claims.claim(ids, deadline).map_err(|ClaimTimedOut| {
            NgsiLdError::Timeout(
                "another write of the same entity did not finish in time (sparql.query_timeout_secs)"
                    .into(),
            )
        })
    }

    /// One entity of a batch: its write (the scope is the caller's to set), whether it is
    /// new, and the attributes `noOverwrite` kept.
    fn batch_one(
        &self,
        rights: &Rights,
        op: BatchOp,
        mut entity: Entity,
        earlier: Option<&EntityWrite>,
        definitions: &[DatasetDefinition],
        time: &str,
    ) -> Result<(EntityWrite, bool, Vec<String>), NgsiLdError> {
        let iri = entity_iri(&entity.id)?;
        let existing = match earlier {
            Some(change) => Some(change.clone()),
            None => self.writable(rights, &iri)?.map(|s| {
                let entity = s.entity();
                EntityWrite::of_stored(s, entity, Scope::All)
            }),
        };
        let untyped = |entity: &Entity| {
            NgsiLdError::BadRequestData(format!("entity `{}` has no type", entity.id))
        };
        match (op, existing) {
            (BatchOp::Create, Some(_)) => Err(NgsiLdError::AlreadyExists(format!(
                "entity `{}` exists",
                entity.id
            ))),
            (BatchOp::Update { .. }, None) => Err(not_found(&entity.id)),
            (_, None) => {
                if entity.types.is_empty() {
                    return Err(untyped(&entity));
                }
                let graph = self.home_for(rights, &entity.types, definitions)?;
                stamp_entity(&mut entity, None, time);
                Ok((
                    EntityWrite::new(graph, entity),
                    earlier.is_none(),
                    Vec::new(),
                ))
            }
            (BatchOp::Upsert { update: false }, Some(mut change)) => {
                if entity.types.is_empty() {
                    return Err(untyped(&entity));
                }
                stamp_entity(&mut entity, change.entity.created_at.as_deref(), time);
                change.entity = entity;
                Ok((change, false, Vec::new()))
            }
            (BatchOp::Upsert { update: true }, Some(mut change)) => {
                merge(&mut change.entity, entity, true, time);
                Ok((change, false, Vec::new()))
            }
            (BatchOp::Update { no_overwrite }, Some(mut change)) => {
                let (_, kept) = merge(&mut change.entity, entity, !no_overwrite, time);
                Ok((change, false, kept))
            }
        }
    }
}
