//! The initial workspace load, reported as work-done progress (`$/progress` begin/report/end with
//! counts) when the client can create progress tokens.

use std::path::PathBuf;
use std::time::Duration;

use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{NumberOrString, ProgressToken};

use super::worker::{Change, WorkerHandle};
use crate::workspace::Config;

/// The token of the load's progress.
pub const LOAD_TOKEN: &str = "ibid/load";

/// Loads the workspace at `root` in the worker and reports the load as progress.
pub async fn load_workspace(
    client: Client,
    worker: WorkerHandle,
    use_progress: bool,
    root: PathBuf,
    overlay: Option<Config>,
) {
    let token: ProgressToken = NumberOrString::String(LOAD_TOKEN.to_string());
    let progress = if use_progress {
        match client.create_work_done_progress(token.clone()).await {
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
    let before = worker.latest().revision;
    worker.send(Change::Load { root, overlay });
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
                    tower_lsp_server::ls_types::MessageType::ERROR,
                    format!("ibid cannot load the workspace: {error}"),
                )
                .await;
            format!("failed: {error}")
        }
        (None, None) => "no workspace".to_string(),
    };
    if let Some(progress) = progress {
        progress.report_with_message(summary.clone(), 100).await;
        progress.finish_with_message(summary).await;
    }
}
