// "Create tasks": drop / pick files or load a task list → pre-flight table (checks, renames,
// skips, target batch, duplicate policy) → journaled upload with progress, pause, cancel,
// per-task outcomes and "retry failed only".
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { IMAGE_EXTENSIONS } from "../bindings/imageExtensions";
import type { AppError } from "../bindings/AppError";
import type { RowView } from "../bindings/RowView";
import { ErrorBanner } from "../components/ui";
import { errorText, formatBytes, formatDuration, useT, type MessageKey } from "../i18n";
import { api, newJobId, toAppError } from "../ipc";
import {
  createApi,
  onFileDrop,
  type DuplicatePolicy,
  type JobInfo,
  type JobProgress,
  type PreflightView,
  type RunResult,
  type StartRequest,
} from "../ipc/create";
import { dialogs } from "../ipc/dialogs";
import {
  checkMessage,
  cleanPaths,
  createBlocker,
  filterRows,
  initialJobView,
  initialPreflight,
  jobReducer,
  preflightReducer,
  progressFigures,
  rowState,
  leftOutAtStart,
  splitPath,
  startLabel,
  targetNeedsCheck,
  type LeftOut,
  thumbsToFetch,
  worthNotifying,
  type RowFilter,
  type Target,
} from "../lib/create";
import { visibleRange } from "../lib/virtual";

const ROW_HEIGHT = 56;
/** The pre-flight table's columns: cell class and header text. */
const GRID_COLUMNS: readonly (readonly [string, MessageKey])[] = [
  ["c-thumb", "create.col.preview"],
  ["c-name", "create.col.name"],
  ["c-file", "create.col.file"],
  ["c-size", "create.col.size"],
  ["c-checks", "create.col.problems"],
  ["c-skip", "create.col.skip"],
];

export interface CreateProps {
  projectId: string;
  projectName: string;
  /** Open on the upload view of this job (resume after a restart). */
  resumeJobId?: string;
  onBack: () => void;
  onOpenTasks: (batchId: string) => void;
}

export function CreateScreen(props: CreateProps) {
  const [job, setJob] = useState<{ request: StartRequest | null; jobId: string | null; leftOut: LeftOut | null } | null>(
    props.resumeJobId ? { request: null, jobId: props.resumeJobId, leftOut: null } : null,
  );
  const [round, setRound] = useState(0);
  if (job) {
    return (
      <UploadPanel
        key={`${job.jobId ?? ""}:${round}`}
        request={job.request}
        jobId={job.jobId}
        leftOut={job.leftOut}
        projectName={props.projectName}
        onOpenTasks={props.onOpenTasks}
        onMore={() => {
          setJob(null);
          setRound((r) => r + 1);
        }}
        onBack={props.onBack}
      />
    );
  }
  return <PreflightPanel key={round} {...props} onStart={(request, leftOut) => setJob({ request, jobId: null, leftOut })} />;
}

// ---------------------------------------------------------------- pre-flight

