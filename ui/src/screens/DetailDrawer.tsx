// Details of one task: resources with image preview, data, properties, jobs.
import { useEffect, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { TaskRow } from "../bindings/TaskRow";
import { ErrorBanner, StatusBadge, formatDate } from "../components/ui";
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

function Json({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return <p className="muted small">No {label.toLowerCase()} loaded.</p>;
  return (
    <pre tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

function Preview({ resource }: { resource: unknown }) {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
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
  if (error) return <p className="muted small">No preview: {error.message}</p>;
  if (!src) return <p className="muted small">Loading preview…</p>;
  return <img className="preview" src={src} alt={`Preview of ${resourceLabel(resource)}`} />;
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
  return (
    <aside
      className="drawer"
      aria-label={`Task ${row.name}`}
      data-testid="drawer"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <div className="row">
        <h2 style={{ margin: 0, overflowWrap: "anywhere" }}>{row.name}</h2>
        <span className="spacer" />
        <button onClick={onClose} aria-label="Close the details">
          ✕
        </button>
      </div>
      <dl className="props">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={row.status} />
        </dd>
        <dt>Batch</dt>
        <dd>{batchName(row.batchId)}</dd>
        <dt>Task id</dt>
        <dd className="mono">{row.id}</dd>
        <dt>Created</dt>
        <dd>{formatDate(row.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatDate(row.updatedAt)}</dd>
        <dt>Last annotator</dt>
        <dd>{row.lastAnnotator ?? "—"}</dd>
      </dl>
      <h3>Resources ({list.length})</h3>
      {list.length === 0 && <p className="muted small">No resource.</p>}
      {list.length > 1 && (
        <div className="row">
          <label htmlFor="res-pick">Show</label>
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
      <h3>Data</h3>
      <Json value={field(row.doc, "data")} label="Data" />
      <h3>Properties</h3>
      <Json value={field(row.doc, "properties")} label="Properties" />
      <h3>Jobs</h3>
      <Json value={field(row.doc, "jobs")} label="Jobs" />
      <details>
        <summary>Whole task as shown in this view</summary>
        <Json value={row.doc} label="Task" />
      </details>
      <ErrorBanner error={null} />
    </aside>
  );
}
