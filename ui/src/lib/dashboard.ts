// The project dashboard's pure side: which task-browser filter each bar opens, the rows of the
// tables that stand in for the charts, the names of periods, and which bars fit a chart.
import type { LabelStats } from "../bindings/LabelStats";
import type { ProjectStats } from "../bindings/ProjectStats";
import type { TimeBucket } from "../bindings/TimeBucket";
import type { TimeStep } from "../bindings/TimeStep";
import { getLocale, t } from "../i18n";
import type { FilterForm } from "./filterForm";

/** Which date of a task a timeline bar counts. */
export type DateKind = "created" | "updated";

/** The tasks of one batch in one status. */
export function statusFilter(batchId: string, status: string): Partial<FilterForm> {
  return { batchIds: [batchId], statuses: [status] };
}

/** The tasks created (or updated) in a bar's period: from its start, before its end. The lab
 *  reads these dates as UTC, as the dashboard counts them. */
export function periodFilter(bucket: Pick<TimeBucket, "start" | "end">, kind: DateKind): Partial<FilterForm> {
  const from = { op: ">=" as const, value: `${bucket.start}T00:00` };
  const to = { op: "<" as const, value: `${bucket.end}T00:00` };
  return kind === "created" ? { createdFrom: from, createdTo: to } : { updatedFrom: from, updatedTo: to };
}

/** Exactly these tasks (an annotator's, a label's). */
export function idsFilter(taskIds: readonly string[]): Partial<FilterForm> {
  return { taskIds: taskIds.join("\n") };
}

/** A status-per-batch table: a row per batch, a cell per status the project has. */
export interface StatusRow {
  batchId: string;
  name: string;
  cells: { status: string; count: number }[];
  total: number;
}

export function statusRows(stats: Pick<ProjectStats, "statuses" | "batches">): { statuses: string[]; rows: StatusRow[] } {
  // only the statuses some task has: five empty columns say nothing
  const statuses = stats.statuses.filter((s) => stats.batches.some((b) => b.counts.some((c) => c.status === s && c.count > 0)));
  const rows = stats.batches.map((b) => ({
    batchId: b.batchId,
    name: b.name,
    cells: statuses.map((status) => ({ status, count: b.counts.find((c) => c.status === status)?.count ?? 0 })),
    total: b.total,
  }));
  return { statuses, rows };
}

/** The largest total of any batch (the scale of the status chart). */
export function largestBatch(stats: Pick<ProjectStats, "batches">): number {
  return stats.batches.reduce((m, b) => Math.max(m, b.total), 0);
}

/** Labels worth a bar: those used, then (when `withUnused`) those of the configuration that no
 *  annotation has. The unlabelled bucket (id "") only when used. */
export function labelRows(labels: readonly LabelStats[], withUnused: boolean): LabelStats[] {
  return labels.filter((l) => l.annotations > 0 || (withUnused && l.id !== ""));
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function utcFormat(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${getLocale()}|${JSON.stringify(opts)}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(getLocale(), { ...opts, timeZone: "UTC" });
    dateFormats.set(key, f);
  }
  return f;
}

function utcDate(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** The period of a bar in words: "3 May 2024", "Week of 29 Apr 2024", "May 2024". */
export function periodName(start: string, step: TimeStep): string {
  const d = utcDate(start);
  if (Number.isNaN(d.getTime())) return start;
  if (step === "month") return utcFormat({ month: "long", year: "numeric" }).format(d);
  const day = utcFormat({ day: "numeric", month: "short", year: "numeric" }).format(d);
  return step === "week" ? t("dash.time.weekOf", { date: day }) : day;
}

/** A short axis label for a bar's period: "3 May", "29 Apr", "May 24". */
export function periodTick(start: string, step: TimeStep): string {
  const d = utcDate(start);
  if (Number.isNaN(d.getTime())) return start;
  if (step === "month") return utcFormat({ month: "short", year: "2-digit" }).format(d);
  return utcFormat({ day: "numeric", month: "short" }).format(d);
}

/** Every how many bars an axis label goes so that labels `labelWidth` px wide do not touch
 *  when bars are `step` px apart. */
export function tickEvery(step: number, labelWidth: number): number {
  if (step <= 0) return 1;
  return Math.max(1, Math.ceil(labelWidth / step));
}

/** `text` cut to about `maxWidth` px of a `fontSize` px sans-serif font, with "…". */
export function fitText(text: string, maxWidth: number, fontSize = 12): string {
  const per = fontSize * 0.58; // an average glyph of a UI font
  const room = Math.floor(maxWidth / per);
  if (text.length <= room) return text;
  if (room <= 1) return "…";
  return `${text.slice(0, room - 1).trimEnd()}…`;
}

/** The CSS class of a status's colour (styles.css, the dashboard block). */
export function statusClass(status: string): string {
  const known = ["pending", "complete", "to-review", "reviewed", "configuring"];
  return known.includes(status) ? `dash-st-${status}` : "dash-st-other";
}

/** A test id made of any text (label ids, batch ids, e-mail addresses). */
export function testId(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^\w-]/g, "_")).join("-");
}

// Scales. visx's own (@visx/scale, d3-scale) cannot load in the window: d3-color, which they
// import, assigns `prototype.constructor` on plain objects when it loads, and the app freezes
// Object.prototype (Tauri's freezePrototype), which makes that assignment throw. These two
// are all the charts need.

/** A count axis from 0: `at(v)` maps 0..max onto 0..length; `ticks` are whole numbers at a
 *  round step, the last one at or above `max` (the axis end). */
export interface CountScale {
  at: (v: number) => number;
  ticks: number[];
  end: number;
}

export function countScale(max: number, length: number, wantTicks = 4): CountScale {
  const top = Math.max(1, max);
  const raw = top / Math.max(1, wantTicks);
  const power = 10 ** Math.floor(Math.log10(raw));
  // d3's tick step: the round number (1, 2, 5 × a power of ten) nearest the raw step
  const err = raw / power;
  const factor = err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.sqrt(2) ? 2 : 1;
  const step = Math.max(1, factor * power);
  const end = Math.ceil(top / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= end + step / 2; v += step) ticks.push(Math.round(v));
  return { at: (v) => (v / end) * length, ticks, end };
}

/** `n` bands side by side over `length` (as d3's band scale, centred): where band `i` starts
 *  (`at`), how wide a band is and how far apart bands are. */
export interface Bands {
  at: (i: number) => number;
  bandwidth: number;
  step: number;
}

export function bands(n: number, length: number, paddingInner = 0, paddingOuter = 0): Bands {
  const count = Math.max(1, n);
  const step = length / Math.max(1, count - paddingInner + 2 * paddingOuter);
  const start = (length - step * (count - paddingInner)) / 2;
  return { at: (i) => start + i * step, bandwidth: step * (1 - paddingInner), step };
}
