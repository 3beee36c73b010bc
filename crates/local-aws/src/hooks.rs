//! Small hooks for [`Hooked`]: counting calls, injecting faults, seeded interleaving.
//!
//! * [`CallCounter`] counts each port call (one AWS request) by operation. The
//!   benchmarks report these counts (Route 53 allows 5 requests/s per account) and tests
//!   assert on them. [`Counting<T>`] is an adapter wrapped with one; [`Instrumented<T>`]
//!   counts and takes faults, as the fixtures' models do.
//! * [`Faults`] refuses aimed calls with an error, or lets them through and loses the
//!   answer (the write is committed, the caller sees an error), as a timeout, a dropped
//!   connection or a 5xx after the commit does on real AWS.
//! * [`Interleaving`] hands the async scheduler a seeded number of turns before and
//!   after each call, so concurrent watchers interleave differently per seed and any
//!   failing seed replays exactly.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use regionflip_watcher::ports::{AwsError, ChangeError};

use crate::hooked::{Before, Call, Hook, Hooked, Operation, Reply};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves consistent data: every update
    // below is one assignment.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts of calls made, by operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// `ListResourceRecordSets`.
    pub list_records: usize,
    /// `ChangeResourceRecordSets`, including refused ones.
    pub change_records: usize,
    /// `GetChange`.
    pub get_change: usize,
    /// `ListHealthChecks`.
    pub list_health_checks: usize,
    /// `CreateHealthCheck`, including those that returned an existing check.
    pub create_health_check: usize,
    /// `UpdateHealthCheck`.
    pub update_health_check: usize,
    /// `ListTagsForResources` and `ChangeTagsForResource`.
    pub health_check_tags: usize,
    /// `DescribeAlarms`.
    pub describe_alarms: usize,
    /// `PutMetricData`.
    pub put_metric_data: usize,
    /// `GetMetricData`.
    pub get_metric_data: usize,
    /// `PutMetricAlarm`.
    pub put_metric_alarm: usize,
    /// `DeleteHealthCheck`.
    pub delete_health_check: usize,
    /// `DeleteAlarms`.
    pub delete_alarms: usize,
}

impl CallCounts {
    /// Calls that reach the Route 53 API (and its 5 requests/s account quota).
    pub fn route53(&self) -> usize {
        self.list_records
            + self.change_records
            + self.get_change
            + self.list_health_checks
            + self.create_health_check
            + self.update_health_check
            + self.health_check_tags
            + self.delete_health_check
    }

    /// Calls that reach CloudWatch.
    pub fn cloudwatch(&self) -> usize {
        self.describe_alarms
            + self.put_metric_data
            + self.get_metric_data
            + self.put_metric_alarm
            + self.delete_alarms
    }

    /// Field by field, `self` combined with `other` by `op`.
    pub fn zip_with(&self, other: &CallCounts, op: impl Fn(usize, usize) -> usize) -> CallCounts {
        CallCounts {
            list_records: op(self.list_records, other.list_records),
            change_records: op(self.change_records, other.change_records),
            get_change: op(self.get_change, other.get_change),
            list_health_checks: op(self.list_health_checks, other.list_health_checks),
            create_health_check: op(self.create_health_check, other.create_health_check),
            update_health_check: op(self.update_health_check, other.update_health_check),
            health_check_tags: op(self.health_check_tags, other.health_check_tags),
            describe_alarms: op(self.describe_alarms, other.describe_alarms),
            put_metric_data: op(self.put_metric_data, other.put_metric_data),
            get_metric_data: op(self.get_metric_data, other.get_metric_data),
            put_metric_alarm: op(self.put_metric_alarm, other.put_metric_alarm),
            delete_health_check: op(self.delete_health_check, other.delete_health_check),
            delete_alarms: op(self.delete_alarms, other.delete_alarms),
        }
    }

    /// The calls made since `before` was taken.
    pub fn since(&self, before: &CallCounts) -> CallCounts {
        self.zip_with(before, usize::saturating_sub)
    }

    fn slot(&mut self, operation: Operation) -> &mut usize {
        match operation {
            Operation::ListResourceRecordSets => &mut self.list_records,
            Operation::ChangeResourceRecordSets => &mut self.change_records,
            Operation::GetChange => &mut self.get_change,
            Operation::ListHealthChecks => &mut self.list_health_checks,
            Operation::CreateHealthCheck => &mut self.create_health_check,
            Operation::UpdateHealthCheck => &mut self.update_health_check,
            Operation::ListTagsForResources | Operation::ChangeTagsForResource => {
                &mut self.health_check_tags
            }
            Operation::DescribeAlarms => &mut self.describe_alarms,
            Operation::PutMetricData => &mut self.put_metric_data,
            Operation::GetMetricData => &mut self.get_metric_data,
            Operation::PutMetricAlarm => &mut self.put_metric_alarm,
            Operation::DeleteHealthCheck => &mut self.delete_health_check,
            Operation::DeleteAlarms => &mut self.delete_alarms,
        }
    }
}

/// Counts every call, refused ones included. Clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<CallCounts>>);

impl CallCounter {
    /// The calls counted so far.
    pub fn calls(&self) -> CallCounts {
        lock(&self.0).clone()
    }
}

impl Hook for CallCounter {
    async fn before(&self, call: &Call<'_>) -> Before {
        *lock(&self.0).slot(call.operation()) += 1;
        Before::Proceed
    }
}

/// An adapter whose port calls are counted.
pub type Counting<T> = Hooked<T, CallCounter>;

