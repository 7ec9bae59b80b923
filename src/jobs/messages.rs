//! Messages a job sends to whoever watches it (the window or the terminal).

/// Progress of a historical run.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// The run began (or resumed after `days_done` days already committed).
    Started {
        /// The run's id (3 hex digits).
        run_id: String,
        /// Days in the range.
        days_total: u32,
        /// Days already committed before this start (non-zero on resume).
        days_done: u32,
    },
    /// A day was committed (or, in a dry run, generated).
    Day(DayProgress),
    /// A line for the log.
    Log(String),
    /// Every run the database holds after the job (sent just before [`Progress::Done`], so a
    /// watcher can list them without reading the store itself).
    Runs(Vec<crate::store::RunRecord>),
    /// The run ended; see [`Outcome`].
    Done(Outcome),
}

/// Counters after a day.
#[derive(Clone, Debug, PartialEq)]
pub struct DayProgress {
    /// Days done (committed) so far.
    pub days_done: u32,
    /// Days in the range.
    pub days_total: u32,
    /// Events written by this start of the job.
    pub events: u64,
    /// Sessions written by this start of the job.
    pub sessions: u64,
    /// Seconds since this start of the job.
    pub elapsed_s: f64,
}

impl DayProgress {
    /// Events per second so far.
    pub fn events_per_sec(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.events as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// Fraction done, 0 to 1.
    pub fn fraction(&self) -> f64 {
        if self.days_total == 0 {
            1.0
        } else {
            self.days_done as f64 / self.days_total as f64
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every day is committed.
    Finished(Summary),
    /// The run was already complete in this database; nothing changed.
    AlreadyComplete(Summary),
    /// Cancelled; the committed days stay and the same request resumes.
    Cancelled(Summary),
    /// Failed with a message for the user; committed days stay.
    Failed(String),
}

/// The totals of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// The run's id.
    pub run_id: String,
    /// Days committed in total.
    pub days: u32,
    /// Events written by this start of the job (whole run when complete before).
    pub events: u64,
    /// Sessions written by this start of the job.
    pub sessions: u64,
    /// Cars turned away since the run began.
    pub turned_away: u64,
    /// Seconds this start of the job took.
    pub seconds: f64,
    /// Nothing was written.
    pub dry_run: bool,
}

impl Summary {
    /// Events per second.
    pub fn events_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.events as f64 / self.seconds
        } else {
            0.0
        }
    }
}
