//! Lab Desk's app core, without Tauri: everything the window does, as plain types and functions.
//! src-tauri holds the window and its commands, one-line adapters over this crate; long jobs here
//! take their progress as a callback (`impl Fn(Progress)`, a `tauri::ipc::Channel` in the shell)
//! and a cancel token from [`jobs::JobRegistry`].
//!
//! - [`core`]: the connected profile (keychain secret or the local sandbox), projects, the task
//!   browser's searches (rows kept in [`rows`], the local copy in [`local_index`]), bulk actions,
//!   saved [`views`]; [`profiles`], [`keychain`], [`secret`].
//! - [`create`], [`export`], [`dashboard`], [`activity`]: the screens' jobs and figures; each job
//!   writes its own activity entry ([`activity_store`]).
//! - [`visual`]: a task's overlays and images, thumbnails in the disk cache.
//! - [`error`], [`messages`], [`client_errors`]: `AppError {kind, message, key, params, detail}`,
//!   the English of every catalogue key, the library errors mapped to them.

pub mod activity;
pub mod activity_store;
pub mod client_errors;
pub mod core;
pub mod create;
pub mod dashboard;
pub mod error;
pub mod export;
pub mod jobs;
pub mod keychain;
pub mod local_index;
pub mod local_sandbox;
pub mod messages;
pub mod model;
pub mod profiles;
pub mod progress;
pub mod rows;
pub mod secret;
pub mod store;
pub mod views;
pub mod visual;
