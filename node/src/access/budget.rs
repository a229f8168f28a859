//! The privacy budget ledger, on the provider: the ε each consumer organisation has spent on
//! each differentially private dataset within a budget period, and the answers it paid for,
//! in sled.
//!
//! The budget belongs to the organisation and the dataset (the privacy unit), not to one
//! agreement: a second agreement for the same dataset continues what the first spent, so the
//! guarantee (ε per answer × answers ≤ budget per period) holds however many agreements are
//! negotiated. The offer may set a period (`hanse:budgetPeriod`, whole days, counted from the
//! Unix epoch) after which the budget renews; without one it never does.
//!
//! A new differentially private answer is charged in one sled transaction that checks the
//! remaining budget, adds the answer's ε and records the answer's key, and the ledger is
//! flushed before the answer leaves: concurrent queries cannot overspend (sled retries a
//! conflicting transaction on the new state), and a crash after the charge can only lose an
//! answer already paid for, which the consumer then gets again for nothing (same key, same
//! noise, same answer).
//!
//! Ledgers written before budgets were pooled kept one entry per agreement
//! (`spent\0<agreement>`); [`PrivacyLedger::adopt`] moves such an entry into its account the
//! first time the agreement is used.

use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use std::fmt;

const TREE: &str = "privacy_budget";
const SECONDS_PER_DAY: u64 = 86_400;

/// Errors of the ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// sled failed.
    #[error("privacy budget storage: {0}")]
    Storage(#[from] sled::Error),
    /// The answer would overspend the budget.
    #[error(
        "the privacy budget of {account} is spent: {spent} of {budget} ε used over every agreement for it, and a new answer costs {epsilon}; repeat an earlier query (repeats cost nothing); {renewal}"
    )]
    Spent {
        /// Whose budget, for which dataset and period.
        account: BudgetAccount,
        /// ε spent so far.
        spent: f64,
        /// The budget.
        budget: f64,
        /// What the answer would cost.
        epsilon: f64,
        /// When the budget renews, or that it does not.
        renewal: String,
    },
    /// A stored value does not decode.
    #[error("privacy budget record of `{0}` cannot be read")]
    Corrupt(String),
}

/// One budget period: the `index`-th run of `days` days since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Its length in days.
    pub days: u64,
    /// Which one.
    pub index: u64,
}

impl Period {
    /// The period of `days` days that holds `unix_seconds`.
    pub fn holding(days: u64, unix_seconds: u64) -> Self {
        let days = days.max(1);
        Self {
            days,
            index: unix_seconds / SECONDS_PER_DAY / days,
        }
    }

    /// The period of `days` days that holds this moment.
    pub fn current(days: u64) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::holding(days, now)
    }

    /// The first day of the next period (`YYYY-MM-DD`, UTC).
    pub fn renews_on(&self) -> String {
        let day = self.index.saturating_add(1).saturating_mul(self.days);
        i64::try_from(day.saturating_mul(SECONDS_PER_DAY))
            .ok()
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .map_or_else(|| "a far future day".to_owned(), |t| t.date().to_string())
    }
}

/// Whose budget an answer is charged to: the consumer organisation, the dataset, the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetAccount {
    /// The consumer organisation, as the consortium's membership names it.
    pub consumer: String,
    /// The provider's dataset id.
    pub dataset: String,
    /// The budget period, when the offer sets one.
    pub period: Option<Period>,
}

impl BudgetAccount {
    /// When the budget renews, in words.
    pub fn renewal(&self) -> String {
        match &self.period {
            Some(period) => format!("the budget renews on {}", period.renews_on()),
            None => "the offer's budget does not renew".to_owned(),
        }
    }

    fn key(&self) -> Vec<u8> {
        // JSON keeps the parts apart whatever characters they hold.
        let id = serde_json::to_vec(self).unwrap_or_default();
        [b"account\0".as_slice(), &id].concat()
    }

    fn answers_prefix(&self) -> Vec<u8> {
        [b"answer\0".as_slice(), &self.key(), b"\0"].concat()
    }
}

impl fmt::Display for BudgetAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} for dataset `{}`", self.consumer, self.dataset)?;
        if let Some(period) = &self.period {
            write!(f, " in this period of {} days", period.days)?;
        }
        Ok(())
    }
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
    /// ε spent from the account after this answer, in millionths.
    pub fn spent(self) -> u64 {
        match self {
            Charge::New(spent) | Charge::Repeated(spent) => spent,
        }
    }
}

/// ε spent per account, and the answers paid for; cheap to clone.
#[derive(Clone)]
pub struct PrivacyLedger {
    tree: sled::Tree,
}

