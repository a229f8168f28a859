//! What a federated answer says about its sources: who was asked, how it went, who was
//! skipped and why.

use super::sources::Skipped;
use crate::p2p::Disclosure;
use serde::Serialize;
use spargebra::Query;
use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TriplePattern, Variable};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// How one source fared.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// Every sub-query was answered.
    Complete,
    /// A sub-query failed, timed out or was denied: the answer lacks this source's part.
    Failed,
}

/// One source in a federated answer.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// The member's PeerId.
    pub member: String,
    /// The member's name.
    pub name: String,
    /// `complete` or `failed`.
    pub status: SourceStatus,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Requests sent (sub-queries and further chunks).
    pub requests: u32,
    /// Rows it returned.
    pub rows: u64,
    /// Time spent waiting for it, summed over its sub-queries, in milliseconds.
    pub millis: u64,
    /// For an aggregation-only dataset: groups withheld, noise added, budget left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<Disclosure>,
}

/// The federation part of an answer.
#[derive(Debug, Clone, Serialize)]
pub struct FederationReport {
    /// `complete`, or `partial` when a source failed or a dataset that could have answered
    /// part of the query was skipped.
    pub status: &'static str,
    /// How the query was run: `single-source` (sent whole to one member) or `federated`.
    pub mode: &'static str,
    /// Every source asked.
    pub sources: Vec<SourceReport>,
    /// Datasets not asked, and why.
    pub skipped: Vec<Skipped>,
    /// Wall-clock time, in milliseconds.
    pub millis: u64,
}

impl FederationReport {
    /// Whether every source asked answered.
    pub fn is_complete(&self) -> bool {
        self.status == "complete"
    }

    /// Requests sent to members, in all.
    pub fn requests(&self) -> u32 {
        self.sources.iter().map(|s| s.requests).sum()
    }
}

/// Collects source reports while a query runs (shared by parallel sub-queries).
#[derive(Default)]
pub struct ReportBuilder(Mutex<BTreeMap<String, SourceReport>>);

impl ReportBuilder {
    /// Records one sub-query to `member`.
    pub fn record(
        &self,
        member: &str,
        name: &str,
        requests: u32,
        rows: u64,
        waited: Duration,
        error: Option<String>,
    ) {
        let mut reports = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let report = reports
            .entry(member.to_owned())
            .or_insert_with(|| SourceReport {
                member: member.to_owned(),
                name: name.to_owned(),
                status: SourceStatus::Complete,
                error: None,
                requests: 0,
                rows: 0,
                millis: 0,
                privacy: None,
            });
        report.requests += requests;
        report.rows += rows;
        report.millis += waited.as_millis() as u64;
        if let Some(error) = error {
            report.status = SourceStatus::Failed;
            report.error.get_or_insert(error);
        }
    }

    /// Records what `member` withheld or noised in its answer.
    pub fn disclose(&self, member: &str, disclosure: Disclosure) {
        let mut reports = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(report) = reports.get_mut(member) {
            report.privacy = Some(disclosure);
        }
    }

    /// Whether `member` already failed in this query (it is not asked again).
    pub fn failed(&self, member: &str) -> Option<String> {
        let reports = self.0.lock().unwrap_or_else(|e| e.into_inner());
        reports
            .get(member)
            .filter(|r| r.status == SourceStatus::Failed)
            .and_then(|r| r.error.clone())
    }

    /// The finished report.
    pub fn finish(
        &self,
        mode: &'static str,
        skipped: Vec<Skipped>,
        elapsed: Duration,
    ) -> FederationReport {
        let sources: Vec<SourceReport> = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let complete = sources.iter().all(|s| s.status == SourceStatus::Complete)
            && !skipped.iter().any(|s| s.relevant);
        FederationReport {
            status: if complete { "complete" } else { "partial" },
            mode,
            sources,
            skipped,
            millis: elapsed.as_millis() as u64,
        }
    }
}

/// Marks which of `skipped` could have contributed to `query`'s answer.
pub fn mark_relevant(skipped: &mut [Skipped], query: &Query) {
    let patterns = query_patterns(query);
    for dataset in skipped {
        dataset.relevant = dataset.may_match_any(&patterns);
    }
}

/// The triple patterns of `query`; a property path counts as a pattern with any predicate.
pub fn query_patterns(query: &Query) -> Vec<TriplePattern> {
    let mut patterns = Vec::new();
    triple_patterns(crate::store::sparql::query_pattern(query), &mut patterns);
    patterns
}

/// The triple patterns of `pattern`; a property path counts as a pattern with any predicate.
fn triple_patterns(pattern: &GraphPattern, out: &mut Vec<TriplePattern>) {
    match pattern {
        GraphPattern::Bgp { patterns } => out.extend(patterns.iter().cloned()),
        GraphPattern::Path {
            subject, object, ..
        } => out.push(TriplePattern {
            subject: subject.clone(),
            predicate: NamedNodePattern::Variable(Variable::new_unchecked("path")),
            object: object.clone(),
        }),
        GraphPattern::Join { left, right }
        | GraphPattern::LeftJoin { left, right, .. }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => {
            triple_patterns(left, out);
            triple_patterns(right, out);
        }
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Graph { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Service { inner, .. } => triple_patterns(inner, out),
        GraphPattern::Values { .. } => {}
    }
}
