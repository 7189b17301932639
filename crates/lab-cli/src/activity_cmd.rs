//! The activity log from the command line: every change `lab` makes is recorded in the same
//! store as the window's (`lab history`), and property changes and creates into a new batch
//! can be undone (`lab undo ENTRY`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use lab_activity::{
    ActivityStore, Actor, Change, ConflictReason, Entry, EntryKind, EntryState, Query,
    ResultStatus, Source, Target, UndoPlan, UndoRun, Undoability,
};
use lab_client::{CancellationToken, LabClient};
use serde_json::Value;

/// Where the log is (shared by every command).
#[derive(Args, Debug, Clone)]
pub struct ActivityOpts {
    /// The activity log (default: the Lab Desk window's, in the user's data folder).
    #[arg(long, env = "LABDESK_ACTIVITY_DB", value_name = "FILE", global = true)]
    pub activity_db: Option<PathBuf>,
}

impl ActivityOpts {
    /// The store; an error says which file and what to do.
    pub fn open(&self) -> Result<ActivityStore> {
        let path = match &self.activity_db {
            Some(p) => p.clone(),
            None => lab_activity::default_path().context(
                "No data folder for the activity log on this machine: pass --activity-db FILE (or LABDESK_ACTIVITY_DB)",
            )?,
        };
        let store = ActivityStore::open(&path)?;
        if let Some(n) = store.notice() {
            eprintln!("warning: {n}");
        }
        Ok(store)
    }
}

/// `lab` as the author of an entry.
pub fn actor(access_id: &str, endpoint: &str) -> Actor {
    Actor {
        profile: "lab".into(),
        access_id: access_id.into(),
        endpoint: endpoint.into(),
        source: Source::Cli,
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    Create,
    Properties,
    Restore,
    Redo,
    Review,
    Export,
    #[value(name = "delete-batch")]
    DeleteBatch,
}

impl From<KindArg> for EntryKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Create => EntryKind::Create,
            KindArg::Properties => EntryKind::Properties,
            KindArg::Restore => EntryKind::Restore,
            KindArg::Redo => EntryKind::Redo,
            KindArg::Review => EntryKind::Review,
            KindArg::Export => EntryKind::Export,
            KindArg::DeleteBatch => EntryKind::DeleteBatch,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateArg {
    Running,
    Done,
    Cancelled,
    Failed,
    Interrupted,
}

impl From<StateArg> for EntryState {
    fn from(s: StateArg) -> Self {
        match s {
            StateArg::Running => EntryState::Running,
            StateArg::Done => EntryState::Done,
            StateArg::Cancelled => EntryState::Cancelled,
            StateArg::Failed => EntryState::Failed,
            StateArg::Interrupted => EntryState::Interrupted,
        }
    }
}

/// `lab history [ENTRY]`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Show this entry with each task's result (without it: list the entries, newest first).
    pub entry: Option<i64>,
    /// Only this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only these kinds (repeatable).
    #[arg(long = "kind", value_enum)]
    pub kinds: Vec<KindArg>,
    /// Only these states (repeatable).
    #[arg(long = "state", value_enum)]
    pub states: Vec<StateArg>,
    /// Words in the project, batch, file, message, or a task's id or name.
    #[arg(long)]
    pub search: Option<String>,
    /// Started on or after (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Every account's entries (default: only the access id given, when one is).
    #[arg(long)]
    pub all_accounts: bool,
    /// At most this many entries.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// JSON lines instead of a table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// The entry's task lines as CSV (with ENTRY).
    #[arg(long, requires = "entry")]
    pub csv: bool,
}

/// `lab undo ENTRY`.
#[derive(Args, Debug)]
pub struct UndoArgs {
    /// The entry to undo (see `lab history`).
    pub entry: i64,
    /// Undo without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Only show what the undo would do.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Restore this task too although it changed since (repeatable; see the conflicts).
    #[arg(long = "include", value_name = "TASK_ID")]
    pub include: Vec<String>,
}

