//! A run's budget: the limits that keep one simulation from taking a
//! machine shared by a whole class.
//!
//! Two kinds of limit live here. Model limits bound the waiting rooms a
//! pattern would otherwise let grow without end (a `block` subscriber, the
//! WebSocket relay); they are part of the model, shown in the UI and counted
//! honestly as drops in the metrics and the ledger. The run limit,
//! [`MAX_HELD`], bounds everything else a run holds (messages in flight,
//! timers, pending records): a run that reaches it stops advancing and says
//! why, instead of growing.

/// The longest a waiting room grows where the model itself sets no limit
/// (a `block` subscriber's backlog, the WebSocket relay's queue). Past it
/// the oldest waiting message is dropped as `overflow` (a subscriber) or
/// the newcomer is refused as `queue-full` (the relay).
pub const QUEUE_LIMIT: usize = 50_000;

/// The most items (scheduled actions, waiting jobs, pending records) one
/// run may hold. Measured at about 100 bytes of resident memory each (heap
/// entries, map slots, allocator slack), so roughly 25 MB a run: 256
/// sessions at their budget fit in 7 GB. A run that reaches it stops
/// advancing until the load is lowered or it is reset.
pub const MAX_HELD: usize = 250_000;

/// Actions a budgeted advance runs between two looks at the budget.
pub const CHUNK: usize = 4_096;

/// The words a viewer sees when a run reaches [`MAX_HELD`].
pub fn over_budget_text(held: usize) -> String {
    format!(
        "this run holds {held} messages, timers and records, over its budget of {MAX_HELD}: \
         it is paused. Lower the load, shorten timeouts or reset to go on."
    )
}
