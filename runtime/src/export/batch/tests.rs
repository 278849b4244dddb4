//! Tests of the batch processors: queue bounds, batches, flush and shutdown.

use super::*;

/// Keeps what it exports.
#[derive(Debug, Clone, Default)]
struct Collect(Arc<Mutex<Vec<SpanData>>>);

impl Collect {
    fn spans(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

impl SpanExporter for Collect {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

fn span() -> SpanData {
    use opentelemetry::trace::{SpanContext, SpanKind, Status};
    SpanData {
        span_context: SpanContext::empty_context(),
        parent_span_id: opentelemetry::trace::SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: "span".into(),
        start_time: std::time::SystemTime::now(),
        end_time: std::time::SystemTime::now(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: opentelemetry_sdk::trace::SpanEvents::default(),
        links: opentelemetry_sdk::trace::SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::default(),
    }
}

fn settings(delay_ms: u64, queue: usize, batch: usize) -> BatchProcessorConfig {
    let mut settings = BatchProcessorConfig::spans();
    settings.schedule_delay = Duration::from_millis(delay_ms);
    settings.max_queue_size = queue;
    settings.max_export_batch_size = batch;
    settings
}

#[test]
fn flush_exports_everything_queued_before_it() {
    let exporter = Collect::default();
    let processor =
        BatchProcessor::for_spans(exporter.clone(), settings(60_000, 100, 7), None).unwrap();
    for _ in 0..20 {
        processor.on_end(span());
    }
    processor.force_flush().unwrap();
    assert_eq!(exporter.spans(), 20);
    processor
        .shutdown_with_timeout(Duration::from_secs(5))
        .unwrap();
    assert!(matches!(
        processor.shutdown_with_timeout(Duration::from_secs(5)),
        Err(OTelSdkError::AlreadyShutdown)
    ));
}

#[test]
fn the_schedule_delay_exports_a_partial_batch() {
    let exporter = Collect::default();
    let processor =
        BatchProcessor::for_spans(exporter.clone(), settings(0, 100, 50), None).unwrap();
    processor.on_end(span());
    let started = Instant::now();
    while exporter.spans() == 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "never exported");
        std::thread::sleep(Duration::from_millis(5));
    }
    processor
        .shutdown_with_timeout(Duration::from_secs(5))
        .unwrap();
}

#[test]
fn a_full_batch_is_exported_without_waiting_for_the_delay() {
    let exporter = Collect::default();
    let processor =
        BatchProcessor::for_spans(exporter.clone(), settings(60_000, 100, 5), None).unwrap();
    for _ in 0..12 {
        processor.on_end(span());
    }
    let started = Instant::now();
    while exporter.spans() < 10 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no batch exported"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    processor
        .shutdown_with_timeout(Duration::from_secs(5))
        .unwrap();
    assert_eq!(exporter.spans(), 12);
}

#[test]
fn spans_from_many_threads_all_arrive() {
    let exporter = Collect::default();
    let processor = Arc::new(
        BatchProcessor::for_spans(exporter.clone(), settings(1, 100_000, 64), None).unwrap(),
    );
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let processor = Arc::clone(&processor);
            std::thread::spawn(move || {
                for i in 0..5_000 {
                    processor.on_end(span());
                    if i % 1000 == 0 {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    processor.force_flush().unwrap();
    assert_eq!(exporter.spans(), 20_000);
    processor
        .shutdown_with_timeout(Duration::from_secs(5))
        .unwrap();
}

/// An exporter that blocks until released, to fill the queue.
#[derive(Debug, Clone, Default)]
struct Gate(
    Arc<(Mutex<bool>, std::sync::Condvar)>,
    Arc<std::sync::atomic::AtomicUsize>,
);

impl SpanExporter for Gate {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let (open, opened) = &*self.0;
        let mut guard = open.lock().unwrap();
        while !*guard {
            guard = opened.wait(guard).unwrap();
        }
        self.1.fetch_add(batch.len(), Ordering::Relaxed);
        Ok(())
    }
}

#[test]
fn a_full_queue_drops_what_does_not_fit() {
    let gate = Gate::default();
    let processor = BatchProcessor::for_spans(gate.clone(), settings(60_000, 10, 1), None).unwrap();
    // The first span goes to the (blocked) exporter; ten more fill the queue.
    processor.on_end(span());
    let started = Instant::now();
    while !processor.shared.queue().items.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(5));
        std::thread::yield_now();
    }
    for _ in 0..50 {
        processor.on_end(span());
    }
    assert_eq!(processor.shared.queue().items.len(), 10);
    *gate.0.0.lock().unwrap() = true;
    gate.0.1.notify_all();
    processor
        .shutdown_with_timeout(Duration::from_secs(5))
        .unwrap();
    assert_eq!(gate.1.load(Ordering::Relaxed), 11);
}
