// Project view: configuration summary and batches with task counts by status.
import { lazy, Suspense, useEffect, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { ProjectOverview } from "../bindings/ProjectOverview";
import { ErrorBanner, formatDate, statusLabel } from "../components/ui";
import { TASK_STATUSES, emptyForm, toTaskFilter, type FilterForm } from "../lib/filterForm";
import type { ExportRecipe } from "../bindings/ExportRecipe";
import { ExportDialog, ExportHistory } from "./ExportDialog";
import { api } from "../ipc";
import { formatNumber, useT } from "../i18n";
import { projectStatusLabel, typeLabel } from "./Projects";

// The dashboard and its charting library load when a project is first opened (a chunk of their own).
const Dashboard = lazy(() => import("./Dashboard").then((m) => ({ default: m.Dashboard })));

export function ProjectScreen({
  projectId,
  onBrowse,
  onBrowseFilter,
  onCreate,
}: {
  projectId: string;
  onBrowse: (batchId?: string) => void;
  /** Opens the task browser with this filter (a dashboard bar). */
  onBrowseFilter: (form: Partial<FilterForm>) => void;
  onCreate?: () => void;
}) {
  const [ov, setOv] = useState<ProjectOverview | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [exportOpen, setExportOpen] = useState<{ again?: ExportRecipe } | null>(null);
  const [exports, setExports] = useState(0);
  const t = useT();

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
  if (!ov) return <p className="muted" role="status">{t("project.loading")}</p>;

  const totals = TASK_STATUSES.map((s) => ov.batches.reduce((n, b) => n + (b.counts.find((c) => c.status === s)?.count ?? 0), 0));
  const total = ov.batches.reduce((n, b) => n + b.total, 0);
  const lists = [...new Set(ov.summary.labels.map((l) => l.list))];

  return (
    <div className="stack">
      <div className="row">
        <h1 style={{ margin: 0 }}>{ov.project.name}</h1>
        <span className="spacer" />
        <button className="primary" onClick={() => onBrowse()} autoFocus data-testid="browse-all">
          {t("project.browseAll")}
        </button>
        <button onClick={() => setExportOpen({})} data-testid="open-export-project">
          {t("export.actionProject")}
        </button>
        {onCreate && (
          <button onClick={onCreate} data-testid="open-create">
            {t("create.open")}
          </button>
        )}
      </div>
      <section className="card" aria-labelledby="cfg-h">
        <h2 id="cfg-h" style={{ marginTop: 0 }}>
          {t("project.configuration")}
        </h2>
        <dl className="props">
          <dt>{t("projects.type")}</dt>
          <dd data-testid="project-type">{typeLabel(ov.summary.projectType)}</dd>
          <dt>{t("projects.status")}</dt>
          <dd>{projectStatusLabel(ov.project.status)}</dd>
          <dt>{t("project.sequences")}</dt>
          <dd>{ov.summary.sequence ? t("project.sequencesYes") : t("project.sequencesNo")}</dd>
          <dt>{t("project.created")}</dt>
          <dd>{formatDate(ov.project.createdAt)}</dd>
        </dl>
        {ov.summary.labels.length === 0 ? (
          <p className="muted">{t("project.noLabels")}</p>
        ) : (
          lists.map((list) => (
            <div key={list}>
              <h3>{lists.length > 1 ? t("project.labelsOf", { list }) : t("project.labels")}</h3>
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
      <Suspense fallback={<p className="muted">{t("dash.starting")}</p>}>
        <Dashboard key={projectId} projectId={projectId} onOpen={onBrowseFilter} />
      </Suspense>
      <section aria-labelledby="batches-h">
        <h2 id="batches-h">{t("project.batches")}</h2>
        {ov.batches.length === 0 ? (
          <p className="muted">{t("project.noBatch")}</p>
        ) : (
          <table className="simple" data-testid="batches">
            <thead>
              <tr>
                <th scope="col">{t("project.batch")}</th>
                {TASK_STATUSES.map((s) => (
                  <th key={s} scope="col" className="num">
                    {statusLabel(s)}
                  </th>
                ))}
                <th scope="col" className="num">
                  {t("project.total")}
                </th>
                <th scope="col">
                  <span className="sr-only">{t("project.actions")}</span>
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
                      {formatNumber(b.counts.find((c) => c.status === s)?.count ?? 0)}
                    </td>
                  ))}
                  <td className="num">
                    <strong>{formatNumber(b.total)}</strong>
                  </td>
                  <td>
                    <button onClick={() => onBrowse(b.batch.id)} aria-label={t("project.browseBatch", { name: b.batch.name })}>
                      {t("project.browse")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t("project.allBatches")}</th>
                {totals.map((n, i) => (
                  <td key={TASK_STATUSES[i]} className="num">
                    {formatNumber(n)}
                  </td>
                ))}
                <td className="num">
                  <strong>{formatNumber(total)}</strong>
                </td>
                <td />
              </tr>
            </tfoot>
          </table>
        )}
      </section>
      <ExportHistory projectId={projectId} refresh={exports} onAgain={(e) => setExportOpen({ again: e.recipe })} />
      {exportOpen && (
        <ExportDialog
          projectId={projectId}
          filter={toTaskFilter(projectId, emptyForm())}
          wholeProject
          again={exportOpen.again}
          onExported={() => setExports((n) => n + 1)}
          onClose={() => setExportOpen(null)}
        />
      )}
    </div>
  );
}
