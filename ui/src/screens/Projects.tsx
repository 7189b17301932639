// Project picker: search, type and status.
import { useEffect, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { Project } from "../bindings/Project";
import { ErrorBanner, formatDate } from "../components/ui";
import { api } from "../ipc";

export const PROJECT_TYPES: [string, string][] = [
  ["form", "Form"],
  ["iat-rectangle", "Image: rectangles"],
  ["iat-polygon", "Image: polygons"],
  ["iat-segmentation", "Image: segmentation"],
  ["iat-graph", "Image: graph"],
  ["iat-polyline", "Image: polylines"],
];
export const PROJECT_STATUSES = ["configuring", "pending", "complete", "toBeDeleted", "deleted", "archived"];

export function typeLabel(t: string | null | undefined): string {
  return PROJECT_TYPES.find(([k]) => k === t)?.[1] ?? t ?? "";
}

export function ProjectsScreen({ onOpen }: { onOpen: (p: Project) => void }) {
  const [search, setSearch] = useState("");
  const [type, setType] = useState("");
  const [status, setStatus] = useState("");
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    const t = window.setTimeout(async () => {
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
      window.clearTimeout(t);
    };
  }, [search, type, status, attempt]);

  return (
    <div className="stack">
      <h1>Projects</h1>
      <div className="row" role="search">
        <label className="sr-only" htmlFor="proj-search">
          Search projects
        </label>
        <input
          id="proj-search"
          type="search"
          placeholder="Search by name…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          style={{ minWidth: 260 }}
          autoFocus
        />
        <label htmlFor="proj-type">Type</label>
        <select id="proj-type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">Any type</option>
          {PROJECT_TYPES.map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
        <label htmlFor="proj-status">Status</label>
        <select id="proj-status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Any status</option>
          {PROJECT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ErrorBanner error={error} onRetry={() => setAttempt((a) => a + 1)} />
      {projects === null && !error && <p className="muted">Loading projects…</p>}
      {projects && projects.length === 0 && <p className="muted">No project matches. Try another search.</p>}
      {projects && projects.length > 0 && (
        <table className="simple" data-testid="projects">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Last change</th>
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
                <td>{p.status}</td>
                <td>{formatDate(p.updatedAt ?? p.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
