//! A store's consistency check, row by row, whatever the database: an unbroken record
//! sequence (other records' leaves fill the gaps between observations' rows), every body the
//! canonical observation its columns describe, and the counts by kind the rows' own.

use std::collections::HashSet;

use crate::{CheckReport, StoreError};

pub(crate) struct SequenceCheck {
    /// Log indices of other records' leaves.
    others: HashSet<i64>,
    expected: i64,
    count: u64,
}

impl SequenceCheck {
    pub fn new(others: HashSet<i64>) -> SequenceCheck {
        SequenceCheck {
            others,
            expected: 1,
            count: 0,
        }
    }

    /// The next observation row, in `seq` order.
    pub fn row(
        &mut self,
        seq: i64,
        id: &str,
        observer: &str,
        kind: &str,
        body: &[u8],
    ) -> Result<(), StoreError> {
        while seq > self.expected && self.others.contains(&(self.expected - 1)) {
            self.expected += 1;
        }
        if seq != self.expected {
            return Err(StoreError::Inconsistent(format!(
                "record {} is missing (next stored is {}, id {id:?})",
                self.expected - 1,
                seq - 1
            )));
        }
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            StoreError::Inconsistent(format!(
                "record {} ({id:?}): body is not JSON: {e}",
                seq - 1
            ))
        })?;
        let canonical = serde_jcs::to_vec(&value).unwrap_or_default();
        let same = |k: &str, v: &str| value.get(k).and_then(|x| x.as_str()) == Some(v);
        if canonical != body
            || !same("id", id)
            || !same("observer", observer)
            || !same("kind", kind)
        {
            return Err(StoreError::Inconsistent(format!(
                "record {} ({id:?}): body does not match its columns or is not canonical",
                seq - 1
            )));
        }
        self.expected += 1;
        self.count += 1;
        Ok(())
    }

    /// The counts kept by kind against the rows' own (both sorted by kind, zeros left out).
    pub fn finish(
        self,
        kept: Vec<(String, i64)>,
        counted: Vec<(String, i64)>,
    ) -> Result<CheckReport, StoreError> {
        if kept != counted {
            return Err(StoreError::Inconsistent(format!(
                "observations counted by kind {kept:?}, but the rows hold {counted:?}"
            )));
        }
        Ok(CheckReport {
            observations: self.count,
        })
    }
}
