// Details of one task: resources with image preview, data, properties, jobs.
import { useEffect, useRef, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { TaskRow } from "../bindings/TaskRow";
import { ErrorBanner, StatusBadge, formatDate } from "../components/ui";
import { useT } from "../i18n";
import { api } from "../ipc";

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

function Preview({ resource }: { resource: unknown }) {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const t = useT();
  useEffect(() => {
    let live = true;
    api
      .resourcePreview(resource)
      .then((s) => live && setSrc(s))
      .catch((e: AppError) => live && setError(e));
    return () => {
      live = false;
    };
  }, [resource]);
  if (error) return <p className="muted small">{t("detail.noPreview", { message: error.message })}</p>;
  if (!src) return <p className="muted small">{t("detail.loadingPreview")}</p>;
  return <img className="preview" src={src} alt={t("detail.previewOf", { name: resourceLabel(resource) })} />;
}

export function DetailDrawer({
  row,
  batchName,
  onClose,
}: {
  row: TaskRow;
  batchName: (id: string) => string;
  onClose: () => void;
}) {
  const resources = field(row.doc, "resources");
  const list = Array.isArray(resources) ? resources : [];
  const [shown, setShown] = useState(0);
  const current = list[shown];
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
      <h3>{t("detail.resources", { count: list.length })}</h3>
      {list.length === 0 && <p className="muted small">{t("detail.noResource")}</p>}
      {list.length > 1 && (
        <div className="row">
          <label htmlFor="res-pick">{t("detail.show")}</label>
          <select id="res-pick" value={shown} onChange={(e) => setShown(Number(e.target.value))}>
            {list.map((r, i) => (
              <option key={i} value={i}>
                {i + 1}. {resourceLabel(r)}
              </option>
            ))}
          </select>
        </div>
      )}
      {current !== undefined && (
        <>
          <p className="small mono" style={{ overflowWrap: "anywhere" }}>
            {resourceLabel(current)}
          </p>
          <Preview key={`${row.id}:${shown}`} resource={current} />
        </>
      )}
      <h3>{t("detail.data")}</h3>
      <Json value={field(row.doc, "data")} label={t("detail.data")} empty={t("detail.noData")} />
      <h3>{t("detail.properties")}</h3>
      <Json value={field(row.doc, "properties")} label={t("detail.properties")} empty={t("detail.noProperties")} />
      <h3>{t("detail.jobs")}</h3>
      <Json value={field(row.doc, "jobs")} label={t("detail.jobs")} empty={t("detail.noJobs")} />
      <details>
        <summary>{t("detail.whole")}</summary>
        <Json value={row.doc} label={t("detail.task")} empty={t("detail.noTask")} />
      </details>
      <ErrorBanner error={null} />
    </aside>
  );
}
