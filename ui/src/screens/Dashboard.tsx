// The project dashboard (project screen): every task of the project read once by Rust and
// counted — status per batch, created/updated over time, last annotator, labels — as SVG charts
// (visx shapes; the scales are ours, see lib/dashboard.ts) whose bars open the matching tasks in the task browser, by mouse or keyboard, and as
// tables (shown on request; always there for screen readers).
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { Group } from "@visx/group";
import { Bar } from "@visx/shape";
import type { AppError } from "../bindings/AppError";
import type { ProjectStats } from "../bindings/ProjectStats";
import type { StatsProgress } from "../bindings/StatsProgress";
import type { TimeBucket } from "../bindings/TimeBucket";
import { ErrorBanner, statusLabel } from "../components/ui";
import { formatDateTime, formatMoment, formatNumber, useT } from "../i18n";
import { api, newJobId } from "../ipc";
import {
  bands,
  countScale,
  fitText,
  idsFilter,
  labelRows,
  largestBatch,
  periodFilter,
  periodName,
  periodTick,
  statusClass,
  statusFilter,
  statusRows,
  testId,
  tickEvery,
  type DateKind,
} from "../lib/dashboard";
import type { FilterForm } from "../lib/filterForm";

type Open = (form: Partial<FilterForm>) => void;

type Phase =
  | { kind: "loading"; progress: StatsProgress | null }
  | { kind: "done" }
  | { kind: "stopped" }
  | { kind: "error"; error: AppError };

interface Figures {
  stats: ProjectStats;
  at: number;
}

// The last figures of each project this session: shown at once when the screen comes back (the
// reading starts again and replaces them).
const lastFigures = new Map<string, Figures>();
// "Show as tables" stays as the user left it for the session.
let tablesChosen = false;

/** How many annotators the chart shows before "Show all". */
const FIRST_ANNOTATORS = 10;

export function Dashboard({ projectId, onOpen }: { projectId: string; onOpen: Open }) {
  const t = useT();
  const [figures, setFigures] = useState<Figures | null>(() => lastFigures.get(projectId) ?? null);
  const [phase, setPhase] = useState<Phase>({ kind: "loading", progress: null });
  const [attempt, setAttempt] = useState(0);
  const [tables, setTables] = useState(tablesChosen);
  const job = useRef<string | null>(null);

  useEffect(() => {
    let live = true;
    const id = newJobId();
    job.current = id;
    api
      .projectStats(projectId, id, (p) => {
        if (live) setPhase({ kind: "loading", progress: p });
      })
      .then((stats) => {
        if (!live) return;
        const f = { stats, at: Date.now() };
        lastFigures.set(projectId, f);
        setFigures(f);
        setPhase({ kind: "done" });
      })
      .catch((e: AppError) => {
        if (live) setPhase(e.kind === "cancelled" ? { kind: "stopped" } : { kind: "error", error: e });
      })
      .finally(() => {
        if (job.current === id) job.current = null;
      });
    return () => {
      live = false;
      // leaving the screen (or reading again) stops the reading
      if (job.current === id) {
        job.current = null;
        void api.cancelJob(id);
      }
    };
  }, [projectId, attempt]);

  const readAgain = () => {
    setPhase({ kind: "loading", progress: null });
    setAttempt((a) => a + 1);
  };
  const stop = () => {
    if (job.current) void api.cancelJob(job.current);
  };

  const stats = figures?.stats ?? null;
  return (
    <section className="card dashboard" aria-labelledby="dash-h" data-testid="dashboard" data-state={phase.kind}>
      <div className="row">
        <h2 id="dash-h" className="dash-h">
          {t("dash.title")}
        </h2>
        <span className="spacer" />
        {figures && phase.kind !== "loading" && (
          <span className="muted small" data-testid="dash-as-of">
            {t("dash.asOf", { count: figures.stats.tasks, time: formatDateTime(figures.at) })}
            {figures.stats.asOf ? ` ${t("dash.fromCopy", { time: formatMoment(figures.stats.asOf) })}` : ""}
          </span>
        )}
        {stats && stats.tasks > 0 && (
          <label className="inline">
            <input type="checkbox" checked={tables} onChange={(e) => {
                tablesChosen = e.target.checked;
                setTables(e.target.checked);
              }} data-testid="dash-tables" />{" "}
            {t("dash.showTables")}
          </label>
        )}
        {phase.kind === "loading" ? (
          <button onClick={stop} data-testid="dash-stop">
            {t("dash.stop")}
          </button>
        ) : (
          <button onClick={readAgain} data-testid="dash-refresh">
            {phase.kind === "done" ? t("dash.refresh") : t("dash.readAgain")}
          </button>
        )}
      </div>
      {phase.kind === "loading" && <Progress progress={phase.progress} updating={figures !== null} />}
      {phase.kind === "error" && <ErrorBanner error={phase.error} onRetry={readAgain} />}
      {phase.kind === "stopped" && (
        <p className="muted" role="status">
          {t("dash.stopped")}
        </p>
      )}
      {stats && stats.tasks === 0 && <p className="muted">{t("dash.empty")}</p>}
      {stats && stats.tasks > 0 && (
        <>
          <p className="muted small">{t("dash.intro")}</p>
          <div className={tables ? "dash-grid dash-tables" : "dash-grid"}>
            <StatusChart stats={stats} tables={tables} onOpen={onOpen} />
            <TimeChart stats={stats} tables={tables} onOpen={onOpen} />
            <AnnotatorChart stats={stats} tables={tables} onOpen={onOpen} />
            <LabelChart stats={stats} tables={tables} onOpen={onOpen} />
          </div>
        </>
      )}
    </section>
  );
}

