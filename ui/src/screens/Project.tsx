// Project view: configuration summary and batches with task counts by status.
import { useEffect, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { ProjectOverview } from "../bindings/ProjectOverview";
import { ErrorBanner, formatDate, statusLabel } from "../components/ui";
import { TASK_STATUSES } from "../lib/filterForm";
import { api } from "../ipc";
import { typeLabel } from "./Projects";

export function ProjectScreen({ projectId, onBrowse }: { projectId: string; onBrowse: (batchId?: string) => void }) {
  const [ov, setOv] = useState<ProjectOverview | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .projectOverview(projectId)
      .then((o) => live && (setOv(o), setError(null)))
      .catch((e: AppError) => live && setError(e));
    return () => {
      live = false;
    };
  }, [projectId, attempt]);

  if (error) return <ErrorBanner error={error} onRetry={() => setAttempt((a) => a + 1)} />;
  if (!ov) return <p className="muted">Loading the project…</p>;

  const totals = TASK_STATUSES.map((s) => ov.batches.reduce((n, b) => n + (b.counts.find((c) => c.status === s)?.count ?? 0), 0));
  const total = ov.batches.reduce((n, b) => n + b.total, 0);
  const lists = [...new Set(ov.summary.labels.map((l) => l.list))];

  return (
    <div className="stack">
      <div className="row">
        <h1 style={{ margin: 0 }}>{ov.project.name}</h1>
        <span className="spacer" />
        <button className="primary" onClick={() => onBrowse()} autoFocus>
          Browse all tasks
        </button>
      </div>
      <section className="card" aria-labelledby="cfg-h">
        <h2 id="cfg-h" style={{ marginTop: 0 }}>
          Configuration
        </h2>
        <dl className="props">
          <dt>Type</dt>
          <dd data-testid="project-type">{typeLabel(ov.summary.projectType)}</dd>
          <dt>Status</dt>
          <dd>{ov.project.status}</dd>
          <dt>Sequences</dt>
          <dd>{ov.summary.sequence ? "Yes (video-like sequences of images)" : "No"}</dd>
          <dt>Created</dt>
          <dd>{formatDate(ov.project.createdAt)}</dd>
        </dl>
        {ov.summary.labels.length === 0 ? (
          <p className="muted">This project has no labels.</p>
        ) : (
          lists.map((list) => (
            <div key={list}>
              <h3>Labels{lists.length > 1 ? `: ${list}` : ""}</h3>
              <div>
                {ov.summary.labels
                  .filter((l) => l.list === list)
                  .map((l) => (
                    <span key={`${l.list}:${l.id}`} className="chip">
                      <span className="swatch" style={{ background: l.color ?? "transparent" }} aria-hidden="true" />
                      {l.name}
                    </span>
                  ))}
              </div>
            </div>
          ))
        )}
      </section>
      <section aria-labelledby="batches-h">
        <h2 id="batches-h">Batches</h2>
        {ov.batches.length === 0 ? (
          <p className="muted">No batch yet.</p>
        ) : (
          <table className="simple" data-testid="batches">
            <thead>
              <tr>
                <th scope="col">Batch</th>
                {TASK_STATUSES.map((s) => (
                  <th key={s} scope="col" className="num">
                    {statusLabel(s)}
                  </th>
                ))}
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {ov.batches.map((b) => (
                <tr key={b.batch.id}>
                  <th scope="row" style={{ fontWeight: "normal" }}>
                    {b.batch.name}
                  </th>
                  {TASK_STATUSES.map((s) => (
                    <td key={s} className="num">
                      {b.counts.find((c) => c.status === s)?.count ?? 0}
                    </td>
                  ))}
                  <td className="num">
                    <strong>{b.total}</strong>
                  </td>
                  <td>
                    <button onClick={() => onBrowse(b.batch.id)} aria-label={`Browse tasks of ${b.batch.name}`}>
                      Browse
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">All batches</th>
                {totals.map((n, i) => (
                  <td key={TASK_STATUSES[i]} className="num">
                    {n}
                  </td>
                ))}
                <td className="num">
                  <strong>{total}</strong>
                </td>
                <td />
              </tr>
            </tfoot>
          </table>
        )}
      </section>
    </div>
  );
}
