//! `lab`: the isahit lab task actions from the command line, with the SDK's vocabulary.

mod activity_cmd;
mod export_cmd;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lab_client::ops::{
    self, Compatibility, CreateOptions, DuplicatePolicy, TaskInput, TaskOutcome,
};
use lab_client::view::{self, LabViewOptions};
use lab_client::{
    BatchFilter, BulkReport, CancellationToken, ClientOptions, Credentials, DEFAULT_ENDPOINT,
    DateRange, LabClient, OutcomeStatus, Progress, ProjectFilter, PropertiesUpdate, TaskFilter,
};
use tokio::sync::mpsc;

/// isahit lab task actions: list, create, update properties, redo, review.
#[derive(Parser, Debug)]
#[command(name = "lab", version, about, long_about = None)]
struct Cli {
    /// Access id (or ISAHIT_LAB_API_ACCESS_ID).
    #[arg(long, env = "ISAHIT_LAB_API_ACCESS_ID", global = true)]
    access_id: Option<String>,
    /// Secret key (or ISAHIT_LAB_API_SECRET_KEY).
    #[arg(
        long,
        env = "ISAHIT_LAB_API_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    secret_key: Option<String>,
    /// API endpoint (or ISAHIT_LAB_API_ENDPOINT).
    #[arg(long, env = "ISAHIT_LAB_API_ENDPOINT", default_value = DEFAULT_ENDPOINT, global = true)]
    endpoint: String,
    /// No progress bar, no summary.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Fixed numbers of requests in flight (create-tasks: --concurrency, listings: 4 pages)
    /// instead of adapting them to the latency and to 429s / timeouts.
    #[arg(long, global = true)]
    fixed_concurrency: bool,
    #[command(flatten)]
    activity: activity_cmd::ActivityOpts,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List projects (JSON lines).
    Projects(ProjectsArgs),
    /// List the batches of a project (JSON lines).
    Batches(BatchesArgs),
    /// Create a batch in a project (prints it as JSON).
    CreateBatch(CreateBatchArgs),
    /// List tasks (JSON lines), with every filter of the SDK's tasks().
    Tasks(Box<TasksArgs>),
    /// Create tasks from a tasks file (SDK create_tasks format) or from images.
    CreateTasks(CreateTasksArgs),
    /// Set score and/or custom properties of tasks.
    UpdateProperties(UpdatePropertiesArgs),
    /// Send tasks back to annotation (--reset restores their initial data).
    Redo(RedoArgs),
    /// Send tasks to review.
    Review(ReviewArgs),
    /// Export tasks to lab JSON, Kili JSON, a YOLO zip or segmentation masks.
    Export(Box<export_cmd::ExportArgs>),
    /// The activity log: every change made from `lab` and the window, with each task's result.
    History(activity_cmd::HistoryArgs),
    /// Undo an entry of the activity log (property changes; creates into a new batch).
    Undo(activity_cmd::UndoArgs),
}

#[derive(Args, Debug)]
struct ProjectsArgs {
    /// Only these project ids.
    #[arg(long = "id")]
    ids: Vec<String>,
    /// Only these statuses (configuring, pending, complete, toBeDeleted, deleted, archived).
    #[arg(long = "status")]
    statuses: Vec<String>,
    /// Only these types (form, iat-rectangle, iat-polygon, iat-segmentation, iat-graph, iat-polyline).
    #[arg(long = "type")]
    types: Vec<String>,
    /// Quick search.
    #[arg(long)]
    search: Option<String>,
}

#[derive(Args, Debug)]
struct BatchesArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// Only these statuses (pending, complete, configuring).
    #[arg(long = "status")]
    statuses: Vec<String>,
    /// Quick search.
    #[arg(long)]
    search: Option<String>,
}

#[derive(Args, Debug)]
struct CreateBatchArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// Batch name.
    #[arg(long)]
    name: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CompatArg {
    /// Kili assets / Kili jsonResponse data.
    Kili,
}

#[derive(ValueEnum, Clone, Debug, PartialEq, Eq)]
enum TaskStatus {
    Pending,
    Complete,
    #[value(name = "to-review")]
    ToReview,
    Reviewed,
    Configuring,
}

