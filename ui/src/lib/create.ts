// Pure logic of the "Create tasks" screens: row states, what blocks "Create", progress figures,
// which thumbnails to fetch. No Tauri, no React: unit-tested in create.test.ts.
import type { RowCheck as Check } from "../bindings/RowCheck";
import type { DuplicatePolicy } from "../bindings/DuplicatePolicy";
import type { JobProgress } from "../bindings/JobProgress";
import type { PreflightView } from "../bindings/PreflightView";
import type { RowView } from "../bindings/RowView";
import type { UnsupportedFile } from "../bindings/UnsupportedFile";
import type { LeftOut } from "../bindings/LeftOut";
import type { AppError } from "../bindings/AppError";
import type { Batch } from "../bindings/Batch";
import type { ItemView } from "../bindings/ItemView";
import type { JobInfo } from "../bindings/JobInfo";
import type { RunResult } from "../bindings/RunResult";
import type { MessageKey, Vars } from "../i18n";

/** Where a row stands, in the order of the summary line. */
export type RowState = "new" | "duplicate" | "invalid" | "skipped";

export function isBlocking(c: Check, policy: DuplicatePolicy): boolean {
  if (c.check === "nameExistsInBatch") return false;
  if (c.check === "nameRepeatedInDrop") return policy !== "insertAnyway";
  return true;
}

/** Same rule as the summary computed in Rust (Refuse counts repeated names as invalid). */
export function rowState(r: RowView): RowState {
  if (r.skip) return "skipped";
  if (r.checks.some((c) => isBlocking(c, "refuse"))) return "invalid";
  if (r.checks.some((c) => c.check === "nameExistsInBatch")) return "duplicate";
  return "new";
}

function unsupportedMessage(f: UnsupportedFile): { key: MessageKey; vars: Vars } {
  switch (f.reason) {
    case "imageFormat":
      return { key: "create.check.unsupportedFormat", vars: { format: f.format } };
    case "notThatImage":
      return { key: "create.check.notThatImage", vars: { ext: f.ext } };
    case "notAnImage":
      return { key: "create.check.notAnImage", vars: {} };
  }
}

/** A check as a message key with its values. */
export function checkMessage(c: Check): { key: MessageKey; vars: Vars } {
  switch (c.check) {
    case "unreadable":
      return { key: "create.check.unreadable", vars: { detail: c.message } };
    case "empty":
      return { key: "create.check.empty", vars: {} };
    case "unsupported":
      return unsupportedMessage(c.file);
    case "nameRepeatedInDrop":
      return { key: "create.check.repeated", vars: {} };
    case "nameExistsInBatch":
      return { key: "create.check.exists", vars: {} };
    case "dataInvalid":
      return { key: "create.check.dataInvalid", vars: { path: c.path, detail: c.message } };
    case "nameInvalid":
      return { key: "create.check.nameInvalid", vars: { detail: c.message } };
  }
}

export type RowFilter = "all" | "problems" | RowState;

export function filterRows(rows: RowView[], f: RowFilter): RowView[] {
  if (f === "all") return rows;
  if (f === "problems") return rows.filter((r) => rowState(r) === "invalid" || rowState(r) === "duplicate");
  return rows.filter((r) => rowState(r) === f);
}

export type Target = { kind: "existing"; batchId: string } | { kind: "new"; name: string };

/** Why "Create" cannot be pressed yet (a message key), or null when it can. */
export function createBlocker(view: PreflightView | null, policy: DuplicatePolicy, target: Target): MessageKey | null {
  if (!view || view.rows.length === 0) return "create.block.empty";
  if (target.kind === "existing" && !target.batchId) return "create.block.noBatch";
  if (target.kind === "new" && !target.name.trim()) return "create.block.noBatchName";
  const live = view.rows.filter((r) => !r.skip);
  if (live.some((r) => r.checks.some((c) => isBlocking(c, policy)))) return "create.block.invalid";
  const dupes = live.filter((r) => r.checks.some((c) => c.check === "nameExistsInBatch")).length;
  if (policy === "refuse" && dupes > 0) return "create.block.refuse";
  const toCreate = policy === "skipExisting" ? live.length - dupes : live.length;
  if (toCreate === 0) return "create.block.nothing";
  return null;
}