function Progress({ progress, updating }: { progress: StatsProgress | null; updating: boolean }) {
  const t = useT();
  const total = progress?.total ?? 0;
  const read = progress?.read ?? 0;
  const text = progress && total > 0 ? t("dash.progress", { read, total }) : t("dash.starting");
  const pct = total > 0 ? Math.min(100, (read / total) * 100) : 0;
  return (
    <div className="dash-progress">
      <div
        className="progress"
        role="progressbar"
        aria-label={t("dash.progressLabel")}
        aria-valuemin={0}
        aria-valuemax={total > 0 ? total : undefined}
        aria-valuenow={total > 0 ? read : undefined}
        aria-valuetext={text}
        data-testid="dash-progress-bar"
      >
        <div style={{ width: `${pct}%` }} />
      </div>
      <p className="small" role="status" data-testid="dash-progress">
        {text}
        {updating && <span className="muted"> · {t("dash.updating")}</span>}
      </p>
    </div>
  );
}

// ---------- layout helpers ----------

/** The width of the element the returned ref is put on, kept up to date. */
function useWidth(): [(el: HTMLElement | null) => void, number] {
  const [el, setEl] = useState<HTMLElement | null>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (!el) return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width ?? 0;
      if (w > 0) setWidth(Math.floor(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [el]);
  return [setEl, width];
}

/** A chart with its title, legend, note, and its table (visible on request, else for screen
 *  readers only). */
function ChartBox({
  id,
  title,
  legend,
  note,
  tables,
  table,
  children,
}: {
  id: string;
  title: string;
  legend?: ReactNode;
  note?: ReactNode;
  tables: boolean;
  table: (interactive: boolean) => ReactNode;
  children: (width: number) => ReactNode;
}) {
  const [ref, width] = useWidth();
  return (
    <section className="dash-chart" aria-labelledby={`${id}-h`} data-testid={id}>
      <h3 id={`${id}-h`}>{title}</h3>
      {legend}
      {tables ? (
        table(true)
      ) : (
        <>
          <div ref={ref} className="dash-plot">
            {width > 0 && children(width)}
          </div>
          <div className="sr-only">{table(false)}</div>
        </>
      )}
      {note}
    </section>
  );
}

/** Legend entries: a swatch (a CSS class or a colour) and a name. */
function Legend({ items }: { items: { key: string; name: string; className?: string; color?: string }[] }) {
  const t = useT();
  return (
    <ul className="dash-legend" aria-label={t("dash.legend")}>
      {items.map((i) => (
        <li key={i.key}>
          <span className={`dash-swatch ${i.className ?? ""}`} style={i.color ? { background: i.color } : undefined} aria-hidden="true" />
          {i.name}
        </li>
      ))}
    </ul>
  );
}

/** Enter or Space opens a bar; the arrow keys move to the chart's previous or next bar. */
function barKeys(open: () => void) {
  return (e: KeyboardEvent<SVGRectElement>) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      open();
      return;
    }
    const delta = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : e.key === "ArrowLeft" || e.key === "ArrowUp" ? -1 : 0;
    if (!delta) return;
    const svg = e.currentTarget.ownerSVGElement;
    if (!svg) return;
    const bars = [...svg.querySelectorAll<SVGRectElement>(".dash-bar")];
    const next = bars[bars.indexOf(e.currentTarget) + delta];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  };
}