impl TaskStatus {
    fn wire(&self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Complete => "complete",
            TaskStatus::ToReview => "to-review",
            TaskStatus::Reviewed => "reviewed",
            TaskStatus::Configuring => "configuring",
        }
    }
}

#[derive(ValueEnum, Clone, Debug, PartialEq, Eq)]
enum OptionalField {
    Data,
    Jobs,
    Metrics,
    #[value(name = "data.mask")]
    DataMask,
    #[value(name = "jobs.history")]
    JobsHistory,
    #[value(name = "lastAnnotator")]
    LastAnnotator,
}

impl OptionalField {
    fn wire(&self) -> &'static str {
        match self {
            OptionalField::Data => "data",
            OptionalField::Jobs => "jobs",
            OptionalField::Metrics => "metrics",
            OptionalField::DataMask => "data.mask",
            OptionalField::JobsHistory => "jobs.history",
            OptionalField::LastAnnotator => "lastAnnotator",
        }
    }
}

fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got \"{s}\"")),
    }
}

#[derive(Args, Debug)]
struct TasksArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// Only in these batches.
    #[arg(long = "batch")]
    batches: Vec<String>,
    /// Only in these statuses.
    #[arg(long = "status", value_enum)]
    statuses: Vec<TaskStatus>,
    /// Only these task ids.
    #[arg(long = "task-id")]
    task_ids: Vec<String>,
    /// Only these task names.
    #[arg(long = "name")]
    names: Vec<String>,
    /// Only names matching this regular expression.
    #[arg(long)]
    name_like: Option<String>,
    /// Data filter KEY=VALUE (repeatable).
    #[arg(long = "data", value_parser = key_value)]
    data: Vec<(String, String)>,
    /// Property filter KEY=VALUE (repeatable).
    #[arg(long = "property", value_parser = key_value)]
    properties: Vec<(String, String)>,
    /// Created after DATE ("2022-09-19 08:30:00").
    #[arg(long, value_name = "DATE")]
    created_gt: Option<String>,
    /// Created at or after DATE.
    #[arg(long, value_name = "DATE")]
    created_gte: Option<String>,
    /// Created before DATE.
    #[arg(long, value_name = "DATE")]
    created_lt: Option<String>,
    /// Created at or before DATE.
    #[arg(long, value_name = "DATE")]
    created_lte: Option<String>,
    /// Updated after DATE.
    #[arg(long, value_name = "DATE")]
    updated_gt: Option<String>,
    /// Updated at or after DATE.
    #[arg(long, value_name = "DATE")]
    updated_gte: Option<String>,
    /// Updated before DATE.
    #[arg(long, value_name = "DATE")]
    updated_lt: Option<String>,
    /// Updated at or before DATE.
    #[arg(long, value_name = "DATE")]
    updated_lte: Option<String>,
    /// Extra fields to load (default: data).
    #[arg(long = "optional-field", value_enum)]
    optional_fields: Vec<OptionalField>,
    /// Output Kili assets.
    #[arg(long, value_enum)]
    compatibility: Option<CompatArg>,
    /// Raw documents (data and metadata not merged).
    #[arg(long, conflicts_with = "compatibility")]
    raw_data: bool,
}

#[derive(Args, Debug)]
struct CreateTasksArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// Batch id.
    #[arg(long)]
    batch: String,
    /// JSON file: the list the SDK's create_tasks takes
    /// ([{name, resources, data, properties, project_configuration_overwrite}]).
    #[arg(long, value_name = "FILE.json", conflicts_with = "paths")]
    tasks: Option<PathBuf>,
    /// Images or folders of images: one task per image, named by its file name.
    #[arg(value_name = "FILE_OR_FOLDER", required_unless_present = "tasks")]
    paths: Vec<PathBuf>,
    /// Do not check the data against the project's schema.
    #[arg(long)]
    no_data_check: bool,
    /// Do not check names already in the batch: insert anyway.
    #[arg(long, conflicts_with = "skip_existing")]
    no_unicity_check: bool,
    /// Skip tasks whose name is already in the batch (instead of refusing them all).
    #[arg(long)]
    skip_existing: bool,
    /// The data is Kili jsonResponse (OBJECT_DETECTION_JOB).
    #[arg(long, value_enum)]
    compatibility: Option<CompatArg>,
    /// Most tasks created at once: the number in flight starts at 8 and adapts to the
    /// latency and to 429s / timeouts up to this (exactly this with --fixed-concurrency).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

