// Top level: start-up connection, navigation between screens.
import { useCallback, useEffect, useState } from "react";
import type { AppError } from "./bindings/AppError";
import type { ConnectionInfo } from "./bindings/ConnectionInfo";
import { api } from "./ipc";
import { ConnectionScreen } from "./screens/Connection";
import { ProjectsScreen } from "./screens/Projects";
import { ProjectScreen } from "./screens/Project";
import { TaskBrowser } from "./screens/TaskBrowser";

export type Route =
  | { kind: "starting" }
  | { kind: "connect"; error?: AppError | null }
  | { kind: "projects" }
  | { kind: "project"; projectId: string; projectName: string }
  | { kind: "tasks"; projectId: string; projectName: string; batchId?: string };

export function App() {
  const [route, setRoute] = useState<Route>({ kind: "starting" });
  const [conn, setConn] = useState<ConnectionInfo | null>(null);

  // On start: connect to the last used profile, or to the local sandbox when there is none.
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const list = await api.listProfiles();
        const info = await api.connect(list.defaultProfileId);
        if (!live) return;
        setConn(info);
        setRoute({ kind: "projects" });
      } catch (e) {
        if (!live) return;
        setRoute({ kind: "connect", error: e as AppError });
      }
    })();
    return () => {
      live = false;
    };
  }, []);

  const onConnected = useCallback((info: ConnectionInfo) => {
    setConn(info);
    setRoute({ kind: "projects" });
  }, []);

  useEffect(() => {
    const name =
      route.kind === "project" || route.kind === "tasks"
        ? route.projectName
        : route.kind === "connect"
          ? "Connection"
          : route.kind === "projects"
            ? "Projects"
            : "Starting";
    document.title = `${name} · Lab Desk`;
  }, [route]);

  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">
          <img src="/icon.png" alt="" /> Lab Desk
        </span>
        <nav className="crumbs" aria-label="Where you are">
          {conn && route.kind !== "connect" && route.kind !== "starting" && (
            <button onClick={() => setRoute({ kind: "projects" })} aria-current={route.kind === "projects" ? "page" : undefined}>
              Projects
            </button>
          )}
          {(route.kind === "project" || route.kind === "tasks") && (
            <>
              <span aria-hidden="true">›</span>
              <button
                onClick={() => setRoute({ kind: "project", projectId: route.projectId, projectName: route.projectName })}
                aria-current={route.kind === "project" ? "page" : undefined}
              >
                {route.projectName}
              </button>
            </>
          )}
          {route.kind === "tasks" && (
            <>
              <span aria-hidden="true">›</span>
              <span aria-current="page">Tasks</span>
            </>
          )}
        </nav>
        <span className="spacer" />
        {conn && route.kind === "connect" && (
          <button onClick={() => setRoute({ kind: "projects" })}>Back to projects</button>
        )}
        {conn && route.kind !== "connect" && (
          <>
            <span className="muted small" data-testid="connected-as">
              Connected: <strong>{conn.profile.name}</strong>
            </span>
            <button onClick={() => setRoute({ kind: "connect" })}>Profiles…</button>
          </>
        )}
      </header>
      {route.kind === "starting" && (
        <main className="main">
          <p className="muted" role="status">
            Connecting…
          </p>
        </main>
      )}
      {route.kind === "connect" && (
        <main className="main">
          <ConnectionScreen
            current={conn}
            initialError={route.error ?? null}
            onConnected={onConnected}
            onDisconnected={() => setConn(null)}
          />
        </main>
      )}
      {route.kind === "projects" && (
        <main className="main">
          <ProjectsScreen onOpen={(p) => setRoute({ kind: "project", projectId: p.id, projectName: p.name })} />
        </main>
      )}
      {route.kind === "project" && (
        <main className="main">
          <ProjectScreen
            projectId={route.projectId}
            onBrowse={(batchId) =>
              setRoute({ kind: "tasks", projectId: route.projectId, projectName: route.projectName, batchId })
            }
          />
        </main>
      )}
      {route.kind === "tasks" && (
        <main className="main fill">
          <TaskBrowser
            key={`${route.projectId}:${route.batchId ?? ""}`}
            projectId={route.projectId}
            initialBatchId={route.batchId}
          />
        </main>
      )}
    </div>
  );
}
