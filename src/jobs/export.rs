//! Exporting the store to files on a worker thread, for the window (the command line calls
//! [`crate::store::export::export`] directly). Progress and the result arrive over a channel.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use crate::store::export::{self, ExportRequest, ExportedFile};

/// What an export job reports.
#[derive(Debug)]
pub enum ExportReport {
    /// Rows written so far into the file of this table.
    Progress(&'static str, u64),
    /// Finished: the files written, or what went wrong in words.
    Done(Result<Vec<ExportedFile>, String>),
}

/// A running export.
pub struct ExportJob {
    /// Reports, the last one being [`ExportReport::Done`].
    pub reports: Receiver<ExportReport>,
    /// Set to stop at the next row (the file being written is removed).
    pub cancel: Arc<AtomicBool>,
}

/// Starts `request` on a new thread; `notify` is called after each report (the window repaints).
pub fn spawn(request: ExportRequest, notify: impl Fn() + Send + 'static) -> ExportJob {
    let (tx, rx) = crossbeam_channel::unbounded();
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    std::thread::spawn(move || {
        let mut progress = |table: &'static str, rows: u64| {
            let _ = tx.send(ExportReport::Progress(table, rows));
            notify();
        };
        let result = export::export(&request, &stop, &mut progress).map_err(|e| e.to_string());
        let _ = tx.send(ExportReport::Done(result));
        notify();
    });
    ExportJob {
        reports: rx,
        cancel,
    }
}

/// Opens the native folder dialog on its own thread; the answer (`None`: cancelled, or no
/// dialog on this desktop) arrives on the channel.
pub fn pick_folder(
    start: Option<std::path::PathBuf>,
    notify: impl Fn() + Send + 'static,
) -> Receiver<Option<std::path::PathBuf>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let mut dialog = rfd::AsyncFileDialog::new().set_title("Choose the folder for the files");
        if let Some(dir) = start.filter(|d| d.is_dir()) {
            dialog = dialog.set_directory(dir);
        }
        let picked = pollster::block_on(dialog.pick_folder()).map(|f| f.path().to_path_buf());
        let _ = tx.send(picked);
        notify();
    });
    rx
}
