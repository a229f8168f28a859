//! [`VerifyBudget`]: how much time each peer may make this node spend verifying catalogues.
//!
//! Verifying a catalogue canonicalises it (RDFC-1.0), and a crafted graph can make that cost
//! up to about a second before the call limit in [`super::signing`] refuses it. Members are
//! vetted but not trusted: one that sent crafted versions over and over would keep a core of
//! every other member busy. So each peer that hands this node catalogues (the author of a
//! gossiped one, the peer a fetched one came from: both authenticated by the transport) has
//! a budget of verification time that refills slowly, and one verification at a time (so a
//! burst cannot all be admitted before the first is charged). While a peer's budget is spent
//! or its previous catalogue is still being verified, its catalogues are refused unverified;
//! anti-entropy fetches the latest version later, from that peer or another. Honest
//! catalogues verify in milliseconds and never come near the budget.

use libp2p::PeerId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The full budget refills in this many seconds (at the default of 5 s: 10% of a core).
const REFILL_SECS: f64 = 50.0;

/// Peers tracked at most; past it, peers whose budget is full are forgotten (they are the
/// same as new ones).
const MAX_TRACKED: usize = 4096;

/// Verification time each peer may still spend, refilling over time.
#[derive(Debug)]
pub struct VerifyBudget {
    /// Seconds a peer may spend at once.
    capacity: f64,
    buckets: Mutex<HashMap<PeerId, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Seconds left; below zero after a verification that cost more than was left.
    left: f64,
    updated: Instant,
    /// A verification admitted and not charged yet.
    busy: bool,
}

/// A peer whose budget is spent, and how long until it is not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverBudget {
    /// Until the peer may be verified again.
    pub retry_in: Duration,
}

impl VerifyBudget {
    /// A budget of `capacity` per peer.
    pub fn new(capacity: Duration) -> Self {
        Self {
            capacity: capacity.as_secs_f64(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        Bucket {
            left: (bucket.left + elapsed * self.capacity / REFILL_SECS).min(self.capacity),
            updated: now,
            busy: bucket.busy,
        }
    }

    /// Whether `peer` may have a catalogue verified now; if so, the verification is under
    /// way until [`Self::charge`] is called for it.
    pub fn admit(&self, peer: &PeerId, now: Instant) -> Result<(), OverBudget> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(peer) {
            buckets.retain(|_, b| b.busy || self.refilled(*b, now).left < self.capacity);
        }
        let full = Bucket {
            left: self.capacity,
            updated: now,
            busy: false,
        };
        let bucket = buckets.entry(*peer).or_insert(full);
        *bucket = self.refilled(*bucket, now);
        if bucket.busy {
            return Err(OverBudget {
                retry_in: Duration::from_secs(1),
            });
        }
        if bucket.left <= 0.0 {
            let wait = -bucket.left * REFILL_SECS / self.capacity;
            return Err(OverBudget {
                retry_in: Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX),
            });
        }
        bucket.busy = true;
        Ok(())
    }

    /// Admits a verification of `peer` now, or says why not; the verification is charged to
    /// the peer when the returned [`Verification`] is dropped, however it ended.
    pub fn start(self: &Arc<Self>, peer: PeerId) -> Result<Verification, OverBudget> {
        let now = Instant::now();
        self.admit(&peer, now)?;
        Ok(Verification {
            budget: Arc::clone(self),
            peer,
            started: now,
        })
    }

    /// Whether [`Self::admit`] would refuse `peer` now (nothing is admitted): lets the node
    /// skip fetching what it would refuse anyway.
    pub fn would_refuse(&self, peer: &PeerId, now: Instant) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets.get(peer).is_some_and(|b| {
            let b = self.refilled(*b, now);
            b.busy || b.left <= 0.0
        })
    }

    /// Charges `peer` for an admitted verification that took `spent` and ends it; true if
    /// that spent the peer's budget.
    pub fn charge(&self, peer: PeerId, spent: Duration, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(bucket) = buckets.get_mut(&peer) else {
            return false;
        };
        let before = self.refilled(*bucket, now);
        *bucket = Bucket {
            left: before.left - spent.as_secs_f64(),
            updated: now,
            busy: false,
        };
        before.left > 0.0 && bucket.left <= 0.0
    }
}

