//! A journal that keeps transition records in memory, so tests and the drill can read
//! back exactly what the watcher recorded.

use std::sync::{Arc, Mutex};

use regionflip_watcher::journal::{Journal, TransitionRecord};

/// Keeps records in memory, for tests and the drill.
#[derive(Debug, Default, Clone)]
pub struct MemoryJournal {
    records: Arc<Mutex<Vec<TransitionRecord>>>,
}

impl MemoryJournal {
    /// Everything recorded so far.
    pub fn records(&self) -> Vec<TransitionRecord> {
        self.records
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }
}

impl Journal for MemoryJournal {
    fn record(&self, record: &TransitionRecord) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.push(record.clone());
    }
}
