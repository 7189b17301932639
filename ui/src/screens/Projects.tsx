// Project picker: search, type and status.
import { useEffect, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { Project } from "../bindings/Project";
import { ErrorBanner, formatDate } from "../components/ui";
import { t, useT, type MessageKey } from "../i18n";
import { api } from "../ipc";

/** Project types and the catalogue key of their label (show them with `typeLabel`). */
export const PROJECT_TYPES: [string, MessageKey][] = [
  ["form", "projects.type.form"],
  ["iat-rectangle", "projects.type.rectangle"],
  ["iat-polygon", "projects.type.polygon"],
  ["iat-segmentation", "projects.type.segmentation"],
  ["iat-graph", "projects.type.graph"],
  ["iat-polyline", "projects.type.polyline"],
];
export const PROJECT_STATUSES = ["configuring", "pending", "complete", "toBeDeleted", "deleted", "archived"];
const STATUS_KEYS: Record<string, MessageKey> = {
  configuring: "projects.status.configuring",
  pending: "projects.status.pending",
  complete: "projects.status.complete",
  toBeDeleted: "projects.status.toBeDeleted",
  deleted: "projects.status.deleted",
  archived: "projects.status.archived",
};

export function typeLabel(type: string | null | undefined): string {
  const key = PROJECT_TYPES.find(([k]) => k === type)?.[1];
  return key ? t(key) : (type ?? "");
}

export function projectStatusLabel(status: string | null | undefined): string {
  const key = status ? STATUS_KEYS[status] : undefined;
  return key ? t(key) : (status ?? "");
}

export function ProjectsScreen({ onOpen }: { onOpen: (p: Project) => void }) {
  const [search, setSearch] = useState("");
  const [type, setType] = useState("");
  const [status, setStatus] = useState("");
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const tr = useT();

  useEffect(() => {
    let live = true;
    const timer = window.setTimeout(async () => {
      try {
        const list = await api.listProjects({
          ids: [],
          statuses: status ? [status] : [],
          types: type ? [type] : [],
          search: search.trim() || null,
        });
        if (live) {
          setProjects(list);
          setError(null);
        }
      } catch (e) {
        if (live) setError(e as AppError);
      }
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [search, type, status, attempt]);

  return (
    <div className="stack">
      <h1>{tr("projects.title")}</h1>
      <div className="row" role="search">
        <label className="sr-only" htmlFor="proj-search">
          {tr("projects.search")}
        </label>
        <input
          id="proj-search"
          type="search"
          placeholder={tr("projects.searchPlaceholder")}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          style={{ minWidth: 260 }}
          autoFocus
        />
        <label htmlFor="proj-type">{tr("projects.type")}</label>
        <select id="proj-type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">{tr("projects.anyType")}</option>
          {PROJECT_TYPES.map(([k, v]) => (
            <option key={k} value={k}>
              {tr(v)}
            </option>
          ))}
        </select>
        <label htmlFor="proj-status">{tr("projects.status")}</label>
        <select id="proj-status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{tr("projects.anyStatus")}</option>
          {PROJECT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {projectStatusLabel(s)}
            </option>
          ))}
        </select>
      </div>
      <ErrorBanner error={error} onRetry={() => setAttempt((a) => a + 1)} />
      {projects === null && !error && <p className="muted" role="status">{tr("projects.loading")}</p>}
      {projects && projects.length === 0 && <p className="muted" role="status">{tr("projects.none")}</p>}
      {projects && projects.length > 0 && (
        <table className="simple" data-testid="projects">
          <thead>
            <tr>
              <th scope="col">{tr("projects.colName")}</th>
              <th scope="col">{tr("projects.type")}</th>
              <th scope="col">{tr("projects.status")}</th>
              <th scope="col">{tr("projects.colLastChange")}</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => (
              <tr key={p.id} className="clickable" onClick={() => onOpen(p)}>
                <td>
                  <button
                    className="link"
                    onClick={(e) => {
                      e.stopPropagation();
                      onOpen(p);
                    }}
                    data-project-id={p.id}
                  >
                    {p.name}
                  </button>
                </td>
                <td>{typeLabel(p.projectType)}</td>
                <td>{projectStatusLabel(p.status)}</td>
                <td>{formatDate(p.updatedAt ?? p.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