interface Ring {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A clickable, focusable bar: its name for assistive technology, a tooltip, and the focus ring
 *  drawn by the chart above every bar (`onRing`). */
function BarButton({
  x,
  y,
  width,
  height,
  className,
  fill,
  label,
  tip,
  testid,
  open,
  onRing,
}: Ring & {
  className: string;
  fill?: string;
  label: string;
  tip: string;
  testid: string;
  open: () => void;
  onRing: (r: Ring | null) => void;
}) {
  return (
    <Bar
      x={x}
      y={y}
      width={Math.max(width, 0)}
      height={Math.max(height, 0)}
      className={`dash-bar ${className}`}
      fill={fill}
      role="button"
      tabIndex={0}
      aria-label={label}
      data-testid={testid}
      onClick={open}
      onKeyDown={barKeys(open)}
      onFocus={() => onRing({ x, y, width, height })}
      onBlur={() => onRing(null)}
    >
      <title>{tip}</title>
    </Bar>
  );
}

function FocusRing({ ring }: { ring: Ring | null }) {
  if (!ring) return null;
  return <rect className="dash-ring" x={ring.x - 3} y={ring.y - 3} width={ring.width + 6} height={ring.height + 6} rx={3} aria-hidden="true" />;
}

/** A count cell of a table: a button opening its tasks when there are any. */
function CountCell({ count, label, open, interactive, testid }: { count: number; label: string; open: () => void; interactive: boolean; testid?: string }) {
  return (
    <td className="num">
      {interactive && count > 0 ? (
        <button className="link" onClick={open} aria-label={label} data-testid={testid}>
          {formatNumber(count)}
        </button>
      ) : (
        formatNumber(count)
      )}
    </td>
  );
}

// ---------- horizontal bars (annotators, labels) ----------

interface HRow {
  key: string;
  name: string;
  value: number;
  className: string;
  fill?: string;
  label: string;
  tip: string;
  testid: string;
  open: () => void;
}

const ROW_H = 26;
const BAR_H = 18;
const AXIS_H = 20;

function HBars({ rows, width, max, name }: { rows: HRow[]; width: number; max: number; name: string }) {
  const [ring, setRing] = useState<Ring | null>(null);
  const nameW = Math.round(Math.min(Math.max(90, width * 0.32), 220));
  const valueW = 56;
  const plotW = Math.max(40, width - nameW - valueW);
  const scale = countScale(max, plotW, Math.max(2, Math.min(5, Math.floor(plotW / 70))));
  const x = scale.at;
  const ticks = scale.ticks;
  const height = rows.length * ROW_H + AXIS_H;
  return (
    <svg className="dash-svg" width={width} height={height} role="group" aria-label={name}>
      <Group left={nameW}>
        {ticks.map((v) => (
          <g key={v} aria-hidden="true">
            <line className="dash-grid-line" x1={x(v)} x2={x(v)} y1={0} y2={rows.length * ROW_H} />
            <text className="dash-axis" x={x(v)} y={rows.length * ROW_H + 14} textAnchor="middle">
              {formatNumber(v)}
            </text>
          </g>
        ))}
      </Group>
      {rows.map((r, i) => {
        const y = i * ROW_H + (ROW_H - BAR_H) / 2;
        return (
          <g key={r.key}>
            <text className="dash-name" x={nameW - 8} y={i * ROW_H + ROW_H / 2} dominantBaseline="central" textAnchor="end" aria-hidden="true">
              <title>{r.name}</title>
              {fitText(r.name, nameW - 12)}
            </text>
            {r.value > 0 && (
              <BarButton
                x={nameW}
                y={y}
                width={Math.max(2, x(r.value))}
                height={BAR_H}
                className={r.className}
                fill={r.fill}
                label={r.label}
                tip={r.tip}
                testid={r.testid}
                open={r.open}
                onRing={setRing}
              />
            )}
            <text
              className={r.value > 0 ? "dash-value" : "dash-value dash-zero"}
              x={nameW + (r.value > 0 ? Math.max(2, x(r.value)) : 0) + 6}
              y={i * ROW_H + ROW_H / 2}
              dominantBaseline="central"
              aria-hidden="true"
            >
              {formatNumber(r.value)}
            </text>
          </g>
        );
      })}
      <FocusRing ring={ring} />
    </svg>
  );
}

// ---------- status per batch ----------

function StatusChart({ stats, tables, onOpen }: { stats: ProjectStats; tables: boolean; onOpen: Open }) {
  const t = useT();
  const { statuses, rows } = statusRows(stats);
  const max = largestBatch(stats);
  const label = (batch: string, status: string, count: number) => t("dash.status.bar", { batch, status: statusLabel(status), count });
  const open = (batchId: string, status: string) => () => onOpen(statusFilter(batchId, status));
  return (
    <ChartBox
      id="dash-status"
      title={t("dash.status.title")}
      tables={tables}
      legend={<Legend items={statuses.map((s) => ({ key: s, name: statusLabel(s), className: statusClass(s) }))} />}
      note={rows.length === 0 ? <p className="muted">{t("dash.status.noBatch")}</p> : undefined}
      table={(interactive) => (
        <table className="simple dash-table">
          <caption className="sr-only">{t("dash.status.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dash.status.batch")}</th>
              {statuses.map((s) => (
                <th key={s} scope="col" className="num">
                  {statusLabel(s)}
                </th>
              ))}
              <th scope="col" className="num">
                {t("dash.status.total")}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.batchId}>
                <th scope="row" className="dash-rowname">
                  {r.name}
                </th>
                {r.cells.map((c) => (
                  <CountCell
                    key={c.status}
                    count={c.count}
                    label={label(r.name, c.status, c.count)}
                    open={open(r.batchId, c.status)}
                    interactive={interactive}
                    testid={`cell-${testId("status", r.batchId, c.status)}`}
                  />
                ))}
                <td className="num">
                  <strong>{formatNumber(r.total)}</strong>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    >
      {(width) => <StackedBars rows={rows} max={max} width={width} label={label} open={open} />}
    </ChartBox>
  );
}

function StackedBars({
  rows,
  max,
  width,
  label,
  open,
}: {
  rows: ReturnType<typeof statusRows>["rows"];
  max: number;
  width: number;
  label: (batch: string, status: string, count: number) => string;
  open: (batchId: string, status: string) => () => void;
}) {
  const t = useT();
  const [ring, setRing] = useState<Ring | null>(null);
  const nameW = Math.round(Math.min(Math.max(90, width * 0.28), 200));
  const valueW = 56;
  const plotW = Math.max(40, width - nameW - valueW);
  const scale = countScale(max, plotW, Math.max(2, Math.min(5, Math.floor(plotW / 70))));
  const x = scale.at;
  const ticks = scale.ticks;
  const height = rows.length * ROW_H + AXIS_H;
  return (
    <svg className="dash-svg" width={width} height={height} role="group" aria-label={t("dash.status.chart")}>
      <Group left={nameW}>
        {ticks.map((v) => (
          <g key={v} aria-hidden="true">
            <line className="dash-grid-line" x1={x(v)} x2={x(v)} y1={0} y2={rows.length * ROW_H} />
            <text className="dash-axis" x={x(v)} y={rows.length * ROW_H + 14} textAnchor="middle">
              {formatNumber(v)}
            </text>
          </g>
        ))}
      </Group>
      {rows.map((r, i) => {
        const y = i * ROW_H + (ROW_H - BAR_H) / 2;
        let at = 0;
        return (
          <g key={r.batchId}>
            <text className="dash-name" x={nameW - 8} y={i * ROW_H + ROW_H / 2} dominantBaseline="central" textAnchor="end" aria-hidden="true">
              <title>{r.name}</title>
              {fitText(r.name, nameW - 12)}
            </text>
            {r.cells
              .filter((c) => c.count > 0)
              .map((c) => {
                const x0 = x(at);
                at += c.count;
                const x1 = x(at);
                return (
                  <BarButton
                    key={c.status}
                    x={nameW + x0}
                    y={y}
                    width={x1 - x0}
                    height={BAR_H}
                    className={`dash-seg ${statusClass(c.status)}`}
                    label={label(r.name, c.status, c.count)}
                    tip={t("dash.status.tip", { batch: r.name, status: statusLabel(c.status), count: c.count })}
                    testid={testId("bar-status", r.batchId, c.status)}
                    open={open(r.batchId, c.status)}
                    onRing={setRing}
                  />
                );
              })}
            <text className="dash-value" x={nameW + x(r.total) + 6} y={i * ROW_H + ROW_H / 2} dominantBaseline="central" aria-hidden="true">
              {formatNumber(r.total)}
            </text>
          </g>
        );
      })}
      <FocusRing ring={ring} />
    </svg>
  );
}

// ---------- created / updated over time ----------

const KINDS: DateKind[] = ["created", "updated"];
const TIME_H = 170;
const Y_AXIS_W = 44;
/** Narrower than this, the bars of a period are too thin to aim at: the chart scrolls. */
const MIN_PERIOD_W = 10;

function TimeChart({ stats, tables, onOpen }: { stats: ProjectStats; tables: boolean; onOpen: Open }) {
  const t = useT();
  const tl = stats.timeline;
  const title =
    tl.step === "week" ? t("dash.time.title.week") : tl.step === "month" ? t("dash.time.title.month") : t("dash.time.title.day");
  const undated = Math.max(tl.undatedCreated, tl.undatedUpdated);
  const kindName = (k: DateKind) => (k === "created" ? t("dash.time.created") : t("dash.time.updated"));
  const label = (b: TimeBucket, k: DateKind) => {
    const period = periodName(b.start, tl.step);
    return k === "created" ? t("dash.time.barCreated", { period, count: b.created }) : t("dash.time.barUpdated", { period, count: b.updated });
  };
  const open = (b: TimeBucket, k: DateKind) => () => onOpen(periodFilter(b, k));
  return (
    <ChartBox
      id="dash-time"
      title={title}
      tables={tables}
      legend={<Legend items={KINDS.map((k) => ({ key: k, name: kindName(k), className: `dash-${k}` }))} />}
      note={
        <>
          <p className="muted small">{t("dash.time.utc")}</p>
          {undated > 0 && <p className="muted small">{t("dash.time.undated", { count: undated })}</p>}
        </>
      }
      table={(interactive) => (
        <table className="simple dash-table">
          <caption className="sr-only">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dash.time.period")}</th>
              {KINDS.map((k) => (
                <th key={k} scope="col" className="num">
                  {kindName(k)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {tl.buckets.map((b) => (
              <tr key={b.start}>
                <th scope="row" className="dash-rowname">
                  {periodName(b.start, tl.step)}
                </th>
                {KINDS.map((k) => (
                  <CountCell
                    key={k}
                    count={k === "created" ? b.created : b.updated}
                    label={label(b, k)}
                    open={open(b, k)}
                    interactive={interactive}
                    testid={`cell-${testId(k, b.start)}`}
                  />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    >
      {(width) => <TimeBars buckets={tl.buckets} step={tl.step} width={width} label={label} open={open} />}
    </ChartBox>
  );
}

function TimeBars({
  buckets,
  step,
  width,
  label,
  open,
}: {
  buckets: TimeBucket[];
  step: ProjectStats["timeline"]["step"];
  width: number;
  label: (b: TimeBucket, k: DateKind) => string;
  open: (b: TimeBucket, k: DateKind) => () => void;
}) {
  const t = useT();
  const [ring, setRing] = useState<Ring | null>(null);
  const wide = (width - Y_AXIS_W) / Math.max(1, buckets.length) < MIN_PERIOD_W;
  const svgW = wide ? Y_AXIS_W + buckets.length * MIN_PERIOD_W + 8 : width;
  const plotW = svgW - Y_AXIS_W - 8;
  const x = bands(buckets.length, plotW, 0.25, 0.1);
  // a short history keeps its bars slim: a pair of bars at most 80 px wide, centred
  const pairW = Math.min(x.bandwidth, 80);
  const inner = bands(KINDS.length, pairW, 0.08);
  const pairAt = (x.bandwidth - pairW) / 2;
  const max = buckets.reduce((m, b) => Math.max(m, b.created, b.updated), 0);
  const scale = countScale(max, TIME_H, 4);
  const y = (v: number) => TIME_H - scale.at(v);
  const ticks = scale.ticks;
  const every = tickEvery(x.step, step === "month" ? 56 : 50);
  const svg = (
    <svg className="dash-svg" width={svgW} height={TIME_H + 28} role="group" aria-label={t("dash.time.chart")}>
      <Group left={Y_AXIS_W} top={4}>
        {ticks.map((v) => (
          <g key={v} aria-hidden="true">
            <line className="dash-grid-line" x1={0} x2={plotW} y1={y(v)} y2={y(v)} />
            <text className="dash-axis" x={-6} y={y(v)} dominantBaseline="central" textAnchor="end">
              {formatNumber(v)}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          const x0 = x.at(i);
          return (
            <g key={b.start}>
              {KINDS.map((k) => {
                const n = k === "created" ? b.created : b.updated;
                if (n <= 0) return null;
                const period = periodName(b.start, step);
                return (
                  <BarButton
                    key={k}
                    x={x0 + pairAt + inner.at(KINDS.indexOf(k))}
                    y={y(n)}
                    width={Math.max(1.5, inner.bandwidth)}
                    height={TIME_H - y(n)}
                    className={`dash-${k}`}
                    label={label(b, k)}
                    tip={k === "created" ? t("dash.time.tipCreated", { period, count: n }) : t("dash.time.tipUpdated", { period, count: n })}
                    testid={testId(`bar-${k}`, b.start)}
                    open={open(b, k)}
                    onRing={setRing}
                  />
                );
              })}
              {i % every === 0 && (
                <text className="dash-axis" x={x0 + x.bandwidth / 2} y={TIME_H + 16} textAnchor="middle" aria-hidden="true">
                  {periodTick(b.start, step)}
                </text>
              )}
            </g>
          );
        })}
        <line className="dash-axis-line" x1={0} x2={plotW} y1={TIME_H} y2={TIME_H} aria-hidden="true" />
        <FocusRing ring={ring} />
      </Group>
    </svg>
  );
  // a long history keeps bars wide enough to aim at: the chart scrolls sideways on its own
  return wide ? (
    <div className="dash-scroll" data-wide>
      {svg}
    </div>
  ) : (
    svg
  );
}

// ---------- last annotator ----------

function AnnotatorChart({ stats, tables, onOpen }: { stats: ProjectStats; tables: boolean; onOpen: Open }) {
  const t = useT();
  const [all, setAll] = useState(false);
  const name = (a: string | null) => a ?? t("dash.annot.none");
  const rows: HRow[] = stats.annotators.map((a, i) => ({
    key: a.annotator ?? "",
    name: name(a.annotator),
    value: a.count,
    className: a.annotator ? "dash-annotator" : "dash-annotator dash-nobody",
    label: t("dash.annot.bar", { name: name(a.annotator), count: a.count }),
    tip: `${name(a.annotator)} · ${t("dash.tasks", { count: a.count })}`,
    testid: testId("bar-annotator", String(i)),
    open: () => onOpen(idsFilter(a.taskIds)),
  }));
  const shown = all ? rows : rows.slice(0, FIRST_ANNOTATORS);
  const max = rows.reduce((m, r) => Math.max(m, r.value), 0);
  return (
    <ChartBox
      id="dash-annotators"
      title={t("dash.annot.title")}
      tables={tables}
      note={
        rows.length > FIRST_ANNOTATORS && !tables ? (
          <button className="link" onClick={() => setAll((v) => !v)} aria-expanded={all} data-testid="dash-annotators-all">
            {all ? t("dash.annot.showFewer", { count: FIRST_ANNOTATORS }) : t("dash.annot.showAll", { count: rows.length })}
          </button>
        ) : undefined
      }
      table={(interactive) => (
        <table className="simple dash-table">
          <caption className="sr-only">{t("dash.annot.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dash.annot.who")}</th>
              <th scope="col" className="num">
                {t("dash.status.total")}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <th scope="row" className="dash-rowname">
                  {r.name}
                </th>
                <CountCell count={r.value} label={r.label} open={r.open} interactive={interactive} testid={`cell-${r.testid}`} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    >
      {(width) => <HBars rows={shown} width={width} max={max} name={t("dash.annot.chart")} />}
    </ChartBox>
  );
}

// ---------- labels ----------

function LabelChart({ stats, tables, onOpen }: { stats: ProjectStats; tables: boolean; onOpen: Open }) {
  const t = useT();
  const labels = labelRows(stats.labels, true);
  const used = labels.some((l) => l.annotations > 0);
  const name = (n: string, id: string) => (id === "" ? t("dash.labels.none") : n || id);
  const rows: HRow[] = labels.map((l) => ({
    key: l.id,
    name: name(l.name, l.id),
    value: l.annotations,
    className: "dash-label",
    fill: l.color,
    label: t("dash.labels.bar", { name: name(l.name, l.id), annotations: l.annotations, tasks: l.tasks }),
    tip: t("dash.labels.tip", { name: name(l.name, l.id), annotations: l.annotations, tasks: l.tasks }),
    testid: testId("bar-label", l.id),
    open: () => onOpen(idsFilter(l.taskIds)),
  }));
  if (!stats.imageTools) {
    return (
      <section className="dash-chart" aria-labelledby="dash-labels-h" data-testid="dash-labels">
        <h3 id="dash-labels-h">{t("dash.labels.title")}</h3>
        <p className="muted">{t("dash.labels.noTool")}</p>
      </section>
    );
  }
  const max = rows.reduce((m, r) => Math.max(m, r.value), 0);
  return (
    <ChartBox
      id="dash-labels"
      title={t("dash.labels.title")}
      tables={tables}
      note={!used ? <p className="muted">{t("dash.labels.noAnnotation")}</p> : undefined}
      table={(interactive) => (
        <table className="simple dash-table">
          <caption className="sr-only">{t("dash.labels.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dash.labels.label")}</th>
              <th scope="col" className="num">
                {t("dash.labels.annotations")}
              </th>
              <th scope="col" className="num">
                {t("dash.labels.inTasks")}
              </th>
            </tr>
          </thead>
          <tbody>
            {labels.map((l, i) => {
              const r = rows[i];
              if (!r) return null;
              return (
                <tr key={l.id}>
                  <th scope="row" className="dash-rowname">
                    <span className="dash-swatch" style={{ background: l.color }} aria-hidden="true" /> {r.name}
                  </th>
                  <td className="num">{l.annotations > 0 ? formatNumber(l.annotations) : t("dash.labels.unused")}</td>
                  <CountCell count={l.tasks} label={r.label} open={r.open} interactive={interactive} testid={`cell-${r.testid}`} />
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    >
      {(width) => <HBars rows={rows} width={width} max={max} name={t("dash.labels.chart")} />}
    </ChartBox>
  );
}