impl<T> Hooked<T, CallCounter> {
    /// Counts the calls made through `inner`.
    pub fn counting(inner: T) -> Self {
        Hooked::new(inner, CallCounter::default())
    }

    /// The calls counted so far.
    pub fn calls(&self) -> CallCounts {
        self.hook().calls()
    }
}

/// An adapter whose calls are counted and can be made to fail: what the in-memory
/// fixtures wrap each model in.
pub type Instrumented<T> = Hooked<T, (CallCounter, Faults)>;

impl<T> Hooked<T, (CallCounter, Faults)> {
    /// Counts the calls made through `inner` (refused ones included) and lets faults be
    /// aimed at them.
    pub fn instrumented(inner: T) -> Self {
        Hooked::new(inner, (CallCounter::default(), Faults::default()))
    }

    /// The calls counted so far.
    pub fn calls(&self) -> CallCounts {
        self.hook().0.calls()
    }

    /// The faults aimed at this adapter's calls.
    pub fn faults(&self) -> &Faults {
        &self.hook().1
    }
}

/// One fault, aimed at an operation (and a region, for CloudWatch).
#[derive(Debug, Clone)]
struct Aimed {
    operation: Operation,
    /// `None`: any region.
    region: Option<String>,
    error: ChangeError,
    /// How many calls it hits; `None`: every call.
    remaining: Option<usize>,
    /// The call is made, then answered with the error: the answer is lost.
    lose_answer: bool,
}

/// Faults aimed at calls. Clones share the queue, so a test keeps one and hands the
/// other to the adapter. The first aimed fault that matches a call hits it.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<VecDeque<Aimed>>>);

impl Faults {
    /// Refuses the next `remaining` calls of `operation` (in `region`; `None`: any
    /// region, and every call when `remaining` is `None`) with `error`: nothing is done.
    pub fn aim(
        &self,
        operation: Operation,
        region: Option<&str>,
        error: impl Into<ChangeError>,
        remaining: Option<usize>,
    ) {
        self.push(operation, region, error.into(), remaining, false);
    }

    /// Refuses the next call of `operation`, in any region, with `error`.
    pub fn aim_once(&self, operation: Operation, error: impl Into<ChangeError>) {
        self.aim(operation, None, error, Some(1));
    }

    /// Lets the next `remaining` calls of `operation` through, then answers each with
    /// `error`: the write is committed but its caller does not know.
    pub fn lose_answer(
        &self,
        operation: Operation,
        region: Option<&str>,
        error: AwsError,
        remaining: usize,
    ) {
        self.push(operation, region, error.into(), Some(remaining), true);
    }

    /// Removes every fault still aimed.
    pub fn clear(&self) {
        lock(&self.0).clear();
    }

    fn push(
        &self,
        operation: Operation,
        region: Option<&str>,
        error: ChangeError,
        remaining: Option<usize>,
        lose_answer: bool,
    ) {
        lock(&self.0).push_back(Aimed {
            operation,
            region: region.map(str::to_owned),
            error,
            remaining,
            lose_answer,
        });
    }

    /// Takes one hit of the first fault of this kind aimed at `call`.
    fn take(&self, call: &Call<'_>, lose_answer: bool) -> Option<ChangeError> {
        let mut faults = lock(&self.0);
        let index = faults.iter().position(|f| {
            f.lose_answer == lose_answer
                && f.operation == call.operation()
                && (f.region.is_none() || f.region.as_deref() == call.region())
        })?;
        let fault = &mut faults[index];
        let error = fault.error.clone();
        if let Some(remaining) = &mut fault.remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                faults.remove(index);
            }
        }
        Some(error)
    }
}

impl Hook for Faults {
    async fn before(&self, call: &Call<'_>) -> Before {
        match self.take(call, false) {
            Some(error) => Before::Fail(error),
            None => Before::Proceed,
        }
    }

    async fn after(&self, call: &Call<'_>, mut reply: Reply<'_>) {
        // A call that failed by itself keeps its own error: only a committed write can
        // lose its answer.
        if let Some(error) = self.take(call, true)
            && reply.is_ok()
        {
            reply.fail(error);
        }
    }
}

/// A small, seedable generator (xorshift64*): the same seed gives the same sequence on
/// every machine, so a failing interleaving replays exactly.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator for `seed`; any seed, zero included, gives a non-zero state.
    pub fn new(seed: u64) -> SeededRng {
        SeededRng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Yields to the scheduler a seeded number of times (0 to `max_turns`) before and after
/// each call. Clones share the generator, so every adapter of one world draws from one
/// sequence.
#[derive(Debug, Clone)]
pub struct Interleaving {
    rng: Arc<Mutex<SeededRng>>,
    max_turns: u64,
}

impl Interleaving {
    /// Interleaving for `seed`, with at most `max_turns` yields around each call.
    pub fn new(seed: u64, max_turns: u64) -> Interleaving {
        Interleaving {
            rng: Arc::new(Mutex::new(SeededRng::new(seed))),
            max_turns,
        }
    }

    /// A number in `0..n` from the shared generator.
    pub fn below(&self, n: u64) -> u64 {
        lock(&self.rng).below(n)
    }

    /// Yields a seeded number of turns.
    pub async fn shuffle(&self) {
        let turns = self.below(self.max_turns + 1);
        for _ in 0..turns {
            tokio::task::yield_now().await;
        }
    }
}

impl Hook for Interleaving {
    async fn before(&self, _call: &Call<'_>) -> Before {
        self.shuffle().await;
        Before::Proceed
    }

    async fn after(&self, _call: &Call<'_>, _reply: Reply<'_>) {
        self.shuffle().await;
    }
}