#[derive(Args, Debug)]
struct IdsArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// Task ids (repeatable).
    #[arg(long = "task-id", required = true)]
    task_ids: Vec<String>,
}

#[derive(Args, Debug)]
struct UpdatePropertiesArgs {
    #[command(flatten)]
    ids: IdsArgs,
    /// New score (a number).
    #[arg(long)]
    score: Option<String>,
    /// Custom properties as a JSON object, e.g. '{"team": "a"}'.
    #[arg(long)]
    custom: Option<String>,
}

#[derive(Args, Debug)]
struct RedoArgs {
    #[command(flatten)]
    ids: IdsArgs,
    /// Reset the task data to its initial data.
    #[arg(long)]
    reset: bool,
}

#[derive(Args, Debug)]
struct ReviewArgs {
    #[command(flatten)]
    ids: IdsArgs,
}

fn client_from(cli: &Cli) -> Result<LabClient> {
    let access_id = cli.access_id.clone().filter(|s| !s.trim().is_empty());
    let secret_key = cli.secret_key.clone().filter(|s| !s.trim().is_empty());
    let (Some(access_id), Some(secret_key)) = (access_id, secret_key) else {
        bail!(
            "No credentials: set ISAHIT_LAB_API_ACCESS_ID and ISAHIT_LAB_API_SECRET_KEY, or pass --access-id and --secret-key"
        );
    };
    Ok(LabClient::new(
        &cli.endpoint,
        Credentials::new(access_id, secret_key),
        ClientOptions {
            adaptive: !cli.fixed_concurrency,
            ..ClientOptions::default()
        },
    )?)
}

fn print_line(out: &mut impl Write, v: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn bar(quiet: bool, message: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(message.to_string());
    pb
}

/// Forward progress events to a bar; returns the sender and the task draining it.
fn progress_bar(
    quiet: bool,
    message: &str,
) -> (mpsc::UnboundedSender<Progress>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Progress>();
    let pb = bar(quiet, message);
    let handle = tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            pb.set_length(p.total);
            pb.set_position(p.done + p.failed);
        }
        pb.finish_and_clear();
    });
    (tx, handle)
}

fn cancel_on_ctrl_c() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Cancelling: tasks already started finish, no new task starts…");
            t.cancel();
        }
    });
    token
}

async fn cmd_projects(client: &LabClient, a: ProjectsArgs) -> Result<()> {
    let f = ProjectFilter {
        ids: a.ids,
        statuses: a.statuses,
        types: a.types,
        search: a.search,
    };
    let mut out = std::io::stdout().lock();
    for p in client.projects(&f).await? {
        print_line(&mut out, &p)?;
    }
    Ok(())
}

async fn cmd_batches(client: &LabClient, a: BatchesArgs) -> Result<()> {
    let f = BatchFilter {
        statuses: a.statuses,
        search: a.search,
    };
    let mut out = std::io::stdout().lock();
    for b in client.batches(&a.project, &f).await? {
        print_line(&mut out, &b)?;
    }
    Ok(())
}

async fn cmd_create_batch(client: &LabClient, a: CreateBatchArgs, quiet: bool) -> Result<()> {
    let b = client.create_batch(&a.project, &a.name).await?;
    print_line(&mut std::io::stdout().lock(), &b)?;
    if !quiet {
        eprintln!("Created batch \"{}\" ({})", b.name, b.id);
    }
    Ok(())
}

