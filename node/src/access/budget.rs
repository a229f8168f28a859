//! The privacy budget ledger, on the provider: the ε each agreement has spent and the answers
//! it has paid for, in sled.
//!
//! A new differentially private answer is charged in one sled transaction that checks the
//! remaining budget, adds the answer's ε and records the answer's key, and the ledger is
//! flushed before the answer leaves: concurrent queries cannot overspend (sled retries a
//! conflicting transaction on the new state), and a crash after the charge can only lose an
//! answer already paid for, which the consumer then gets again for nothing (same key, same
//! noise, same answer).

use sled::transaction::{ConflictableTransactionError, TransactionError};

const TREE: &str = "privacy_budget";

/// Errors of the ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// sled failed.
    #[error("privacy budget storage: {0}")]
    Storage(#[from] sled::Error),
    /// The answer would overspend the budget.
    #[error(
        "the privacy budget of agreement `{agreement}` is spent: {spent} of {budget} ε used, and a new answer costs {epsilon}; repeat an earlier query (repeats cost nothing) or ask the provider for a new agreement"
    )]
    Spent {
        /// The agreement.
        agreement: String,
        /// ε spent so far.
        spent: f64,
        /// The budget.
        budget: f64,
        /// What the answer would cost.
        epsilon: f64,
    },
    /// A stored value does not decode.
    #[error("privacy budget record of `{0}` cannot be read")]
    Corrupt(String),
}

/// What charging an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// A new answer: its ε was added; the total spent after it, in millionths.
    New(u64),
    /// An answer already paid for: nothing charged; the total spent, in millionths.
    Repeated(u64),
}

impl Charge {
    /// ε spent under the agreement after this answer, in millionths.
    pub fn spent(self) -> u64 {
        match self {
            Charge::New(spent) | Charge::Repeated(spent) => spent,
        }
    }
}

/// ε spent per agreement, and the answers paid for; cheap to clone.
#[derive(Clone)]
pub struct PrivacyLedger {
    tree: sled::Tree,
}

fn spent_key(agreement: &str) -> Vec<u8> {
    [b"spent\0", agreement.as_bytes()].concat()
}

fn answers_prefix(agreement: &str) -> Vec<u8> {
    [b"answer\0", agreement.as_bytes(), b"\0"].concat()
}

fn decode(agreement: &str, bytes: &[u8]) -> Result<u64, LedgerError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| LedgerError::Corrupt(agreement.to_owned()))
}

fn micro(value: u64) -> f64 {
    super::privacy_terms::from_micro(value)
}

impl PrivacyLedger {
    /// Opens the ledger in the node's state database.
    pub fn open(db: &sled::Db) -> Result<Self, LedgerError> {
        Ok(Self {
            tree: db.open_tree(TREE)?,
        })
    }

    /// ε spent under `agreement`, in millionths.
    pub fn spent(&self, agreement: &str) -> Result<u64, LedgerError> {
        match self.tree.get(spent_key(agreement))? {
            Some(bytes) => decode(agreement, &bytes),
            None => Ok(0),
        }
    }

    /// How many distinct answers `agreement` has paid for.
    pub fn answers(&self, agreement: &str) -> usize {
        self.tree.scan_prefix(answers_prefix(agreement)).count()
    }

    /// Charges `epsilon` millionths for answer `answer` under `agreement`, unless that answer
    /// was paid for already; refuses when the budget would be exceeded. Durable on return.
    pub fn charge(
        &self,
        agreement: &str,
        answer: &str,
        epsilon: u64,
        budget: u64,
    ) -> Result<Charge, LedgerError> {
        let spent_key = spent_key(agreement);
        let answer_key = [answers_prefix(agreement), answer.as_bytes().to_vec()].concat();
        let outcome = self.tree.transaction(|tx| {
            let abort = |e: LedgerError| ConflictableTransactionError::Abort(e);
            let spent = match tx.get(&spent_key)? {
                Some(bytes) => decode(agreement, &bytes).map_err(abort)?,
                None => 0,
            };
            if tx.get(&answer_key)?.is_some() {
                return Ok(Charge::Repeated(spent));
            }
            let after = spent.saturating_add(epsilon);
            if after > budget {
                return Err(abort(LedgerError::Spent {
                    agreement: agreement.to_owned(),
                    spent: micro(spent),
                    budget: micro(budget),
                    epsilon: micro(epsilon),
                }));
            }
            tx.insert(spent_key.as_slice(), &after.to_be_bytes())?;
            tx.insert(answer_key.as_slice(), &epsilon.to_be_bytes())?;
            Ok(Charge::New(after))
        });
        let charge = match outcome {
            Ok(charge) => charge,
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        };
        self.tree.flush()?;
        Ok(charge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> (tempfile::TempDir, PrivacyLedger) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        (dir, PrivacyLedger::open(&db).unwrap())
    }

    #[test]
    fn answers_are_charged_once_and_the_budget_holds() {
        let (_dir, ledger) = ledger();
        assert_eq!(
            ledger.charge("a", "q1", 400_000, 1_000_000).unwrap(),
            Charge::New(400_000)
        );
        assert_eq!(
            ledger.charge("a", "q1", 400_000, 1_000_000).unwrap(),
            Charge::Repeated(400_000)
        );
        assert_eq!(
            ledger.charge("a", "q2", 400_000, 1_000_000).unwrap(),
            Charge::New(800_000)
        );
        let error = ledger.charge("a", "q3", 400_000, 1_000_000).unwrap_err();
        assert!(matches!(error, LedgerError::Spent { .. }), "{error}");
        assert!(error.to_string().contains("0.8 of 1 ε used"), "{error}");
        // Repeats are still answered once the budget is spent; other agreements are apart.
        assert_eq!(
            ledger.charge("a", "q2", 400_000, 1_000_000).unwrap(),
            Charge::Repeated(800_000)
        );
        assert_eq!(
            ledger.charge("b", "q3", 400_000, 1_000_000).unwrap(),
            Charge::New(400_000)
        );
        assert_eq!(
            (ledger.spent("a").unwrap(), ledger.answers("a")),
            (800_000, 2)
        );
    }

    #[test]
    fn concurrent_charges_never_overspend() {
        let (_dir, ledger) = ledger();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let ledger = ledger.clone();
                std::thread::spawn(move || {
                    (0..25)
                        .filter(|i| {
                            ledger
                                .charge("a", &format!("{t}-{i}"), 100_000, 10_000_000)
                                .is_ok()
                        })
                        .count()
                })
            })
            .collect();
        let answered: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(answered, 100);
        assert_eq!(ledger.spent("a").unwrap(), 10_000_000);
        assert_eq!(ledger.answers("a"), 100);
    }
}