fn what(e: &Entry) -> String {
    match &e.change {
        Change::Properties { score, custom } => {
            let mut parts = Vec::new();
            if let Some(s) = score {
                parts.push(format!("score={s}"));
            }
            if let Some(c) = custom {
                parts.push(format!("custom={}", Value::Object(c.clone())));
            }
            format!("set {}", parts.join(" "))
        }
        Change::Restore { of } => format!("undo of #{of}"),
        Change::Redo { reset: true } => "sent to redo (data reset)".into(),
        Change::Redo { reset: false } => "sent to redo".into(),
        Change::Review => "sent to review".into(),
        Change::Create {
            batch_id,
            batch_name,
            new_batch,
            ..
        } => format!(
            "created in {}batch \"{}\"",
            if *new_batch { "new " } else { "" },
            if batch_name.is_empty() {
                batch_id
            } else {
                batch_name
            }
        ),
        Change::Export { format, path } => format!("exported ({format}) to {path}"),
        Change::DeleteBatch { batch_name, of, .. } => {
            format!("deleted batch \"{batch_name}\" (undo of #{of})")
        }
    }
}

fn undo_text(e: &Entry) -> String {
    match &e.undo {
        Undoability::Undoable => "undoable".into(),
        Undoability::Undone { by } => format!("undone by #{by}"),
        Undoability::No { .. } => "-".into(),
    }
}

pub fn history(a: HistoryArgs, opts: &ActivityOpts, access_id: Option<&str>) -> Result<()> {
    let store = opts.open()?;
    let mut out = std::io::stdout().lock();
    if let Some(id) = a.entry {
        let e = store.entry(id)?;
        if a.csv {
            store.write_csv(id, &mut out)?;
            return Ok(());
        }
        let lines = store.all_results(id)?;
        if a.json {
            serde_json::to_writer(&mut out, &e)?;
            writeln!(out)?;
            for l in &lines {
                serde_json::to_writer(&mut out, l)?;
                writeln!(out)?;
            }
            return Ok(());
        }
        writeln!(out, "#{}  {}  {}", e.id, e.kind.as_str(), what(&e))?;
        match &e.project_name {
            Some(name) => writeln!(out, "  project {name} ({})", e.project_id)?,
            None => writeln!(out, "  project {}", e.project_id)?,
        }
        writeln!(
            out,
            "  by {} ({}, access id {}) at {}",
            e.actor.profile,
            match e.actor.source {
                Source::Window => "window",
                Source::Cli => "command line",
            },
            e.actor.access_id,
            e.started_at
        )?;
        let target = match &e.target {
            Target::Selection { count } => format!("{count} task(s) picked"),
            Target::Filter { .. } => "the tasks matching a filter".into(),
            Target::Files { count } => format!("{count} task(s) to create"),
            Target::Entry { entry } => format!("the tasks of #{entry}"),
        };
        writeln!(out, "  on {target}")?;
        writeln!(
            out,
            "  {}: {} done, {} failed, {} skipped of {}{}",
            e.state.as_str(),
            e.succeeded,
            e.failed,
            e.skipped,
            e.total,
            e.message
                .as_deref()
                .map(|m| format!(" — {m}"))
                .unwrap_or_default()
        )?;
        match &e.undo {
            Undoability::Undoable => writeln!(out, "  can be undone: lab undo {}", e.id)?,
            Undoability::Undone { by } => writeln!(out, "  undone by #{by}")?,
            Undoability::No { reason } => writeln!(out, "  cannot be undone: {reason}")?,
        }
        for l in &lines {
            let vals = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
            writeln!(
                out,
                "  {:<9} {} {}  {} -> {}{}",
                l.status.as_str(),
                l.task_id,
                l.task_name.as_deref().unwrap_or(""),
                vals(&l.before),
                vals(&l.after),
                l.message
                    .as_deref()
                    .map(|m| format!("  ({m})"))
                    .unwrap_or_default()
            )?;
        }
        return Ok(());
    }
    let q = Query {
        access_id: if a.all_accounts {
            None
        } else {
            access_id.map(String::from)
        },
        project_id: a.project,
        kinds: a.kinds.into_iter().map(Into::into).collect(),
        states: a.states.into_iter().map(Into::into).collect(),
        text: a.search,
        since: a.since,
        until: None,
        before_id: None,
        limit: Some(a.limit),
    };
    let entries = store.list(&q)?;
    if a.json {
        for e in &entries {
            serde_json::to_writer(&mut out, e)?;
            writeln!(out)?;
        }
        return Ok(());
    }
    if entries.is_empty() {
        eprintln!(
            "No activity on record{}",
            if q.access_id.is_some() {
                " for this access id (--all-accounts: every account's)"
            } else {
                ""
            }
        );
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:<20}  {:<11}  {:<20}  {:>12}  {:<11}  {:<12}  WHAT",
        "ENTRY", "STARTED (UTC)", "KIND", "PROJECT", "DONE/FAILED", "STATE", "UNDO"
    )?;
    for e in &entries {
        let started: String = e.started_at.replace('T', " ").chars().take(19).collect();
        let project: String = e
            .project_name
            .clone()
            .unwrap_or_else(|| e.project_id.clone())
            .chars()
            .take(20)
            .collect();
        writeln!(
            out,
            "{:>5}  {:<20}  {:<11}  {:<20}  {:>12}  {:<11}  {:<12}  {}",
            format!("#{}", e.id),
            started,
            e.kind.as_str(),
            project,
            format!("{}/{}", e.succeeded, e.failed),
            e.state.as_str(),
            undo_text(e),
            what(e)
        )?;
    }
    Ok(())
}