fn task_filter(a: &TasksArgs) -> TaskFilter {
    let mut optional_fields: Vec<String> = a
        .optional_fields
        .iter()
        .map(|f| f.wire().to_string())
        .collect();
    if optional_fields.is_empty() {
        optional_fields.push("data".into()); // the SDK's default
    }
    TaskFilter {
        project_id: a.project.clone(),
        batch_ids: a.batches.clone(),
        statuses: a.statuses.iter().map(|s| s.wire().to_string()).collect(),
        task_ids: a.task_ids.clone(),
        names: a.names.clone(),
        name_like: a.name_like.clone(),
        created_at: DateRange {
            gt: a.created_gt.clone(),
            gte: a.created_gte.clone(),
            lt: a.created_lt.clone(),
            lte: a.created_lte.clone(),
        },
        updated_at: DateRange {
            gt: a.updated_gt.clone(),
            gte: a.updated_gte.clone(),
            lt: a.updated_lt.clone(),
            lte: a.updated_lte.clone(),
        },
        optional_fields,
        data: a.data.clone(),
        properties: a.properties.clone(),
    }
}

async fn cmd_tasks(client: &LabClient, a: TasksArgs, quiet: bool) -> Result<()> {
    let filter = task_filter(&a);
    enum Mode {
        Raw,
        Lab(LabViewOptions),
        Kili(view::KiliTarget),
    }
    let mode = if a.raw_data {
        Mode::Raw
    } else {
        let cfg = client.project_configuration(&a.project).await?;
        match a.compatibility {
            Some(CompatArg::Kili) => Mode::Kili(view::KiliTarget::new(&cfg)?),
            None => Mode::Lab(LabViewOptions {
                last_annotator: filter.wants_last_annotator(),
                keep_jobs: filter.wants_jobs(),
            }),
        }
    };
    let pb = bar(quiet, "Loading tasks");
    let mut pages = std::pin::pin!(client.task_pages(filter));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0u64;
    while let Some(page) = pages.next().await {
        let page = page?;
        pb.set_length(page.total);
        for t in &page.tasks {
            match &mode {
                Mode::Raw => print_line(&mut out, t)?,
                Mode::Lab(o) => print_line(&mut out, &view::lab_view(t, o))?,
                Mode::Kili(k) => print_line(&mut out, &view::kili_view_with(t, k))?,
            }
        }
        count += page.tasks.len() as u64;
        pb.set_position(page.loaded);
    }
    out.flush()?;
    pb.finish_and_clear();
    if !quiet {
        eprintln!("{count} task(s)");
    }
    Ok(())
}

async fn cmd_create_tasks(ctx: &Ctx<'_>, a: CreateTasksArgs) -> Result<()> {
    let (client, quiet) = (ctx.client, ctx.quiet);
    let tasks = match &a.tasks {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("Cannot read the tasks file {}", file.display()))?;
            TaskInput::list_from_json(&text)?
        }
        None => TaskInput::from_files(&a.paths)?,
    };
    let opts = CreateOptions {
        validate_data: !a.no_data_check,
        duplicates: if a.no_unicity_check {
            DuplicatePolicy::InsertAnyway
        } else if a.skip_existing {
            DuplicatePolicy::SkipExisting
        } else {
            DuplicatePolicy::Refuse
        },
        compatibility: match a.compatibility {
            Some(CompatArg::Kili) => Compatibility::Kili,
            None => Compatibility::Lab,
        },
        concurrency: usize::from(a.concurrency),
    };
    // The batch's name is not looked up: `lab` makes the SDK's requests and no other change-side
    // call (the log shows the batch id).
    let record = lab_activity::CreateRecord::begin(
        &ctx.store,
        &ctx.actor,
        &a.project,
        None,
        &a.batch,
        "",
        false,
        None,
        tasks.len() as u64,
    )?;
    let (tx, drain) = progress_bar(quiet, "Creating tasks");
    let cancel = cancel_on_ctrl_c();
    let result =
        ops::create_tasks(client, &a.project, &a.batch, tasks, opts, Some(tx), cancel).await;
    let _ = drain.await;
    let entry = match &result {
        Ok(report) => record.finish(report)?,
        Err(e) => record.fail(&[], &e.to_string())?,
    };
    if !quiet {
        eprintln!("Recorded as activity #{entry} (lab history {entry})");
    }
    let report = result.map_err(|e| {
        let msg = e.to_string();
        if msg.contains("already exist in the batch") {
            anyhow!("{msg} (lab: add --skip-existing to create only the new ones, or --no-unicity-check to insert anyway)")
        } else {
            anyhow!(e)
        }
    })?;
    print_outcomes(&report.outcomes)?;
    if !quiet {
        eprintln!(
            "Created {} task(s), skipped {} existing, {} failed{}",
            report.created,
            report.skipped,
            report.failed,
            if report.cancelled {
                ", cancelled before the rest"
            } else {
                ""
            }
        );
    }
    if report.failed > 0 {
        bail!("{} task(s) could not be created", report.failed);
    }
    if report.cancelled {
        bail!("Cancelled");
    }
    Ok(())
}

