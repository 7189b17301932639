// Top level: start-up connection, navigation between screens.
import { Fragment, useCallback, useEffect, useState } from "react";
import type { AppError } from "./bindings/AppError";
import type { ConnectionInfo } from "./bindings/ConnectionInfo";
import { Preferences } from "./components/Preferences";
import { OfflineBanner, StartupNotice } from "./components/ShipBanners";
import { useConnectivity } from "./ipc/diagnostics";
import { AboutDialog } from "./screens/About";
import { loadAppSettings, projectToReopen, rememberProject } from "./lib/appSettings";
import { useLocale, useT } from "./i18n";
import { api } from "./ipc";
import { ConnectionScreen } from "./screens/Connection";
import { ProjectsScreen } from "./screens/Projects";
import { ProjectScreen } from "./screens/Project";
import { TaskBrowser } from "./screens/TaskBrowser";
import { CreateResumeBanner, CreateScreen } from "./screens/Create";
import { ActivityScreen } from "./screens/Activity";
import type { FilterForm } from "./lib/filterForm";

export type Route =
  | { kind: "starting" }
  | { kind: "connect"; error?: AppError | null }
  | { kind: "projects" }
  | { kind: "project"; projectId: string; projectName: string }
  | {
      kind: "tasks";
      projectId: string;
      projectName: string;
      batchId?: string;
      taskIds?: string[];
      /** Opened from a dashboard bar: the filter it stands for. */
      initialForm?: Partial<FilterForm>;
    }
  | { kind: "activity" }
  | { kind: "create"; projectId: string; projectName: string; resumeJobId?: string };