/// A verification under way: dropping it charges its time to the peer and ends it, so a
/// verification that fails, panics or is abandoned still counts and never stays open.
#[derive(Debug)]
pub struct Verification {
    budget: Arc<VerifyBudget>,
    peer: PeerId,
    started: Instant,
}

impl Drop for Verification {
    fn drop(&mut self) {
        let now = Instant::now();
        let spent = now.saturating_duration_since(self.started);
        if self.budget.charge(self.peer, spent, now) {
            tracing::warn!(
                peer = %self.peer,
                "peer spent its catalogue verification budget ({} ms, catalog.verify_budget_ms): its catalogues wait until it refills",
                (self.budget.capacity * 1000.0).round() as u64
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// Admits and charges one verification of `peer` that took `spent`.
    fn verify(budget: &VerifyBudget, peer: PeerId, spent: Duration, now: Instant) -> bool {
        assert_eq!(budget.admit(&peer, now), Ok(()));
        budget.charge(peer, spent, now)
    }

    #[test]
    fn honest_peers_verify_many_small_catalogues() {
        let budget = VerifyBudget::new(5 * SECOND);
        let (peer, now) = (PeerId::random(), Instant::now());
        // A consortium of 200 whose catalogues take 20 ms each, all relayed by one peer.
        for _ in 0..200 {
            assert!(!verify(&budget, peer, Duration::from_millis(20), now));
        }
        assert_eq!(budget.admit(&peer, now), Ok(()));
    }

    #[test]
    fn a_peer_that_spent_its_budget_waits_and_others_do_not() {
        let budget = VerifyBudget::new(2 * SECOND);
        let (costly, other, now) = (PeerId::random(), PeerId::random(), Instant::now());
        assert!(!verify(&budget, costly, SECOND, now));
        assert!(
            verify(&budget, costly, Duration::from_millis(1500), now),
            "spent now"
        );
        assert!(budget.would_refuse(&costly, now));
        assert!(!budget.would_refuse(&other, now));
        let refused = budget.admit(&costly, now).expect_err("over budget");
        // 0.5 s of debt at 2 s per 50 s: 12.5 s.
        assert_eq!(refused.retry_in.as_millis(), 12_500);
        assert_eq!(budget.admit(&other, now), Ok(()));
        assert_eq!(
            budget.admit(&costly, now + Duration::from_millis(12_600)),
            Ok(()),
            "refilled"
        );
    }

    #[test]
    fn one_verification_at_a_time_per_peer() {
        let budget = VerifyBudget::new(5 * SECOND);
        let (peer, other, now) = (PeerId::random(), PeerId::random(), Instant::now());
        assert!(!budget.would_refuse(&peer, now));
        assert_eq!(budget.admit(&peer, now), Ok(()));
        assert!(budget.would_refuse(&peer, now));
        // A burst: the rest are refused until the first is charged.
        assert!(budget.admit(&peer, now).is_err());
        assert_eq!(budget.admit(&other, now), Ok(()));
        budget.charge(peer, Duration::from_millis(5), now);
        assert_eq!(budget.admit(&peer, now), Ok(()));
    }

    #[test]
    fn a_verification_ends_when_dropped() {
        let budget = Arc::new(VerifyBudget::new(5 * SECOND));
        let peer = PeerId::random();
        let verification = budget.start(peer).expect("admitted");
        assert!(budget.start(peer).is_err(), "one at a time");
        drop(verification);
        assert!(budget.start(peer).is_ok());
    }

    #[test]
    fn the_budget_never_refills_past_its_capacity() {
        let budget = VerifyBudget::new(SECOND);
        let (peer, now) = (PeerId::random(), Instant::now());
        assert!(!verify(&budget, peer, Duration::from_millis(10), now));
        let later = now + Duration::from_secs(3600);
        assert!(verify(&budget, peer, Duration::from_millis(1001), later));
        assert!(budget.admit(&peer, later).is_err());
    }

    #[test]
    fn tracking_is_bounded() {
        let budget = VerifyBudget::new(SECOND);
        let now = Instant::now();
        for _ in 0..MAX_TRACKED + 10 {
            verify(&budget, PeerId::random(), Duration::from_micros(1), now);
        }
        // A second later every one of them has refilled and may be forgotten.
        let later = now + SECOND;
        verify(&budget, PeerId::random(), Duration::from_micros(1), later);
        let tracked = budget.buckets.lock().map(|b| b.len()).unwrap_or_default();
        assert!(tracked <= MAX_TRACKED, "{tracked}");
    }
}