/// Prints each outcome as a JSON line on stdout and each failure with its reason on stderr.
fn print_outcomes(outcomes: &[TaskOutcome]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for o in outcomes {
        print_line(&mut out, o)?;
    }
    for o in outcomes
        .iter()
        .filter(|o| o.status == OutcomeStatus::Failed)
    {
        let msg = o.error.as_ref().map(|e| e.message.as_str()).unwrap_or("");
        eprintln!("failed: {}: {msg}", o.task);
    }
    Ok(())
}

fn finish_bulk(report: &BulkReport, verb: &str, quiet: bool) -> Result<()> {
    print_outcomes(&report.outcomes)?;
    if !quiet {
        eprintln!(
            "{verb} {} task(s), {} failed{}",
            report.succeeded,
            report.failed,
            if report.cancelled { ", cancelled" } else { "" }
        );
    }
    if report.failed > 0 {
        bail!("{} task(s) failed", report.failed);
    }
    if report.cancelled {
        bail!("Cancelled");
    }
    Ok(())
}

async fn cmd_update_properties(ctx: &Ctx<'_>, a: UpdatePropertiesArgs) -> Result<()> {
    let mut props = serde_json::Map::new();
    if let Some(s) = &a.score {
        let n: serde_json::Number = s
            .trim()
            .parse()
            .map_err(|_| anyhow!("--score must be a number, got \"{s}\""))?;
        props.insert("score".into(), serde_json::Value::Number(n));
    }
    if let Some(c) = &a.custom {
        let v: serde_json::Value = serde_json::from_str(c).map_err(|e| {
            anyhow!("--custom must be a JSON object ({e}), e.g. '{{\"team\": \"a\"}}'")
        })?;
        props.insert("custom".into(), v);
    }
    if props.is_empty() {
        bail!("Nothing to update: give --score and/or --custom");
    }
    let update = PropertiesUpdate::from_json(&serde_json::Value::Object(props))?;
    recorded_bulk(
        ctx,
        a.ids,
        lab_activity::BulkChange::Properties(update),
        "Updating properties",
        "Updated",
    )
    .await
}

/// What a recorded change needs: the lab, the log, who.
struct Ctx<'a> {
    client: &'a LabClient,
    store: lab_activity::ActivityStore,
    actor: lab_activity::Actor,
    quiet: bool,
}

async fn recorded_bulk(
    ctx: &Ctx<'_>,
    ids: IdsArgs,
    change: lab_activity::BulkChange,
    doing: &str,
    verb: &str,
) -> Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<lab_activity::ActivityProgress>();
    let pb = bar(ctx.quiet, doing);
    let doing = doing.to_string();
    let drain = tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            pb.set_message(match p.phase {
                lab_activity::Phase::Reading => "Reading the values before".to_string(),
                lab_activity::Phase::Changing => doing.clone(),
            });
            pb.set_length(p.total);
            pb.set_position(p.done + p.failed);
        }
        pb.finish_and_clear();
    });
    let count = ids.task_ids.len() as u64;
    let r = lab_activity::run_bulk(
        lab_activity::BulkRun {
            client: ctx.client,
            store: &ctx.store,
            actor: &ctx.actor,
            project_id: &ids.project,
            project_name: None,
            target: lab_activity::Target::Selection { count },
        },
        ids.task_ids,
        change,
        Some(tx),
        cancel_on_ctrl_c(),
    )
    .await;
    let _ = drain.await;
    let rec = r?;
    if !ctx.quiet {
        eprintln!(
            "Recorded as activity #{} (lab history {})",
            rec.entry_id, rec.entry_id
        );
    }
    finish_bulk(&rec.report, verb, ctx.quiet)
}