export function App() {
  const [route, setRoute] = useState<Route>({ kind: "starting" });
  const [conn, setConn] = useState<ConnectionInfo | null>(null);
  const t = useT();
  const locale = useLocale();
  const [aboutOpen, setAboutOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const { epoch } = useConnectivity(); // ship: screens reload when the connection comes back

  // On start: connect to the last used profile, or to the local sandbox when there is none.
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const settings = await loadAppSettings(); // ship: language, last project, notices
        if (live) setNotice(settings?.startupNotice ?? null);
        const list = await api.listProfiles();
        const info = await api.connect(list.defaultProfileId);
        if (!live) return;
        setConn(info);
        const last = projectToReopen(settings, info.profile.id);
        setRoute(last ? { kind: "project", projectId: last.projectId, projectName: last.projectName } : { kind: "projects" });
      } catch (e) {
        if (!live) return;
        setRoute({ kind: "connect", error: e as AppError });
      }
    })();
    return () => {
      live = false;
    };
  }, []);

  // ship: remember the open project for the next start
  useEffect(() => {
    if (!conn) return;
    if (route.kind === "project" || route.kind === "tasks" || route.kind === "create") {
      void rememberProject({ profileId: conn.profile.id, projectId: route.projectId, projectName: route.projectName });
    } else if (route.kind === "projects") {
      void rememberProject(null);
    }
  }, [conn, route]);

  const onConnected = useCallback((info: ConnectionInfo) => {
    setConn(info);
    setRoute({ kind: "projects" });
  }, []);

  useEffect(() => {
    const name =
      route.kind === "project" || route.kind === "tasks" || route.kind === "create"
        ? route.projectName
        : route.kind === "connect"
          ? t("app.connection")
          : route.kind === "projects"
            ? t("app.projects")
            : route.kind === "activity"
              ? t("activity.title")
              : t("app.starting");
    document.title = t("app.windowTitle", { page: name });
  }, [route, t, locale]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t("app.skipToContent")}
      </a>
      <header className="topbar">
        <span className="brand">
          <img src="/icon.png" alt="" /> {t("app.name")}
        </span>
        <nav className="crumbs" aria-label={t("app.whereYouAre")}>
          {conn && route.kind !== "connect" && route.kind !== "starting" && (
            <button onClick={() => setRoute({ kind: "projects" })} aria-current={route.kind === "projects" ? "page" : undefined}>
              {t("app.projects")}
            </button>
          )}
          {(route.kind === "project" || route.kind === "tasks" || route.kind === "create") && (
            <>
              <span aria-hidden="true">›</span>
              <button
                onClick={() => setRoute({ kind: "project", projectId: route.projectId, projectName: route.projectName })}
                aria-current={route.kind === "project" ? "page" : undefined}
                className="crumb-project"
                title={route.projectName}
              >
                {route.projectName}
              </button>
            </>
          )}
          {route.kind === "tasks" && (
            <>
              <span aria-hidden="true">›</span>
              <span aria-current="page">{t("app.tasks")}</span>
            </>
          )}
        </nav>
        <span className="spacer" />
        {conn && route.kind === "connect" && (
          <button onClick={() => setRoute({ kind: "projects" })} data-testid="back-to-projects">
            {t("app.backToProjects")}
          </button>
        )}
        {conn && route.kind !== "connect" && (
          <>
            <span
              className="muted small connected-as"
              data-testid="connected-as"
              title={conn.profile.builtin ? t("connection.builtInName") : conn.profile.name}
            >
              <span className="connected-label">{t("app.connectedAs")} </span>
              <strong>{conn.profile.builtin ? t("connection.builtInName") : conn.profile.name}</strong>
            </span>
            <button
              onClick={() => setRoute({ kind: "activity" })}
              data-testid="nav-activity"
              aria-current={route.kind === "activity" ? "page" : undefined}
            >
              {t("activity.nav")}
            </button>
            <button onClick={() => setRoute({ kind: "connect" })} data-testid="nav-profiles">
              {t("app.profiles")}
            </button>
          </>
        )}
        <button onClick={() => setAboutOpen(true)} data-testid="open-about">
          {t("ship.about")}
        </button>
        <Preferences />
      </header>
      <OfflineBanner />
      <StartupNotice notice={notice} />
      {aboutOpen && <AboutDialog onClose={() => setAboutOpen(false)} />}
      <Fragment key={epoch}>
      {route.kind === "starting" && (
        <main className="main" id="main" tabIndex={-1}>
          <p className="muted" role="status">
            {t("app.connecting")}
          </p>
        </main>
      )}
      {route.kind === "connect" && (
        <main className="main" id="main" tabIndex={-1}>
          <ConnectionScreen
            current={conn}
            initialError={route.error ?? null}
            onConnected={onConnected}
            onDisconnected={() => setConn(null)}
          />
        </main>
      )}
      {route.kind === "projects" && (
        <main className="main" id="main" tabIndex={-1}>
          <CreateResumeBanner
            onResume={(j) =>
              setRoute({
                kind: "create",
                projectId: j.job.projectId,
                projectName: j.label.projectName || j.job.projectId,
                resumeJobId: j.job.id,
              })
            }
          />
          <ProjectsScreen onOpen={(p) => setRoute({ kind: "project", projectId: p.id, projectName: p.name })} />
        </main>
      )}
      {route.kind === "project" && (
        <main className="main" id="main" tabIndex={-1}>
          <CreateResumeBanner
            onResume={(j) =>
              setRoute({
                kind: "create",
                projectId: j.job.projectId,
                projectName: j.label.projectName || j.job.projectId,
                resumeJobId: j.job.id,
              })
            }
          />
          <ProjectScreen
            projectId={route.projectId}
            onBrowse={(batchId) =>
              setRoute({ kind: "tasks", projectId: route.projectId, projectName: route.projectName, batchId })
            }
            onBrowseFilter={(initialForm) =>
              setRoute({ kind: "tasks", projectId: route.projectId, projectName: route.projectName, initialForm })
            }
            onCreate={() => setRoute({ kind: "create", projectId: route.projectId, projectName: route.projectName })}
          />
        </main>
      )}
      {route.kind === "create" && (
        <main className="main" id="main" tabIndex={-1}>
          <CreateScreen
            key={`${route.projectId}:${route.resumeJobId ?? ""}`}
            projectId={route.projectId}
            projectName={route.projectName}
            resumeJobId={route.resumeJobId}
            onBack={() => setRoute({ kind: "project", projectId: route.projectId, projectName: route.projectName })}
            onOpenTasks={(batchId) =>
              setRoute({ kind: "tasks", projectId: route.projectId, projectName: route.projectName, batchId })
            }
          />
        </main>
      )}
      {route.kind === "tasks" && (
        <main className="main fill" id="main" tabIndex={-1}>
          <TaskBrowser
            key={`${route.projectId}:${route.batchId ?? ""}:${route.taskIds?.length ?? ""}:${route.initialForm ? JSON.stringify(route.initialForm) : ""}`}
            projectId={route.projectId}
            projectName={route.projectName}
            initialBatchId={route.batchId}
            initialTaskIds={route.taskIds}
            initialForm={route.initialForm}
          />
        </main>
      )}
      {route.kind === "activity" && (
        <main className="main" id="main" tabIndex={-1}>
          <ActivityScreen
            onOpenTasks={(projectId, projectName, taskIds) => setRoute({ kind: "tasks", projectId, projectName, taskIds })}
          />
        </main>
      )}
      </Fragment>
    </div>
  );
}
