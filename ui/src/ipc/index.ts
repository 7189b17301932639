// The only module that talks to the Tauri backend. Every call rejects with an AppError.
import { Channel, convertFileSrc } from "@tauri-apps/api/core";
import type { AppError } from "../bindings/AppError";
import type { Batch } from "../bindings/Batch";
import type { BulkPreview } from "../bindings/BulkPreview";
import type { BulkProgress } from "../bindings/BulkProgress";
import type { BulkRequest } from "../bindings/BulkRequest";
import type { BulkResult } from "../bindings/BulkResult";
import type { BulkTarget } from "../bindings/BulkTarget";
import type { ConnectionInfo } from "../bindings/ConnectionInfo";
import type { LoadSummary } from "../bindings/LoadSummary";
import type { Profile } from "../bindings/Profile";
import type { ProfileDraft } from "../bindings/ProfileDraft";
import type { ProfileList } from "../bindings/ProfileList";
import type { Project } from "../bindings/Project";
import type { ProjectFilter } from "../bindings/ProjectFilter";
import type { ProjectOverview } from "../bindings/ProjectOverview";
import type { ProjectStats } from "../bindings/ProjectStats";
import type { RowRange } from "../bindings/RowRange";
import type { SortSpec } from "../bindings/SortSpec";
import type { SavedView } from "../bindings/SavedView";
import type { StatsProgress } from "../bindings/StatsProgress";
import type { TaskPageEvent } from "../bindings/TaskPageEvent";
import type { TaskQuery } from "../bindings/TaskQuery";
import type { TaskVisual } from "../bindings/TaskVisual";
import { invokeRaw, isAppError, toAppError } from "./core";
import { noteCallError, noteCallOk } from "./diagnostics";

export { isAppError, toAppError };

/** Invokes a command; failures are noted (recent errors, offline banner) and rethrown as AppError. */
export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    const out = await invokeRaw<T>(cmd, args);
    noteCallOk(cmd);
    return out;
  } catch (e) {
    // the recent-errors log keeps the English message (for support); the window shows its own
    const raw = e as AppError;
    noteCallError(cmd, raw); // ship: recent-errors log + offline banner
    throw toAppError(raw);
  }
}

export const api = {
  listProfiles: () => call<ProfileList>("list_profiles"),
  addProfile: (draft: ProfileDraft) => call<Profile>("add_profile", { draft }),
  updateProfile: (id: string, draft: ProfileDraft) => call<Profile>("update_profile", { id, draft }),
  removeProfile: (id: string) => call<null>("remove_profile", { id }),
  testConnection: (id: string | null, draft: ProfileDraft) => call<null>("test_connection", { id, draft }),
  connect: (profileId: string) => call<ConnectionInfo>("connect", { profileId }),
  disconnect: () => call<null>("disconnect"),
  currentConnection: () => call<ConnectionInfo | null>("current_connection"),
  listProjects: (filter: ProjectFilter) => call<Project[]>("list_projects", { filter }),
  listBatches: (projectId: string) => call<Batch[]>("list_batches", { projectId }),
  projectOverview: (projectId: string) => call<ProjectOverview>("project_overview", { projectId }),
  /** Rows `start..end` of search `setId` (a `loadTasks` job) in `sort` order. */
  taskRows: (setId: string, sort: SortSpec | null, start: number, end: number) =>
    call<RowRange>("task_rows", { setId, sort, start, end }),
  taskPosition: (setId: string, sort: SortSpec | null, taskId: string) =>
    call<number | null>("task_position", { setId, sort, taskId }),
  /** Every task of the search but `except` ("select all matching"). */
  selectionIds: (setId: string, except: string[]) => call<string[]>("selection_ids", { setId, except }),
  taskNames: (setId: string, ids: string[]) => call<Record<string, string>>("task_names", { setId, ids }),
  /** One task of the search in the search's view (read again from the lab when not kept). */
  taskDoc: (setId: string, taskId: string) => call<unknown>("task_doc", { setId, taskId }),
  /** The address of a task's thumbnail (annotations drawn), made and cached by Rust and
   *  served by the app's `labthumb` protocol; `version` (its updatedAt) makes a changed task
   *  a new address. */
  thumbUrl: (setId: string, taskId: string, version: string, size: number) =>
    `${convertFileSrc(`thumb/${size}/${setId}/${taskId}`, "labthumb")}?v=${encodeURIComponent(version)}`,
  /** The address of a task's image as it is (the viewer), served like the thumbnails. */
  imageUrl: (setId: string, taskId: string, resource: number) =>
    `${convertFileSrc(`image/${resource}/${setId}/${taskId}`, "labthumb")}`,
  /** A task's overlays and whether its images can be shown (read through `imageUrl`). */
  taskVisual: (setId: string, taskId: string) => call<TaskVisual>("task_visual", { setId, taskId }),
  /** Reads tasks again after an action changed them and puts them in place in the search. */
  refreshTasks: (setId: string, ids: string[]) => call<number>("refresh_tasks", { setId, ids }),
  cancelJob: (jobId: string) => call<boolean>("cancel_job", { jobId }),
  resourcePreview: (resource: unknown) => call<string>("resource_preview", { resource }),
  bulkPreview: (projectId: string, target: BulkTarget) => call<BulkPreview>("bulk_preview", { projectId, target }),
  listViews: (projectId: string) => call<SavedView[]>("list_views", { projectId }),
  saveView: (projectId: string, view: SavedView) => call<SavedView[]>("save_view", { projectId, view }),
  deleteView: (projectId: string, name: string) => call<SavedView[]>("delete_view", { projectId, name }),
  /** "Save as CSV" through the native save dialog (proposes `{stem}-{date}.csv`); null when cancelled. */
  saveCsv: (title: string, stem: string, content: string) => call<string | null>("save_csv", { title, stem, content }),

  /** Runs a search whose rows stay in Rust as set `jobId` (read them with `taskRows`);
   *  `onPage` says how far it got. Resolves when all pages arrived or the job was cancelled. */
  loadTasks(jobId: string, query: TaskQuery, onPage: (p: TaskPageEvent) => void): Promise<LoadSummary> {
    const ch = new Channel<TaskPageEvent>();
    ch.onmessage = onPage;
    return call<LoadSummary>("load_tasks", { jobId, query, onPage: ch });
  },

  runBulk(jobId: string, request: BulkRequest, onProgress: (p: BulkProgress) => void): Promise<BulkResult> {
    const ch = new Channel<BulkProgress>();
    ch.onmessage = onProgress;
    return call<BulkResult>("run_bulk", { jobId, request, onProgress: ch });
  },

  /** The project dashboard's figures, read in one pass over every task (job `jobId`: stop it
   *  with `cancelJob`, which rejects with kind "cancelled"); `onProgress` after each page. */
  projectStats(projectId: string, jobId: string, onProgress: (p: StatsProgress) => void): Promise<ProjectStats> {
    const ch = new Channel<StatsProgress>();
    ch.onmessage = onProgress;
    return call<ProjectStats>("project_stats", { projectId, jobId, onProgress: ch });
  },
};

export function newJobId(): string {
  return crypto.randomUUID();
}
