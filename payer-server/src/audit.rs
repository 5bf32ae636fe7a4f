//! The audit trail kept in the store, so that replicas over one database keep one trail
//! and it outlives the process: [`AuditStore`] (implemented by
//! [`crate::store::MemoryStore`], [`crate::store::SqliteStore`] and `PostgresStore`
//! next to the resources; checked by [`crate::audit_store_conformance_tests!`]) and
//! [`StoreAuditSink`], the [`AuditSink`] that hands each event to a writer task, off the
//! request path.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::access::{AuditAction, AuditEvent, AuditSink};
use crate::error::{Error, Result};

/// Where the audit trail is kept. Events are appended, never changed.
pub trait AuditStore: Send + Sync + 'static {
    /// Appends `events`, in order, in one transaction.
    fn append_audit(&self, events: Vec<AuditEvent>) -> impl Future<Output = Result<()>> + Send;

    /// The last `limit` events of `subject` ([`AuditEvent::subject`]; every subject's
    /// when `None`), newest first.
    fn audit_events(
        &self,
        subject: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AuditEvent>>> + Send;
}

/// How many events may wait for the writer: past it, events are dropped and counted
/// ([`StoreAuditSink::dropped`]) rather than slowing every request or growing without
/// bound while the database is away.
const QUEUE: usize = 100_000;

/// Events written per transaction at most.
const BATCH: usize = 1_000;

/// The [`AuditSink`] over an [`AuditStore`]: `record` queues the event, and a task on the
/// tokio runtime writes what is queued in batches, retrying (every second, up to every
/// 30) while the store fails, so an outage of the database delays the trail but does
/// not lose it unless the queue fills. [`StoreAuditSink::flush`] waits until what was
/// recorded before it is written (a server shutting down calls it last).
#[derive(Debug, Clone)]
pub struct StoreAuditSink {
    queue: mpsc::Sender<Queued>,
    dropped: Arc<AtomicU64>,
}

/// What the writer receives: events, and requests to say when those before are written.
#[derive(Debug)]
enum Queued {
    Event(AuditEvent),
    Flush(oneshot::Sender<()>),
}

impl StoreAuditSink {
    /// Starts the writer on the current tokio runtime (call it inside one).
    pub fn spawn<S: AuditStore>(store: S) -> StoreAuditSink {
        let (queue, mut queued) = mpsc::channel::<Queued>(QUEUE);
        tokio::spawn(async move {
            let mut received = Vec::with_capacity(BATCH);
            while queued.recv_many(&mut received, BATCH).await > 0 {
                let mut batch = Vec::with_capacity(received.len());
                let mut flushes = Vec::new();
                for item in received.drain(..) {
                    match item {
                        Queued::Event(event) => batch.push(event),
                        Queued::Flush(done) => flushes.push(done),
                    }
                }
                let mut wait = Duration::from_secs(1);
                while !batch.is_empty()
                    && let Err(e) = store.append_audit(batch.clone()).await
                {
                    eprintln!("the audit trail could not be written ({e}); retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(30));
                }
                // Everything queued before each flush request is written now.
                for done in flushes {
                    let _ = done.send(());
                }
            }
        });
        StoreAuditSink {
            queue,
            dropped: Arc::default(),
        }
    }

    /// How many events were dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// How many events wait for the writer.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Waits until every event recorded before the call is in the store. While the store
    /// fails this waits with the writer's retries: bound it with a timeout, and report
    /// [`StoreAuditSink::queued`] when it runs out.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Queued::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

impl AuditSink for StoreAuditSink {
    fn record(&self, event: AuditEvent) {
        if self.queue.try_send(Queued::Event(event)).is_err()
            && self
                .dropped
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(1_000)
        {
            eprintln!("the audit queue is full: events are being dropped");
        }
    }
}

/// The text an action is stored as.
pub(crate) fn action_name(action: AuditAction) -> &'static str {
    match action {
        AuditAction::Read => "read",
        AuditAction::Search => "search",
        AuditAction::Everything => "everything",
        AuditAction::Write => "write",
    }
}

/// The action stored as `name`.
pub(crate) fn action_named(name: &str) -> Result<AuditAction> {
    Ok(match name {
        "read" => AuditAction::Read,
        "search" => AuditAction::Search,
        "everything" => AuditAction::Everything,
        "write" => AuditAction::Write,
        other => {
            return Err(Error::Store(format!(
                "an audit event has the action {other:?}"
            )));
        }
    })
}

/// The resources of an event as stored: a JSON array of `Type/id`.
pub(crate) fn resources_text(resources: &[String]) -> String {
    serde_json::Value::from(resources.to_vec()).to_string()
}

/// The resources of an event from their stored text.
pub(crate) fn resources_from(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| Error::Store(format!("an audit event's resources: {e}")))
}

