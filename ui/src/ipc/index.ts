// The only module that talks to the Tauri backend. Every call rejects with an AppError. The
// commands and their types are generated from Rust (./commands); this adds the notes and channels.
import { Channel, convertFileSrc } from "@tauri-apps/api/core";
import type { AppError } from "../bindings/AppError";
import type { BulkProgress } from "../bindings/BulkProgress";
import type { BulkRequest } from "../bindings/BulkRequest";
import type { BulkResult } from "../bindings/BulkResult";
import type { LoadSummary } from "../bindings/LoadSummary";
import type { ProjectStats } from "../bindings/ProjectStats";
import type { StatsProgress } from "../bindings/StatsProgress";
import type { TaskPageEvent } from "../bindings/TaskPageEvent";
import type { TaskQuery } from "../bindings/TaskQuery";
import { commands, type CommandName } from "./commands";
import { invokeRaw, isAppError, toAppError } from "./core";
import { noteCallError, noteCallOk } from "./diagnostics";

export { isAppError, toAppError };

/** Invokes a command; failures are noted (recent errors, offline banner) and rethrown as AppError. */
export async function call<T>(cmd: CommandName, args?: Record<string, unknown>): Promise<T> {
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

/** Every window command, typed from its Rust signature (./commands, generated); failures are
 *  noted and rethrown as AppError in the user's language. */
export const backend = commands(call);

/** A channel that hands each message to `on`. */
export function channel<T>(on: (message: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = on;
  return ch;
}

export const api = {
  listProfiles: backend.listProfiles,
  addProfile: backend.addProfile,
  updateProfile: backend.updateProfile,
  removeProfile: backend.removeProfile,
  testConnection: backend.testConnection,
  connect: backend.connect,
  disconnect: backend.disconnect,
  currentConnection: backend.currentConnection,
  listProjects: backend.listProjects,
  listBatches: backend.listBatches,
  projectOverview: backend.projectOverview,
  /** Rows `start..end` of search `setId` (a `loadTasks` job) in `sort` order. */
  taskRows: backend.taskRows,
  taskPosition: backend.taskPosition,
  /** Every task of the search but `except` ("select all matching"). */
  selectionIds: backend.selectionIds,
  taskNames: backend.taskNames,
  /** One task of the search in the search's view (read again from the lab when not kept). */
  taskDoc: backend.taskDoc,
  /** The address of a task's thumbnail (annotations drawn), made and cached by Rust and
   *  served by the app's `labthumb` protocol; `version` (its updatedAt) makes a changed task
   *  a new address. */
  thumbUrl: (setId: string, taskId: string, version: string, size: number) =>
    `${convertFileSrc(`thumb/${size}/${setId}/${taskId}`, "labthumb")}?v=${encodeURIComponent(version)}`,
  /** The address of a task's image as it is (the viewer), served like the thumbnails. */
  imageUrl: (setId: string, taskId: string, resource: number) =>
    `${convertFileSrc(`image/${resource}/${setId}/${taskId}`, "labthumb")}`,
  /** A task's overlays and whether its images can be shown (read through `imageUrl`). */
  taskVisual: backend.taskVisual,
  /** Reads tasks again after an action changed them and puts them in place in the search. */
  refreshTasks: backend.refreshTasks,
  cancelJob: backend.cancelJob,
  resourcePreview: backend.resourcePreview,
  bulkPreview: backend.bulkPreview,
  listViews: backend.listViews,
  saveView: backend.saveView,
  deleteView: backend.deleteView,
  /** "Save as CSV" through the native save dialog (proposes `{stem}-{date}.csv`); null when cancelled. */
  saveCsv: backend.saveCsv,

  /** Runs a search whose rows stay in Rust as set `jobId` (read them with `taskRows`);
   *  `onPage` says how far it got. Resolves when all pages arrived or the job was cancelled. */
  loadTasks: (jobId: string, query: TaskQuery, onPage: (p: TaskPageEvent) => void): Promise<LoadSummary> =>
    backend.loadTasks(jobId, query, channel(onPage)),

  runBulk: (jobId: string, request: BulkRequest, onProgress: (p: BulkProgress) => void): Promise<BulkResult> =>
    backend.runBulk(jobId, request, channel(onProgress)),

  /** The project dashboard's figures, read in one pass over every task (job `jobId`: stop it
   *  with `cancelJob`, which rejects with kind "cancelled"); `onProgress` after each page. */
  projectStats: (projectId: string, jobId: string, onProgress: (p: StatsProgress) => void): Promise<ProjectStats> =>
    backend.projectStats(projectId, jobId, channel(onProgress)),
};

export function newJobId(): string {
  return crypto.randomUUID();
}
