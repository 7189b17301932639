// Details of one task: resources with image preview, data, properties, jobs.
import { useEffect, useRef, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { TaskRow } from "../bindings/TaskRow";
import { ErrorBanner, StatusBadge, formatDate } from "../components/ui";
import { formatNumber, useT } from "../i18n";
import { api, toAppError } from "../ipc";
import { FrameSlider, Legend, Stage, useVisual, type Hidden } from "./Viewer";

function field(doc: unknown, key: string): unknown {
  return typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>)[key] : undefined;
}

export function resourceLabel(r: unknown): string {
  if (typeof r === "string") return r;
  const name = field(r, "name");
  const id = field(r, "id");
  return typeof name === "string" ? name : typeof id === "string" ? id : JSON.stringify(r);
}

function Json({ value, label, empty }: { value: unknown; label: string; empty: string }) {
  if (value === undefined || value === null) return <p className="muted small">{empty}</p>;
  return (
    <pre tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Score and custom properties as a table. */
function PropertiesTable({ value }: { value: unknown }) {
  const t = useT();
  if (typeof value !== "object" || value === null) return <p className="muted small">{t("detail.noProperties")}</p>;
  const score = field(value, "score");
  const custom = field(value, "custom");
  const entries: [string, unknown][] = [];
  if (score !== undefined && score !== null) entries.push([t("table.col.score"), score]);
  if (typeof custom === "object" && custom !== null) entries.push(...Object.entries(custom as Record<string, unknown>));
  if (entries.length === 0) return <p className="muted small">{t("detail.noProperties")}</p>;
  return (
    <table className="simple small" data-testid="properties-table">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{typeof v === "number" ? formatNumber(v) : typeof v === "string" ? v : JSON.stringify(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Jobs: status, who completed it and when. */
function JobsList({ value }: { value: unknown }) {
  const t = useT();
  if (!Array.isArray(value) || value.length === 0) return <p className="muted small">{t("detail.noJobs")}</p>;
  return (
    <table className="simple small" data-testid="jobs-table">
      <thead>
        <tr>
          <th scope="col">{t("detail.jobStatus")}</th>
          <th scope="col">{t("detail.jobBy")}</th>
          <th scope="col">{t("detail.jobAt")}</th>
        </tr>
      </thead>
      <tbody>
        {value.map((j, i) => {
          const state = field(j, "state");
          const by = field(field(state, "completedBy"), "email");
          const at = field(state, "completedAt");
          return (
            <tr key={i}>
              <td>{String(field(j, "status") ?? "")}</td>
              <td>{typeof by === "string" ? by : "—"}</td>
              <td>{typeof at === "string" ? formatDate(at) : "—"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The task's image with its annotations, the legend and the frame slider. */
function Annotations({
  setId,
  row,
  hidden,
  setHidden,
  onFullScreen,
}: {
  setId: string;
  row: TaskRow;
  hidden: Hidden;
  setHidden: (h: Hidden) => void;
  onFullScreen: () => void;
}) {
  const t = useT();
  const { visual: seen, current, error } = useVisual(setId, row.id, row.updatedAt);
  const visual = current ? seen : null;
  const [frame, setFrame] = useState(0);
  if (error) return <ErrorBanner error={toAppError(error)} />;
  if (!visual) return <p className="muted small">{t("detail.loadingPreview")}</p>;
  const frames = Math.max(1, visual.overlays.frames, visual.images.length);
  const tools = visual.overlays.tools;
  return (
    <div className="annotations" data-testid="annotations">
      <div className="row">
        <h3 style={{ margin: 0 }}>{t("viewer.annotations", { count: tools.reduce((n, x) => n + x.labels.reduce((m, l) => m + l.count, 0), 0) })}</h3>
        <span className="spacer" />
        <button onClick={onFullScreen} data-testid="open-full-viewer" title={t("viewer.fullKeys")}>
          {t("viewer.fullScreen")}
        </button>
      </div>
      <Stage setId={setId} visual={visual} frame={frame} hidden={hidden} zoom="fit" />
      {frames > 1 && <FrameSlider frame={frame} frames={frames} setFrame={setFrame} />}
      {tools.length > 0 ? (
        <Legend tools={tools} hidden={hidden} setHidden={setHidden} />
      ) : (
        <p className="muted small">{t("viewer.noImageTool")}</p>
      )}
      {tools.some((x) => x.warnings.length > 0) && (
        <p className="small muted" data-testid="overlay-warnings">
          {t("viewer.warnings", { count: tools.reduce((n, x) => n + x.warnings.length, 0) })}
        </p>
      )}
    </div>
  );
}

export function DetailDrawer({
  setId,
  row,
  batchName,
  onClose,
  hidden,
  setHidden,
  onFullScreen,
}: {
  /** The search the task was found by: its document is read from there. */
  setId: string;
  row: TaskRow;
  batchName: (id: string) => string;
  onClose: () => void;
  hidden: Hidden;
  setHidden: (h: Hidden) => void;
  onFullScreen: () => void;
}) {
  const [doc, setDoc] = useState<unknown>(undefined);
  const [docError, setDocError] = useState<AppError | null>(null);
  useEffect(() => {
    let live = true;
    api.taskDoc(setId, row.id).then(
      (d) => {
        if (!live) return;
        setDoc(d);
        setDocError(null);
      },
      (e: AppError) => live && setDocError(e),
    );
    return () => {
      live = false;
    };
  }, [setId, row.id, row.updatedAt]);
  const resources = field(doc, "resources");
  const list = Array.isArray(resources) ? resources : [];
  const t = useT();
  // When the drawer goes away, focus returns to where it was when the drawer opened (the table)
  // instead of being lost with the close button.
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    opener.current = document.activeElement;
    return () => {
      const back = opener.current;
      const lost = document.activeElement === null || document.activeElement === document.body;
      if (lost && back instanceof HTMLElement && back.isConnected) back.focus();
    };
  }, []);
  return (
    <aside
      className="drawer"
      aria-label={t("detail.label", { name: row.name })}
      data-testid="drawer"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <div className="row">
        <h2 style={{ margin: 0, overflowWrap: "anywhere" }}>{row.name}</h2>
        <span className="spacer" />
        <button onClick={onClose} aria-label={t("detail.close")} title={t("detail.close")} data-testid="drawer-close">
          ✕
        </button>
      </div>
      <dl className="props">
        <dt>{t("table.col.status")}</dt>
        <dd>
          <StatusBadge status={row.status} />
        </dd>
        <dt>{t("table.col.batch")}</dt>
        <dd>{batchName(row.batchId)}</dd>
        <dt>{t("table.col.id")}</dt>
        <dd className="mono">{row.id}</dd>
        <dt>{t("table.col.created")}</dt>
        <dd>{formatDate(row.createdAt)}</dd>
        <dt>{t("table.col.updated")}</dt>
        <dd>{formatDate(row.updatedAt)}</dd>
        <dt>{t("table.col.lastAnnotator")}</dt>
        <dd>{row.lastAnnotator ?? "—"}</dd>
      </dl>
      <Annotations setId={setId} row={row} hidden={hidden} setHidden={setHidden} onFullScreen={onFullScreen} />
      <h3>{t("detail.resources", { count: list.length })}</h3>
      {list.length === 0 ? (
        <p className="muted small">{t("detail.noResource")}</p>
      ) : (
        <ol className="small mono resources">
          {list.map((r, i) => (
            <li key={i} style={{ overflowWrap: "anywhere" }}>
              {resourceLabel(r)}
            </li>
          ))}
        </ol>
      )}
      <h3>{t("detail.properties")}</h3>
      <PropertiesTable value={field(doc, "properties")} />
      <h3>{t("detail.jobs")}</h3>
      <JobsList value={field(doc, "jobs")} />
      <details>
        <summary>{t("detail.data")}</summary>
        <Json value={field(doc, "data")} label={t("detail.data")} empty={t("detail.noData")} />
      </details>
      <details>
        <summary>{t("detail.whole")}</summary>
        <Json value={doc} label={t("detail.task")} empty={t("detail.noTask")} />
      </details>
      <ErrorBanner error={docError} />
    </aside>
  );
}