/** How many tasks "Create" will send under `policy`. */
export function tasksToCreate(view: PreflightView | null, policy: DuplicatePolicy): number {
  if (!view) return 0;
  const live = view.rows.filter((r) => !r.skip);
  if (policy !== "skipExisting") return live.length;
  return live.filter((r) => !r.checks.some((c) => c.check === "nameExistsInBatch")).length;
}

export interface ProgressFigures {
  finished: number;
  total: number;
  percent: number;
  bytesDone: number;
  bytesTotal: number;
  etaSeconds: number | null;
}

export function progressFigures(p: JobProgress): ProgressFigures {
  const c = p.counts;
  const finished = c.done + c.failed + c.skipped;
  const percent =
    c.bytesTotal > 0
      ? Math.floor((100 * c.bytesDone) / c.bytesTotal)
      : c.total > 0
        ? Math.floor((100 * finished) / c.total)
        : 100;
  return {
    finished,
    total: c.total,
    percent: Math.max(0, Math.min(100, percent)),
    bytesDone: c.bytesDone,
    bytesTotal: c.bytesTotal,
    etaSeconds: p.etaMs === null ? null : Math.round(p.etaMs / 1000),
  };
}

/** A long job that ends deserves an OS notification (sent only when the window is not focused). */
export const NOTIFY_AFTER_MS = 5000;
export function worthNotifying(elapsedMs: number): boolean {
  return elapsedMs >= NOTIFY_AFTER_MS;
}

/** Rows in `start..end` (of the shown list) whose thumbnail is neither known nor being fetched. */
export function thumbsToFetch(
  shown: RowView[],
  start: number,
  end: number,
  known: ReadonlyMap<number, string | null>,
  inFlight: ReadonlySet<number>,
): number[] {
  const out: number[] = [];
  for (const r of shown.slice(start, end)) {
    if (r.kind !== "image" || r.path === null) continue;
    if (known.has(r.idx) || inFlight.has(r.idx)) continue;
    out.push(r.idx);
  }
  return out;
}