/// Runs the [`AuditStore`] conformance tests on a store:
/// `audit_store_conformance_tests!(make_store)` where `make_store()` returns a fresh,
/// empty store (an `async` block is fine).
#[macro_export]
macro_rules! audit_store_conformance_tests {
    ($make:expr) => {
        #[tokio::test]
        async fn audit_events_are_kept_in_order_and_found_by_subject() {
            $crate::audit::conformance::events_are_kept_in_order_and_found_by_subject(
                $make().await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn audit_events_recorded_through_the_sink_reach_the_store() {
            $crate::audit::conformance::events_recorded_through_the_sink_reach_the_store(
                $make().await,
            )
            .await;
        }
    };
}

#[doc(hidden)]
pub mod conformance {
    #![allow(clippy::unwrap_used, missing_docs)]

    use super::*;

    fn event(
        at_ms: i64,
        subject: Option<&str>,
        action: AuditAction,
        resources: &[&str],
    ) -> AuditEvent {
        AuditEvent {
            at_ms,
            subject: subject.map(str::to_owned),
            client_id: subject.map(|_| "app-1".to_owned()),
            action,
            resource_type: "ExplanationOfBenefit".to_owned(),
            status: if subject.is_some() { 200 } else { 401 },
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    pub async fn events_are_kept_in_order_and_found_by_subject<S: AuditStore>(store: S) {
        let first = vec![
            event(
                1,
                Some("ann"),
                AuditAction::Search,
                &["ExplanationOfBenefit/1", "Patient/p1"],
            ),
            event(2, None, AuditAction::Read, &[]),
            event(3, Some("bob"), AuditAction::Everything, &["Patient/p2"]),
        ];
        let second = vec![
            event(
                4,
                Some("ann"),
                AuditAction::Read,
                &["ExplanationOfBenefit/1"],
            ),
            event(5, Some("ann"), AuditAction::Write, &["Bundle/b1"]),
        ];
        store.append_audit(first.clone()).await.unwrap();
        store.append_audit(second.clone()).await.unwrap();
        store.append_audit(Vec::new()).await.unwrap();

        let ann = store.audit_events(Some("ann"), 10).await.unwrap();
        assert_eq!(
            ann,
            vec![second[1].clone(), second[0].clone(), first[0].clone()]
        );
        assert_eq!(
            store.audit_events(Some("ann"), 2).await.unwrap(),
            vec![second[1].clone(), second[0].clone()]
        );
        let everyone = store.audit_events(None, 100).await.unwrap();
        let mut expected: Vec<AuditEvent> = first.into_iter().chain(second).collect();
        expected.reverse();
        assert_eq!(
            everyone, expected,
            "every event, newest first, fields intact"
        );
        assert!(
            store
                .audit_events(Some("carol"), 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    pub async fn events_recorded_through_the_sink_reach_the_store<S: AuditStore + Clone>(store: S) {
        let sink = StoreAuditSink::spawn(store.clone());
        for at in 0..2_500 {
            sink.record(event(at, Some("ann"), AuditAction::Read, &["Patient/p1"]));
        }
        // The writer runs beside the requests; a flush returns once all before it is in.
        sink.flush().await;
        assert_eq!(sink.queued(), 0);
        let kept = store.audit_events(Some("ann"), 5_000).await.unwrap();
        assert_eq!(kept.len(), 2_500);
        assert_eq!(kept[0].at_ms, 2_499, "in the order recorded");
        assert_eq!(sink.dropped(), 0);
    }
}