fn legacy_spent_key(agreement: &str) -> Vec<u8> {
    [b"spent\0", agreement.as_bytes()].concat()
}

fn legacy_answers_prefix(agreement: &str) -> Vec<u8> {
    [b"answer\0", agreement.as_bytes(), b"\0"].concat()
}

fn decode(what: &str, bytes: &[u8]) -> Result<u64, LedgerError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| LedgerError::Corrupt(what.to_owned()))
}

fn micro(value: u64) -> f64 {
    super::privacy_terms::from_micro(value)
}

fn finish<T>(outcome: Result<T, TransactionError<LedgerError>>) -> Result<T, LedgerError> {
    match outcome {
        Ok(value) => Ok(value),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(e.into()),
    }
}

impl PrivacyLedger {
    /// Opens the ledger in the node's state database.
    pub fn open(db: &sled::Db) -> Result<Self, LedgerError> {
        Ok(Self {
            tree: db.open_tree(TREE)?,
        })
    }

    /// ε spent from `account`, in millionths.
    pub fn spent(&self, account: &BudgetAccount) -> Result<u64, LedgerError> {
        match self.tree.get(account.key())? {
            Some(bytes) => decode(&account.to_string(), &bytes),
            None => Ok(0),
        }
    }

    /// How many distinct answers `account` has paid for.
    pub fn answers(&self, account: &BudgetAccount) -> usize {
        self.tree.scan_prefix(account.answers_prefix()).count()
    }

    /// Moves what `agreement` spent under the old per-agreement ledger into `account`; does
    /// nothing when there is nothing to move. Durable on return.
    pub fn adopt(&self, agreement: &str, account: &BudgetAccount) -> Result<(), LedgerError> {
        let legacy = legacy_spent_key(agreement);
        if !self.tree.contains_key(&legacy)? {
            return Ok(());
        }
        let prefix = legacy_answers_prefix(agreement);
        let answers: Vec<(Vec<u8>, Vec<u8>)> = self
            .tree
            .scan_prefix(&prefix)
            .map(|entry| entry.map(|(k, v)| (k[prefix.len()..].to_vec(), v.to_vec())))
            .collect::<Result<_, _>>()?;
        let account_key = account.key();
        let answers_prefix = account.answers_prefix();
        finish(self.tree.transaction(|tx| {
            let abort = ConflictableTransactionError::Abort;
            let Some(moved) = tx.get(&legacy)? else {
                return Ok(());
            };
            let moved = decode(agreement, &moved).map_err(abort)?;
            let spent = match tx.get(&account_key)? {
                Some(bytes) => decode(agreement, &bytes).map_err(abort)?,
                None => 0,
            };
            tx.insert(
                account_key.as_slice(),
                &spent.saturating_add(moved).to_be_bytes(),
            )?;
            for (answer, epsilon) in &answers {
                tx.insert(
                    [answers_prefix.as_slice(), answer].concat(),
                    epsilon.as_slice(),
                )?;
                tx.remove([prefix.as_slice(), answer].concat())?;
            }
            tx.remove(legacy.as_slice())?;
            Ok(())
        }))?;
        tracing::info!(%agreement, %account, "privacy budget of an agreement moved to its account");
        self.tree.flush()?;
        Ok(())
    }