function PreflightPanel({
  projectId,
  projectName,
  onBack,
  onStart,
}: CreateProps & { onStart: (r: StartRequest, leftOut: LeftOut) => void }) {
  const t = useT();
  const session = useMemo(() => newJobId(), []);
  const [state, dispatch] = useReducer(preflightReducer, undefined, initialPreflight);
  const { view, busy, error, dragOver, batches, target, policy, filter, thumbs, scroll } = state;
  const inFlight = useRef(new Set<number>());
  const gridRef = useRef<HTMLDivElement>(null);
  // the latest table, read by the async steps (a scan then a check) between renders
  const viewRef = useRef<PreflightView | null>(null);
  useEffect(() => {
    viewRef.current = view;
  }, [view]);

  useEffect(() => {
    api.listBatches(projectId).then(
      (b) => dispatch({ type: "batches", batches: b }),
      (e: unknown) => dispatch({ type: "failed", error: toAppError(e) }),
    );
  }, [projectId]);

  // The table is forgotten when the screen closes, unless it was handed to the upload view.
  const handedOver = useRef(false);
  useEffect(
    () => () => {
      if (!handedOver.current) void createApi.close(session).catch(() => undefined);
    },
    [session],
  );

  const batchIdOf = (tg: Target) => (tg.kind === "existing" ? tg.batchId || null : null);

  const check = useCallback(
    async (tg: Target) => {
      if (!viewRef.current || viewRef.current.rows.length === 0) return;
      if (tg.kind === "existing" && !tg.batchId) return;
      dispatch({ type: "busy", busy: "check" });
      try {
        dispatch({ type: "view", view: await createApi.check(session, projectId, batchIdOf(tg)) });
      } catch (e) {
        dispatch({ type: "failed", error: toAppError(e) });
      } finally {
        dispatch({ type: "idle" });
      }
    },
    [session, projectId],
  );

  const targetRef = useRef(target);
  useEffect(() => {
    targetRef.current = target;
  }, [target]);

  const add = useCallback(
    async (load: (append: boolean) => Promise<PreflightView>) => {
      dispatch({ type: "busy", busy: "scan" });
      try {
        const append = (viewRef.current?.rows.length ?? 0) > 0;
        const v = await load(append);
        dispatch({ type: "view", view: v });
        viewRef.current = v;
        dispatch({ type: "idle" });
        await check(targetRef.current);
      } catch (e) {
        dispatch({ type: "failed", error: toAppError(e) });
        dispatch({ type: "idle" });
      }
    },
    [check],
  );

  const addPaths = useCallback(
    (paths: string[]) => {
      const clean = cleanPaths(paths);
      if (clean.length === 0) return;
      void add((append) => createApi.scan(session, clean, append));
    },
    [add, session],
  );

  // Files dragged over the window.
  useEffect(() => {
    let stop: (() => void) | null = null;
    let live = true;
    onFileDrop((e) => {
      if (e.type === "enter" || e.type === "over") dispatch({ type: "dragOver", over: true });
      else if (e.type === "leave") dispatch({ type: "dragOver", over: false });
      else {
        dispatch({ type: "dragOver", over: false });
        addPaths(e.paths);
      }
    }).then(
      (s) => (live ? (stop = s) : s()),
      (e: unknown) => dispatch({ type: "failed", error: toAppError(e) }),
    );
    return () => {
      live = false;
      stop?.();
    };
  }, [addPaths]);

  const pickFiles = async () => {
    const paths = await dialogs.pickFiles(t("create.dialog.files"), [
      { name: t("create.dialog.images"), extensions: [...IMAGE_EXTENSIONS] },
    ]);
    addPaths(paths);
  };
  const pickFolder = async () => {
    const p = await dialogs.pickFolder(t("create.dialog.folder"));
    if (p) addPaths([p]);
  };
  const pickList = async () => {
    const p = await dialogs.pickFile(t("create.dialog.list"), [
      { name: t("create.dialog.lists"), extensions: ["json", "csv"] },
    ]);
    if (p) void add((append) => createApi.loadList(session, p, append));
  };
  const clear = () => {
    void createApi.close(session);
    dispatch({ type: "cleared" });
    inFlight.current.clear();
  };

  const changeTarget = (tg: Target) => {
    dispatch({ type: "target", target: tg });
    if (targetNeedsCheck(target, tg)) void check(tg);
  };

  const edit = async (fn: () => Promise<PreflightView>) => {
    try {
      dispatch({ type: "view", view: await fn() });
    } catch (e) {
      dispatch({ type: "failed", error: toAppError(e) });
    }
  };

  const shown = useMemo(() => (view ? filterRows(view.rows, filter) : []), [view, filter]);
  const range = visibleRange(shown.length, ROW_HEIGHT, scroll.top, scroll.height, 4);

  // Thumbnails of the rows on screen, fetched lazily.
  useEffect(() => {
    const flying = inFlight.current;
    const idxs = thumbsToFetch(shown, range.start, range.end, thumbs, flying);
    if (idxs.length === 0) return;
    idxs.forEach((i) => flying.add(i));
    const timer = window.setTimeout(() => {
      createApi.thumbnails(session, idxs).then(
        (list) => {
          dispatch({ type: "thumbs", thumbs: list });
          idxs.forEach((i) => flying.delete(i));
        },
        () => idxs.forEach((i) => flying.delete(i)),
      );
    }, 60);
    return () => {
      window.clearTimeout(timer);
      idxs.forEach((i) => flying.delete(i));
    };
  }, [shown, range.start, range.end, thumbs, session]);

  useEffect(() => {
    const el = gridRef.current;
    if (el) dispatch({ type: "scroll", top: el.scrollTop, height: el.clientHeight });
  }, [view]);

  const blocker = createBlocker(view, policy, target);
  const invalid = view?.rows.filter((r) => rowState(r) === "invalid").length ?? 0;

  const start = () => {
    if (blocker) return;
    handedOver.current = true;
    onStart(
      {
        session,
        projectId,
        projectName,
        target: target.kind === "existing" ? { kind: "existing", batchId: target.batchId } : { kind: "new", name: target.name },
        policy,
      },
      leftOutAtStart(view, policy),
    );
  };

  return (
    <div className={`create stack${dragOver ? " drop-over" : ""}`} data-testid="create-screen">
      <div className="row">
        <h1 style={{ margin: 0 }}>{t("create.title", { project: projectName })}</h1>
        <span className="spacer" />
        <button onClick={onBack}>{t("create.back")}</button>
      </div>
      <div className="row">
        <button onClick={() => void pickFiles()} disabled={busy === "scan"}>
          {t("create.addFiles")}
        </button>
        <button onClick={() => void pickFolder()} disabled={busy === "scan"}>
          {t("create.addFolder")}
        </button>
        <button onClick={() => void pickList()} disabled={busy === "scan"}>
          {t("create.loadList")}
        </button>
        {view && view.rows.length > 0 && <button onClick={clear}>{t("create.clear")}</button>}
        <span className="spacer" />
        {busy && (
          <span className="muted" role="status">
            {busy === "scan" ? t("create.scanning") : t("create.checking")}
          </span>
        )}
      </div>
      <ErrorBanner error={error} />
      {dragOver && (
        <div className="create-drop-overlay" aria-hidden="true">
          {t("create.drop.over")}
        </div>
      )}
      {!view || view.rows.length === 0 ? (
        <div className={`create-dropzone${dragOver ? " over" : ""}`} data-testid="create-dropzone">
          <strong>{t("create.drop.title")}</strong>
          <p className="muted">{t("create.drop.hint")}</p>
        </div>
      ) : (
        <>
          <section className="card create-options" aria-label={t("create.target")}>
            <fieldset>
              <legend>{t("create.target")}</legend>
              <label>
                <input
                  type="radio"
                  name="create-target"
                  checked={target.kind === "existing"}
                  disabled={batches.length === 0}
                  onChange={() => changeTarget({ kind: "existing", batchId: "" })}
                />{" "}
                {t("create.target.existing")}
              </label>{" "}
              <select
                aria-label={t("create.target.batch")}
                data-testid="create-batch"
                value={target.kind === "existing" ? target.batchId : ""}
                disabled={target.kind !== "existing"}
                onChange={(e) => changeTarget({ kind: "existing", batchId: e.target.value })}
              >
                <option value="">{t("create.target.pick")}</option>
                {batches.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                  </option>
                ))}
              </select>{" "}
              <label>
                <input
                  type="radio"
                  name="create-target"
                  checked={target.kind === "new"}
                  onChange={() => changeTarget({ kind: "new", name: "" })}
                />{" "}
                {t("create.target.new")}
              </label>{" "}
              <input
                type="text"
                aria-label={t("create.target.name")}
                data-testid="create-batch-name"
                value={target.kind === "new" ? target.name : ""}
                disabled={target.kind !== "new"}
                onChange={(e) => dispatch({ type: "target", target: { kind: "new", name: e.target.value } })}
              />
            </fieldset>
            <label className="create-policy">
              {t("create.policy")}{" "}
              <select
                data-testid="create-policy"
                value={policy}
                onChange={(e) => dispatch({ type: "policy", policy: e.target.value as DuplicatePolicy })}
              >
                <option value="refuse">{t("create.policy.refuse")}</option>
                <option value="skipExisting">{t("create.policy.skipExisting")}</option>
                <option value="insertAnyway">{t("create.policy.insertAnyway")}</option>
              </select>
            </label>{" "}
            <button onClick={() => void check(target)} disabled={busy !== null}>
              {t("create.check")}
            </button>
          </section>
          <div className="row">
            <strong role="status" data-testid="create-summary">
              {t("create.summary", {
                new: view.summary.new,
                duplicates: view.summary.duplicates,
                invalid: view.summary.invalid,
                skipped: view.summary.skipped,
              })}
            </strong>
            <span className="muted">{t("create.rows", { count: view.rows.length })}</span>
            {view.hiddenSkipped > 0 && <span className="muted">{t("create.hidden", { count: view.hiddenSkipped })}</span>}
            <span className="spacer" />
            <label>
              {t("create.filter")}{" "}
              <select value={filter} onChange={(e) => dispatch({ type: "filter", filter: e.target.value as RowFilter })} data-testid="create-filter">
                <option value="all">{t("create.filter.all")}</option>
                <option value="problems">{t("create.filter.problems")}</option>
                <option value="new">{t("create.filter.new")}</option>
                <option value="duplicate">{t("create.filter.duplicate")}</option>
                <option value="invalid">{t("create.filter.invalid")}</option>
                <option value="skipped">{t("create.filter.skipped")}</option>
              </select>
            </label>
          </div>
          {view.warnings.length > 0 && (
            <ul className="banner warn create-warnings">
              {view.warnings.slice(0, 5).map((w) => (
                <li key={w.message}>{errorText(w)}</li>
              ))}
            </ul>
          )}
          <div
            className="grid create-grid"
            ref={gridRef}
            role="grid"
            aria-label={t("create.title", { project: projectName })}
            aria-rowcount={shown.length + 1}
            data-testid="create-grid"
            onScroll={(e) => dispatch({ type: "scroll", top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
          >
            <div className="grid-head" role="row" aria-rowindex={1}>
              {GRID_COLUMNS.map(([cls, key]) => (
                <div key={cls} className={`cell ${cls}`} role="columnheader">
                  {t(key)}
                </div>
              ))}
            </div>
            <div style={{ height: range.totalHeight, position: "relative" }}>
              {shown.slice(range.start, range.end).map((r, k) => (
                <PreflightRow
                  key={`${r.idx}:${r.name}`}
                  row={r}
                  pos={range.start + k}
                  thumb={thumbs.get(r.idx)}
                  onRename={(name) => void edit(() => createApi.rename(session, r.idx, name))}
                  onSkip={(skip) => void edit(() => createApi.setSkip(session, [r.idx], skip))}
                />
              ))}
            </div>
          </div>
          <div className="row create-foot">
            {invalid > 0 && (
              <button onClick={() => void edit(() => createApi.skipInvalid(session))} data-testid="create-skip-invalid">
                {t("create.skipInvalid", { count: invalid })}
              </button>
            )}
            <span className={`muted${blocker === "create.block.refuse" ? " create-refuse" : ""}`} role="status" data-testid="create-blocker">
              {blocker ? t(blocker) : view.needsBatchCheck ? t("create.block.check") : ""}
            </span>
            <span className="spacer" />
            <button className="primary" onClick={start} disabled={blocker !== null || busy !== null} data-testid="create-start">
              {(() => {
                const l = startLabel(view, policy, blocker);
                return t(l.key, l.vars);
              })()}
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function PreflightRow({
  row,
  pos,
  thumb,
  onRename,
  onSkip,
}: {
  row: RowView;
  pos: number;
  thumb: string | null | undefined;
  onRename: (name: string) => void;
  onSkip: (skip: boolean) => void;
}) {
  const t = useT();
  const state = rowState(row);
  const [name, setName] = useState(row.name);
  const commit = () => {
    if (name !== row.name) onRename(name);
  };
  const where =
    row.source.from === "json"
      ? t("create.fromJson", { index: row.source.index + 1 })
      : row.source.from === "csv"
        ? t("create.fromCsv", { line: row.source.line })
        : null;
  return (
    <div
      className={`grid-row create-row state-${state}`}
      role="row"
      aria-rowindex={pos + 2}
      data-row-name={row.name}
      data-row-state={state}
      style={{ top: pos * ROW_HEIGHT, height: ROW_HEIGHT }}
    >
      <div className="cell c-thumb" role="gridcell">
        {thumb ? <img src={thumb} alt="" /> : <span className="create-nothumb" aria-hidden="true" />}
      </div>
      <div className="cell c-name" role="gridcell">
        <input
          type="text"
          value={name}
          aria-label={t("create.rename", { row: row.idx + 1 })}
          aria-invalid={state === "invalid" ? true : undefined}
          onChange={(e) => setName(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === "Enter") commit();
            if (e.key === "Escape") setName(row.name);
          }}
        />
      </div>
      <div className="cell c-file" role="gridcell" title={row.path ?? undefined}>
        {row.path ? (
          <>
            <span className="c-file-name">{splitPath(row.path).name}</span>
            <span className="c-file-dir small">{splitPath(row.path).folder}</span>
          </>
        ) : (
          <span className="small">{where ?? t("create.remote")}</span>
        )}
      </div>
      <div className="cell c-size num" role="gridcell">
        {row.size !== null ? formatBytes(row.size) : ""}
      </div>
      <div className="cell c-checks" role="gridcell">
        <span className={`create-state state-${state}`}>{t(`create.state.${state}`)}</span>{" "}
        {row.checks.map((c, i) => {
          const m = checkMessage(c);
          return (
            <span key={i} className="small create-check" title={t(m.key, m.vars)}>
              {t(m.key, m.vars)}
            </span>
          );
        })}
      </div>
      <div className="cell c-skip" role="gridcell">
        <input
          type="checkbox"
          checked={row.skip}
          aria-label={t("create.skipRow", { row: row.idx + 1 })}
          onChange={(e) => onSkip(e.target.checked)}
        />
      </div>
    </div>
  );
}

// ---------------------------------------------------------------- upload

function UploadPanel({
  request,
  jobId: initialJobId,
  leftOut: startLeftOut,
  projectName,
  onOpenTasks,
  onMore,
  onBack,
}: {
  request: StartRequest | null;
  jobId: string | null;
  /** Rows of the drop not sent, when the job starts here (after a restart: from the job's record). */
  leftOut: LeftOut | null;
  projectName: string;
  onOpenTasks: (batchId: string) => void;
  onMore: () => void;
  onBack: () => void;
}) {
  const t = useT();
  const [job, dispatch] = useReducer(jobReducer, initialJobId, initialJobView);
  const { jobId, info, progress, running, result, error, stopping, items } = job;
  // jobs made before the left-out rows were kept have none: the counts then leave them out
  const leftOut = startLeftOut ?? info?.label.leftOut ?? null;

  const onProgress = useCallback((p: JobProgress) => {
    dispatch({ type: "progress", progress: p });
  }, []);

  const finish = useCallback(
    async (run: Promise<RunResult>, t0: number) => {
      dispatch({ type: "run" });
      try {
        const r = await run;
        dispatch({ type: "finished", result: r });
        dispatch({ type: "items", items: await createApi.items(r.info.job.id) });
        if (worthNotifying(Date.now() - t0) && r.info.job.state !== "paused") {
          const c = r.info.job.counts;
          const leftOut = startLeftOut ?? r.info.label.leftOut ?? null;
          void dialogs
            .notifyIfUnfocused(
              t("create.notify.title"),
              t("create.notify.body", {
                project: r.info.label.projectName || projectName,
                batch: r.info.label.batchName,
                counts: t(leftOut ? "create.upload.countsAll" : "create.upload.counts", {
                  done: c.done,
                  existing: c.skipped + (leftOut?.existing ?? 0),
                  skipped: leftOut?.skipped ?? 0,
                  failed: c.failed,
                }),
              }),
            )
            .catch(() => undefined);
        }
      } catch (e) {
        dispatch({ type: "failed", error: toAppError(e) });
      } finally {
        dispatch({ type: "ended" });
      }
    },
    [t, projectName, startLeftOut],
  );

  const resume = useCallback(
    (id: string, failedOnly: boolean) => void finish(createApi.resume(id, failedOnly, onProgress), Date.now()),
    [finish, onProgress],
  );

  const started = useRef(false);
  // Start (or resume) once the view is shown; a cancelled timer never sent anything.
  useEffect(() => {
    const timer = window.setTimeout(() => {
      if (started.current) return;
      started.current = true;
      if (request) {
        const run = createApi.start(request, onProgress);
        // The pre-flight session is only dropped once the job exists: a start refused (duplicates,
        // offline, bad batch name) keeps the user's files, names and skips for another try.
        void run.then(() => createApi.close(request.session).catch(() => undefined)).catch(() => undefined);
        void finish(run, Date.now());
      } else if (initialJobId) {
        createApi.job(initialJobId).then(
          (j) => {
            dispatch({ type: "info", info: j });
            resume(initialJobId, false);
          },
          (e: unknown) => dispatch({ type: "failed", error: toAppError(e) }),
        );
      }
    }, 0);
    return () => window.clearTimeout(timer);
  }, [request, initialJobId, finish, onProgress, resume]);

  const counts = progress?.counts ?? info?.job.counts ?? null;
  const fig = progress ? progressFigures(progress) : null;
  const state = result?.info.job.state ?? info?.job.state ?? null;
  const batchName = result?.info.label.batchName || info?.label.batchName || "";
  const batchId = result?.info.job.batchId ?? info?.job.batchId ?? null;
  const notCreated = items.filter((i) => i.status !== "done");
  const failed = counts?.failed ?? 0;

  const stateText = running
    ? stopping === "pause"
      ? t("create.pausing")
      : stopping === "cancel"
        ? t("create.cancelling")
        : t("create.state.running")
    : state === "done"
      ? t("create.state.done")
      : state === "cancelled"
        ? t("create.state.cancelled")
        : state === "paused"
          ? t("create.state.paused")
          : "";

  return (
    <div className="create stack" data-testid="create-upload">
      <div className="row">
        <h1 style={{ margin: 0 }} data-testid="create-upload-title">
          {t(
            running
              ? "create.upload.title"
              : state === "done"
                ? "create.upload.titleDone"
                : state === "cancelled"
                  ? "create.upload.titleCancelled"
                  : state === "paused" || result?.stopped
                    ? "create.upload.titlePaused"
                    : "create.upload.title",
            { batch: batchName || projectName },
          )}
        </h1>
        <span className="spacer" />
        {!running && <button onClick={onBack}>{t("create.back")}</button>}
      </div>
      {error && !result && <ErrorBanner error={error} />}
      {result?.stopped && (
        <div className="banner error" role="alert">
          {t("create.stopped", { message: result.stopped.message })}
        </div>
      )}
      <section className="card stack" aria-label={t("create.upload.progress")}>
        <div
          className="progress create-progress"
          role="progressbar"
          aria-label={t("create.upload.progress")}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={fig?.percent ?? (state === "done" ? 100 : 0)}
        >
          <div style={{ width: `${fig?.percent ?? (state === "done" ? 100 : 0)}%` }} />
        </div>
        {counts && (
          <div className="row" role="status" data-testid="create-progress" data-state={running ? "running" : (state ?? "")}>
            <strong>
              {t("create.upload.tasks", { done: counts.done + counts.failed + counts.skipped, total: counts.total })}
            </strong>
            {counts.bytesTotal > 0 && (
              <span>
                {t("create.upload.bytes", { done: formatBytes(counts.bytesDone), total: formatBytes(counts.bytesTotal) })}
              </span>
            )}
            <span className="muted" data-testid="create-counts">
              {t(leftOut ? "create.upload.countsAll" : "create.upload.counts", {
                done: counts.done,
                existing: counts.skipped + (leftOut?.existing ?? 0),
                skipped: leftOut?.skipped ?? 0,
                failed: counts.failed,
              })}
            </span>
            {running && fig?.etaSeconds != null && (
              <span className="muted">{t("create.upload.eta", { time: formatDuration(fig.etaSeconds) })}</span>
            )}
            {progress && (
              <span className="muted">{t("create.upload.elapsed", { time: formatDuration(progress.elapsedMs / 1000) })}</span>
            )}
          </div>
        )}
        <p className="muted" data-testid="create-state">
          {stateText}
        </p>
        <div className="row">
          {running && jobId && (
            <>
              <button
                onClick={() => {
                  dispatch({ type: "stopping", how: "pause" });
                  void createApi.pause(jobId);
                }}
                disabled={stopping !== null}
              >
                {t("create.pause")}
              </button>
              <button
                onClick={() => {
                  dispatch({ type: "stopping", how: "cancel" });
                  void createApi.cancel(jobId);
                }}
                disabled={stopping !== null}
              >
                {t("create.cancel")}
              </button>
            </>
          )}
          {!running && jobId && (state === "paused" || result?.stopped) && (
            <button className="primary" onClick={() => resume(jobId, false)}>
              {t("create.resume")}
            </button>
          )}
          {!running && jobId && failed > 0 && state !== "paused" && (
            <button onClick={() => resume(jobId, true)} data-testid="create-retry-failed">
              {t("create.retryFailed", { count: failed })}
            </button>
          )}
          {!running && batchId && (counts?.done ?? 0) > 0 && (
            <button className={state === "done" ? "primary" : ""} onClick={() => onOpenTasks(batchId)} data-testid="create-open-tasks">
              {t("create.openTasks")}
            </button>
          )}
          {!running && (state === "done" || state === "cancelled") && <button onClick={onMore}>{t("create.more")}</button>}
        </div>
      </section>
      {!running && result && (
        <section aria-labelledby="create-outcomes-h">
          <h2 id="create-outcomes-h">{t("create.outcomes")}</h2>
          {notCreated.length === 0 ? (
            <p className="muted" data-testid="create-outcomes-none">
              {leftOut && leftOut.existing + leftOut.skipped > 0
                ? t("create.outcomes.noneSent", { count: leftOut.existing + leftOut.skipped })
                : t("create.outcomes.none")}
            </p>
          ) : (
            <table className="simple" data-testid="create-outcomes">
              <tbody>
                {notCreated.slice(0, 300).map((i) => (
                  <tr key={i.idx}>
                    <th scope="row" style={{ fontWeight: "normal" }}>
                      {i.name}
                    </th>
                    <td>{t(`create.outcome.${i.status}`)}</td>
                    <td className="small">{i.error ? errorText(i.error) : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {notCreated.length > 300 && <p className="muted">{t("create.outcomes.more", { count: notCreated.length - 300 })}</p>}
        </section>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- resume prompt

/** At start: jobs left unfinished (app closed or killed mid-batch) → resume or discard. */
export function CreateResumeBanner({ onResume }: { onResume: (job: JobInfo) => void }) {
  const t = useT();
  const [jobs, setJobs] = useState<JobInfo[]>([]);
  const [error, setError] = useState<AppError | null>(null);
  const load = useCallback(() => {
    createApi.unfinished().then(setJobs, (e: unknown) => setError(toAppError(e)));
  }, []);
  useEffect(load, [load]);
  if (jobs.length === 0 && !error) return null;
  return (
    <section className="banner info create-resume" role="region" aria-label={t("create.resumeBanner.title")} data-testid="create-resume">
      <strong>{t("create.resumeBanner.title")}</strong>
      <ErrorBanner error={error} />
      <ul>
        {jobs.map((j) => {
          const batch = j.label.batchName || t("create.unknownBatch");
          return (
            <li key={j.job.id} className="row">
              <span>
                {t("create.resumeBanner.job", {
                  project: j.label.projectName || t("create.unknownProject"),
                  batch,
                  done: j.job.counts.done + j.job.counts.skipped,
                  total: j.job.counts.total,
                })}
              </span>
              <button className="primary" onClick={() => onResume(j)} aria-label={t("create.resumeBanner.resumeLabel", { batch })}>
                {t("create.resumeBanner.resume")}
              </button>
              <button
                onClick={() =>
                  createApi.discard(j.job.id).then(load, (e: unknown) => setError(toAppError(e)))
                }
                aria-label={t("create.resumeBanner.discardLabel", { batch })}
              >
                {t("create.resumeBanner.discard")}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