fn print_plan(e: &Entry, plan: &UndoPlan) {
    eprintln!(
        "#{}  {}  ({})",
        e.id,
        what(e),
        e.project_name.as_deref().unwrap_or(&e.project_id)
    );
    if let Some(b) = &plan.batch {
        eprintln!(
            "Undo deletes batch \"{}\" ({}) and the {} task(s) it has now ({} created by #{}).",
            b.batch_name, b.batch_id, b.now_in_batch, b.created, e.id
        );
        return;
    }
    eprintln!("Ready to restore: {} task(s)", plan.ready);
    if plan.not_changed > 0 {
        eprintln!(
            "Not changed by #{} (failed or not sent): {}",
            e.id, plan.not_changed
        );
    }
    if !plan.conflicts.is_empty() {
        eprintln!(
            "Changed since #{} (left alone unless chosen with --include TASK_ID): {}",
            e.id,
            plan.conflicts.len()
        );
        let vals = |v: &Option<Value>| {
            v.as_ref()
                .map(Value::to_string)
                .unwrap_or_else(|| "-".into())
        };
        for c in &plan.conflicts {
            match c.reason {
                ConflictReason::Gone => eprintln!(
                    "  {} {}: no longer in the project",
                    c.task_id,
                    c.task_name.as_deref().unwrap_or("")
                ),
                ConflictReason::Changed => eprintln!(
                    "  {} {}: now {} (#{} wrote {}, was {})",
                    c.task_id,
                    c.task_name.as_deref().unwrap_or(""),
                    vals(&c.current),
                    e.id,
                    vals(&c.recorded),
                    vals(&c.before)
                ),
            }
        }
    }
}

fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "{question} Add --yes to undo without being asked (or --dry-run to only see the plan)"
        );
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

pub async fn undo(
    client: &LabClient,
    a: UndoArgs,
    store: &ActivityStore,
    actor: &Actor,
    quiet: bool,
) -> Result<()> {
    let e = store.entry(a.entry)?;
    let plan = lab_activity::plan_undo(client, store, &actor.access_id, a.entry).await?;
    print_plan(&e, &plan);
    if a.dry_run {
        return Ok(());
    }
    let count = plan.ready + a.include.len() as u64;
    if count == 0 && plan.batch.is_none() {
        bail!(
            "Nothing to restore: every task changed since #{}; choose the ones to restore anyway with --include TASK_ID",
            a.entry
        );
    }
    if !a.yes {
        let q = match &plan.batch {
            Some(b) => format!(
                "Delete batch \"{}\" and its {} task(s)?",
                b.batch_name, b.now_in_batch
            ),
            None => format!("Restore {count} task(s)?"),
        };
        if !confirm(&q)? {
            bail!("Not undone");
        }
    }
    let rec = lab_activity::undo(
        UndoRun {
            client,
            store,
            actor,
        },
        a.entry,
        &a.include,
        None,
        CancellationToken::new(),
    )
    .await?;
    let new = store.entry(rec.entry_id)?;
    if !quiet {
        match new.kind {
            EntryKind::DeleteBatch => eprintln!(
                "Deleted the batch and its {} task(s); recorded as activity #{}",
                new.succeeded, new.id
            ),
            _ => eprintln!(
                "Restored {} task(s), {} failed, {} left alone (changed since); recorded as activity #{} (lab undo {} puts the change back)",
                new.succeeded, new.failed, new.skipped, new.id, new.id
            ),
        }
    }
    let failed = store
        .all_results(rec.entry_id)?
        .into_iter()
        .filter(|l| l.status == ResultStatus::Failed)
        .count();
    if failed > 0 {
        bail!(
            "{failed} task(s) could not be restored (lab history {})",
            new.id
        );
    }
    Ok(())
}
