//! Non-UI logic of "drop files to create a batch of tasks": the pre-flight (files, folders,
//! JSON and CSV task lists → checked rows) and the SQLite job journal that runs the creation
//! resumably through lab-client's create pipeline. The desktop shell wraps these in commands.

pub mod error;
pub mod journal;
pub mod preflight;
#[cfg(test)]
mod test_support;

pub use error::{Error, Invalid, ItemNote, Missing, Refused, Result};
pub use journal::{
    Item, ItemStatus, ItemUpdate, Job, JobCounts, JobPhase, JobProgress, JobProgressSender,
    JobReport, JobState, Journal, RunOptions, run_create_job,
};
pub use preflight::{
    Check, Kind, Preflight, Row, RowSource, ScanOptions, ScanWarning, Summary, UnsupportedFile,
    check_against_batch, check_data, thumbnail,
};