async fn cmd_redo(ctx: &Ctx<'_>, a: RedoArgs) -> Result<()> {
    recorded_bulk(
        ctx,
        a.ids,
        lab_activity::BulkChange::Redo { reset: a.reset },
        "Sending tasks to redo",
        "Sent to redo",
    )
    .await
}

async fn cmd_review(ctx: &Ctx<'_>, a: ReviewArgs) -> Result<()> {
    recorded_bulk(
        ctx,
        a.ids,
        lab_activity::BulkChange::Review,
        "Sending tasks to review",
        "Sent to review",
    )
    .await
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::History(a) = cli.command {
        let access_id = cli.access_id.as_deref().filter(|s| !s.trim().is_empty());
        return activity_cmd::history(a, &cli.activity, access_id);
    }
    let client = client_from(&cli)?;
    let quiet = cli.quiet;
    let recorded = matches!(
        cli.command,
        Command::CreateTasks(_)
            | Command::UpdateProperties(_)
            | Command::Redo(_)
            | Command::Review(_)
            | Command::Export(_)
            | Command::Undo(_)
    );
    let ctx = if recorded {
        Some(Ctx {
            client: &client,
            store: cli.activity.open()?,
            actor: activity_cmd::actor(
                cli.access_id.as_deref().unwrap_or_default().trim(),
                &cli.endpoint,
            ),
            quiet,
        })
    } else {
        None
    };
    let ctx = || ctx.as_ref().expect("a recorded command has its log");
    match cli.command {
        Command::Projects(a) => cmd_projects(&client, a).await,
        Command::Batches(a) => cmd_batches(&client, a).await,
        Command::CreateBatch(a) => cmd_create_batch(&client, a, quiet).await,
        Command::Tasks(a) => cmd_tasks(&client, *a, quiet).await,
        Command::CreateTasks(a) => cmd_create_tasks(ctx(), a).await,
        Command::UpdateProperties(a) => cmd_update_properties(ctx(), a).await,
        Command::Redo(a) => cmd_redo(ctx(), a).await,
        Command::Review(a) => cmd_review(ctx(), a).await,
        Command::Export(a) => {
            let c = ctx();
            export_cmd::run(&client, *a, quiet, &c.store, &c.actor).await
        }
        Command::Undo(a) => {
            let c = ctx();
            activity_cmd::undo(&client, a, &c.store, &c.actor, quiet).await
        }
        Command::History(_) => unreachable!("handled above"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // Diagnostics on stderr only when asked (RUST_LOG=debug…); secrets are never logged.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tasks_flags_map_to_filter() {
        let cli = Cli::try_parse_from([
            "lab",
            "tasks",
            "--project",
            "p",
            "--batch",
            "b1",
            "--status",
            "to-review",
            "--data",
            "comment=urgent matter",
            "--created-gte",
            "2022-01-01 00:00:00",
        ])
        .unwrap();
        let Command::Tasks(a) = cli.command else {
            panic!("not tasks")
        };
        let f = task_filter(&a);
        assert_eq!(f.statuses, ["to-review"]);
        assert_eq!(f.optional_fields, ["data"]);
        assert_eq!(
            f.data,
            [("comment".to_string(), "urgent matter".to_string())]
        );
        assert_eq!(f.created_at.gte.as_deref(), Some("2022-01-01 00:00:00"));
    }

    #[test]
    fn create_tasks_needs_a_source() {
        assert!(
            Cli::try_parse_from(["lab", "create-tasks", "--project", "p", "--batch", "b"]).is_err()
        );
        assert!(
            Cli::try_parse_from([
                "lab",
                "create-tasks",
                "--project",
                "p",
                "--batch",
                "b",
                "--no-unicity-check",
                "--skip-existing",
                "x.png"
            ])
            .is_err()
        );
        assert!(key_value("novalue").is_err());
    }
}