    /// Charges `epsilon` millionths to `account` for answer `answer`, unless that answer was
    /// paid for already; refuses when the budget would be exceeded. Durable on return.
    pub fn charge(
        &self,
        account: &BudgetAccount,
        answer: &str,
        epsilon: u64,
        budget: u64,
    ) -> Result<Charge, LedgerError> {
        let spent_key = account.key();
        let answer_key = [account.answers_prefix(), answer.as_bytes().to_vec()].concat();
        let label = account.to_string();
        let charge = finish(self.tree.transaction(|tx| {
            let abort = ConflictableTransactionError::Abort;
            let spent = match tx.get(&spent_key)? {
                Some(bytes) => decode(&label, &bytes).map_err(abort)?,
                None => 0,
            };
            if tx.get(&answer_key)?.is_some() {
                return Ok(Charge::Repeated(spent));
            }
            let after = spent.saturating_add(epsilon);
            if after > budget {
                return Err(abort(LedgerError::Spent {
                    account: account.clone(),
                    spent: micro(spent),
                    budget: micro(budget),
                    epsilon: micro(epsilon),
                    renewal: account.renewal(),
                }));
            }
            tx.insert(spent_key.as_slice(), &after.to_be_bytes())?;
            tx.insert(answer_key.as_slice(), &epsilon.to_be_bytes())?;
            Ok(Charge::New(after))
        }))?;
        self.tree.flush()?;
        Ok(charge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> (tempfile::TempDir, sled::Db, PrivacyLedger) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let ledger = PrivacyLedger::open(&db).unwrap();
        (dir, db, ledger)
    }

    fn account(consumer: &str, period: Option<Period>) -> BudgetAccount {
        BudgetAccount {
            consumer: consumer.into(),
            dataset: "consumption".into(),
            period,
        }
    }

    #[test]
    fn answers_are_charged_once_and_the_budget_holds() {
        let (_dir, _db, ledger) = ledger();
        let a = account("University", None);
        assert_eq!(
            ledger.charge(&a, "q1", 400_000, 1_000_000).unwrap(),
            Charge::New(400_000)
        );
        assert_eq!(
            ledger.charge(&a, "q1", 400_000, 1_000_000).unwrap(),
            Charge::Repeated(400_000)
        );
        assert_eq!(
            ledger.charge(&a, "q2", 400_000, 1_000_000).unwrap(),
            Charge::New(800_000)
        );
        let error = ledger.charge(&a, "q3", 400_000, 1_000_000).unwrap_err();
        assert!(matches!(error, LedgerError::Spent { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains("0.8 of 1 ε used"), "{message}");
        assert!(message.contains("does not renew"), "{message}");
        assert!(!message.contains("new agreement"), "{message}");
        // Repeats are still answered once the budget is spent; other accounts are apart.
        assert_eq!(
            ledger.charge(&a, "q2", 400_000, 1_000_000).unwrap(),
            Charge::Repeated(800_000)
        );
        let b = account("City", None);
        assert_eq!(
            ledger.charge(&b, "q3", 400_000, 1_000_000).unwrap(),
            Charge::New(400_000)
        );
        assert_eq!(
            (ledger.spent(&a).unwrap(), ledger.answers(&a)),
            (800_000, 2)
        );
    }

    #[test]
    fn a_new_period_starts_with_the_whole_budget() {
        let (_dir, _db, ledger) = ledger();
        let day = |d: u64| d * SECONDS_PER_DAY;
        let first = account("University", Some(Period::holding(30, day(61))));
        let same = account("University", Some(Period::holding(30, day(89))));
        let next = account("University", Some(Period::holding(30, day(90))));
        assert_eq!(first, same);
        ledger.charge(&first, "q1", 1_000_000, 1_000_000).unwrap();
        let error = ledger
            .charge(&same, "q2", 1_000_000, 1_000_000)
            .unwrap_err();
        assert!(
            error.to_string().contains("renews on 1970-04-01"),
            "{error}"
        );
        assert_eq!(
            ledger.charge(&next, "q2", 1_000_000, 1_000_000).unwrap(),
            Charge::New(1_000_000)
        );
    }

    #[test]
    fn an_agreements_old_entry_moves_into_its_account() {
        let (_dir, db, ledger) = ledger();
        let tree = db.open_tree(TREE).unwrap();
        tree.insert(legacy_spent_key("urn:a"), &700_000u64.to_be_bytes())
            .unwrap();
        tree.insert(
            [legacy_answers_prefix("urn:a"), b"q1".to_vec()].concat(),
            &700_000u64.to_be_bytes(),
        )
        .unwrap();
        let a = account("University", None);
        ledger.adopt("urn:a", &a).unwrap();
        ledger.adopt("urn:a", &a).unwrap();
        assert_eq!(
            (ledger.spent(&a).unwrap(), ledger.answers(&a)),
            (700_000, 1)
        );
        assert_eq!(
            ledger.charge(&a, "q1", 700_000, 1_000_000).unwrap(),
            Charge::Repeated(700_000)
        );
        assert!(ledger.charge(&a, "q2", 700_000, 1_000_000).is_err());
        assert!(!tree.contains_key(legacy_spent_key("urn:a")).unwrap());
    }

    #[test]
    fn concurrent_charges_never_overspend() {
        let (_dir, _db, ledger) = ledger();
        let a = account("University", None);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let ledger = ledger.clone();
                let a = a.clone();
                std::thread::spawn(move || {
                    (0..25)
                        .filter(|i| {
                            ledger
                                .charge(&a, &format!("{t}-{i}"), 100_000, 10_000_000)
                                .is_ok()
                        })
                        .count()
                })
            })
            .collect();
        let answered: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(answered, 100);
        assert_eq!(ledger.spent(&a).unwrap(), 10_000_000);
        assert_eq!(ledger.answers(&a), 100);
    }
}
