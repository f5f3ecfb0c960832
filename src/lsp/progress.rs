//! The initial workspace load, reported as work-done progress (`$/progress` begin, a report per
//! stage and per percent with counts such as "checking notes 12/40", end with a summary) when the
//! client can create progress tokens.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{MessageType, NumberOrString, ProgressToken};

use super::worker::{Change, WorkerHandle};
use crate::analysis::{LoadProgress, LoadStage};

/// The token of the load's progress.
pub const LOAD_TOKEN: &str = "ibid/load";

/// Where a load is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadEvent {
    pub stage: LoadStage,
    pub done: usize,
    pub total: usize,
}

impl LoadEvent {
    /// Overall percentage: sources 0–40, terms 40–60, notes 60–100.
    pub fn percentage(&self) -> u32 {
        let (start, width) = match self.stage {
            LoadStage::ReadingSources => (0, 40),
            LoadStage::MiningTerms => (40, 20),
            LoadStage::CheckingNotes => (60, 40),
        };
        let fraction = if self.total == 0 {
            1.0
        } else {
            self.done.min(self.total) as f64 / self.total as f64
        };
        start + (fraction * f64::from(width)) as u32
    }

    pub fn message(&self) -> String {
        format!("{} {}/{}", self.stage.describe(), self.done, self.total)
    }
}

/// Forwards the analysis's load progress to an async reporter; sends at most one event per
/// percent so that big workspaces do not flood the client.
pub struct ChannelProgress {
    events: mpsc::UnboundedSender<LoadEvent>,
    state: Mutex<ProgressState>,
}

#[derive(Default)]
struct ProgressState {
    current: Option<LoadEvent>,
    /// The percentage last sent.
    sent: Option<u32>,
}

impl ChannelProgress {
    pub fn new(events: mpsc::UnboundedSender<LoadEvent>) -> Self {
        ChannelProgress {
            events,
            state: Mutex::new(ProgressState::default()),
        }
    }

    /// Applies `change` to the current event; sends it when forced or when the percentage moved.
    fn update(&self, change: impl FnOnce(Option<LoadEvent>) -> Option<LoadEvent>, force: bool) {
        let mut state = crate::lock(&self.state);
        let Some(event) = change(state.current) else {
            return;
        };
        state.current = Some(event);
        let percentage = event.percentage();
        if force || state.sent != Some(percentage) {
            state.sent = Some(percentage);
            let _ = self.events.send(event);
        }
    }
}

impl LoadProgress for ChannelProgress {
    fn stage(&self, stage: LoadStage, total: usize) {
        self.update(
            |_| {
                Some(LoadEvent {
                    stage,
                    done: 0,
                    total,
                })
            },
            true,
        );
    }

    fn advance(&self, n: usize) {
        self.update(
            |event| {
                event.map(|mut event| {
                    event.done += n;
                    event
                })
            },
            false,
        );
    }
}

/// Loads the configured workspace at `root` in the worker and reports the load as progress.
pub async fn load_workspace(
    client: Client,
    worker: WorkerHandle,
    use_progress: bool,
    root: PathBuf,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    // The load starts before the progress token is asked for: the client's answer to that request
    // can be stuck behind a burst of requests that themselves wait for the load (tower-lsp stops
    // reading input while its handlers are all busy), so waiting for it first stalled every
    // request for `CATCH_UP_TIMEOUT`. Load events wait in the channel until the token is known.
    let before = worker.latest().revision;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let reporter: Option<Arc<dyn LoadProgress + Send>> = use_progress
        .then(|| Arc::new(ChannelProgress::new(events_tx)) as Arc<dyn LoadProgress + Send>);
    worker.send(Change::Load { progress: reporter });
    let token: ProgressToken = NumberOrString::String(LOAD_TOKEN.to_string());
    let progress = if use_progress {
        let created = super::server::until_shutdown(
            shutdown,
            client.create_work_done_progress(token.clone()),
        )
        .await;
        match created.unwrap_or_else(|| Err(tower_lsp_server::jsonrpc::Error::request_cancelled()))
        {
            Ok(()) => Some(
                client
                    .progress(token, "ibid")
                    .with_message(format!("loading {}", root.display()))
                    .with_percentage(0)
                    .begin()
                    .await,
            ),
            Err(error) => {
                tracing::warn!(%error, "the client refused a progress token");
                None
            }
        }
    } else {
        None
    };
    // Ends when the worker drops the reporter, after the load.
    while let Some(event) = events.recv().await {
        if let Some(progress) = &progress {
            progress
                .report_with_message(event.message(), event.percentage())
                .await;
        }
    }
    // Loading a big corpus takes a while; the wait ends when the worker has tried.
    let snapshot = worker
        .wait_for(Duration::from_secs(24 * 3600), |s| {
            s.revision > before && s.loaded
        })
        .await;
    let summary = match (&snapshot.analysis, &snapshot.load_error) {
        (Some(analysis), _) => format!(
            "{} notes, {} sources, {} workspace problems",
            analysis.notes().count(),
            analysis.corpus().sources.len(),
            analysis.workspace_problems().len()
        ),
        (None, Some(error)) => {
            client
                .show_message(
                    MessageType::ERROR,
                    format!("ibid cannot load the workspace: {error}"),
                )
                .await;
            format!("failed: {error}")
        }
        (None, None) => "no workspace".to_string(),
    };
    if let Some(progress) = progress {
        progress.finish_with_message(summary).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_stages_and_each_percent_once() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let progress = ChannelProgress::new(tx);
        progress.stage(LoadStage::ReadingSources, 4);
        for _ in 0..4 {
            progress.advance(1);
        }
        progress.stage(LoadStage::CheckingNotes, 1000);
        for _ in 0..1000 {
            progress.advance(1);
        }
        let mut events = Vec::new();
        while let Ok(event) = rx.try_recv() {
            events.push(event);
        }
        assert_eq!(events[0].message(), "reading sources 0/4");
        assert_eq!(events[4].percentage(), 40);
        let notes: Vec<&LoadEvent> = events
            .iter()
            .filter(|e| e.stage == LoadStage::CheckingNotes)
            .collect();
        // One event at the stage's start, then one per percent (60..=100).
        assert_eq!(notes.len(), 41);
        assert_eq!(
            notes.last().map(|e| e.message()),
            Some("checking notes 1000/1000".into())
        );
    }
}