/** Paths from a file dialog or a drop, without blanks and repeats. */
export function cleanPaths(paths: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    const s = p.trim();
    if (s && !seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/** A local path as the File column shows it: the file's name, and its folder below. */
export function splitPath(path: string): { name: string; folder: string } {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut < 0 ? { name: path, folder: "" } : { name: path.slice(cut + 1), folder: path.slice(0, cut) || "/" };
}

/** The start button's words: the count it will really send, or what keeps it from sending. */
export function startLabel(
  view: PreflightView | null,
  policy: DuplicatePolicy,
  blocker: MessageKey | null,
): { key: MessageKey; vars: Vars } {
  const live = (view?.rows ?? []).filter((r) => !r.skip);
  // invalid rows are named even while the batch is still to choose: the count of a button
  // that would send them would not be true
  const invalid = live.filter((r) => r.checks.some((c) => isBlocking(c, policy))).length;
  if (invalid > 0) return { key: "create.startInvalid", vars: { count: invalid } };
  if (blocker === "create.block.refuse") {
    const count = live.filter((r) => r.checks.some((c) => c.check === "nameExistsInBatch")).length;
    return { key: "create.startRefuse", vars: { count } };
  }
  return { key: "create.create", vars: { count: tasksToCreate(view, policy) } };
}

/** Rows of a drop that are not sent: left out as already in the batch, or skipped (the job's
 * record keeps the same counts, made by the Rust side, for a job resumed after a restart). */
export type { LeftOut };

/** What "Create" leaves out of the drop under `policy`. */
export function leftOutAtStart(view: PreflightView | null, policy: DuplicatePolicy): LeftOut {
  const rows = view?.rows ?? [];
  const skipped = rows.filter((r) => r.skip).length;
  const existing =
    policy === "skipExisting"
      ? rows.filter((r) => !r.skip && r.checks.some((c) => c.check === "nameExistsInBatch")).length
      : 0;
  return { existing, skipped };
}

// ---------- a create job as the upload view follows it ----------

/** What the upload view knows of its job. */
export type JobView = {
  jobId: string | null;
  info: JobInfo | null;
  progress: JobProgress | null;
  /** A run (start, resume, retry) is under way. */
  running: boolean;
  result: RunResult | null;
  error: AppError | null;
  /** Pause or cancel asked, not yet reached. */
  stopping: "pause" | "cancel" | null;
  /** The items of the job after its last run. */
  items: ItemView[];
};

export type JobAction =
  | { type: "run" }
  | { type: "progress"; progress: JobProgress }
  | { type: "finished"; result: RunResult }
  | { type: "items"; items: ItemView[] }
  | { type: "failed"; error: AppError }
  /** The run is over, however it ended. */
  | { type: "ended" }
  | { type: "info"; info: JobInfo }
  | { type: "stopping"; how: "pause" | "cancel" };

export function initialJobView(jobId: string | null): JobView {
  return { jobId, info: null, progress: null, running: false, result: null, error: null, stopping: null, items: [] };
}

export function jobReducer(s: JobView, a: JobAction): JobView {
  switch (a.type) {
    case "run":
      return { ...s, running: true, result: null, error: null };
    case "progress":
      return { ...s, jobId: a.progress.jobId, progress: a.progress };
    case "finished":
      return { ...s, result: a.result, info: a.result.info, jobId: a.result.info.job.id };
    case "items":
      return { ...s, items: a.items };
    case "failed":
      return { ...s, error: a.error };
    case "ended":
      return { ...s, running: false, stopping: null };
    case "info":
      return { ...s, info: a.info };
    case "stopping":
      return s.running ? { ...s, stopping: a.how } : s;
  }
}

// ---------- the pre-flight panel ----------

/** The pre-flight panel's state: the table, what is being done, the choices made. */
export type PreflightState = {
  view: PreflightView | null;
  busy: "scan" | "check" | null;
  error: AppError | null;
  dragOver: boolean;
  batches: Batch[];
  target: Target;
  policy: DuplicatePolicy;
  filter: RowFilter;
  /** Row → thumbnail address (null: none can be made). */
  thumbs: Map<number, string | null>;
  scroll: { top: number; height: number };
};

export type PreflightAction =
  | { type: "batches"; batches: Batch[] }
  | { type: "busy"; busy: "scan" | "check" }
  | { type: "view"; view: PreflightView }
  | { type: "failed"; error: AppError }
  | { type: "idle" }
  | { type: "dragOver"; over: boolean }
  | { type: "target"; target: Target }
  | { type: "policy"; policy: DuplicatePolicy }
  | { type: "filter"; filter: RowFilter }
  | { type: "thumbs"; thumbs: { idx: number; url: string | null }[] }
  | { type: "cleared" }
  | { type: "scroll"; top: number; height: number };

export function initialPreflight(): PreflightState {
  return {
    view: null,
    busy: null,
    error: null,
    dragOver: false,
    batches: [],
    target: { kind: "existing", batchId: "" },
    policy: "refuse",
    filter: "all",
    thumbs: new Map(),
    scroll: { top: 0, height: 480 },
  };
}

export function preflightReducer(s: PreflightState, a: PreflightAction): PreflightState {
  switch (a.type) {
    case "batches":
      // a project without batches can only receive a new one
      return { ...s, batches: a.batches, target: a.batches.length === 0 ? { kind: "new", name: "" } : s.target };
    case "busy":
      return { ...s, busy: a.busy };
    case "view":
      return { ...s, view: a.view, error: null };
    case "failed":
      return { ...s, error: a.error };
    case "idle":
      return { ...s, busy: null };
    case "dragOver":
      return s.dragOver === a.over ? s : { ...s, dragOver: a.over };
    case "target":
      return { ...s, target: a.target };
    case "policy":
      return { ...s, policy: a.policy };
    case "filter":
      return { ...s, filter: a.filter };
    case "thumbs": {
      const thumbs = new Map(s.thumbs);
      for (const th of a.thumbs) thumbs.set(th.idx, th.url);
      return { ...s, thumbs };
    }
    case "cleared":
      return { ...s, view: null, thumbs: new Map() };
    case "scroll":
      return s.scroll.top === a.top && s.scroll.height === a.height ? s : { ...s, scroll: { top: a.top, height: a.height } };
  }
}

/** Whether changing the target to `next` (from `prev`) needs the table checked again. */
export function targetNeedsCheck(prev: Target, next: Target): boolean {
  return (next.kind === "existing" && next.batchId !== "") || (next.kind === "new" && prev.kind !== "new");
}
