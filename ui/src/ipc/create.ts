// "Create tasks": pre-flight, jobs and the window's file drag-and-drop. Every call rejects with
// an AppError.
//
// Drag-and-drop arrives as the webview's drag-drop events (onDragDropEvent: listen + unlisten).
// The window tests deliver "tauri://drag-drop" with file paths the way the OS does.
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { BatchTarget } from "../bindings/BatchTarget";
import type { DuplicatePolicy } from "../bindings/DuplicatePolicy";
import type { ItemView } from "../bindings/ItemView";
import type { JobInfo } from "../bindings/JobInfo";
import type { JobProgress } from "../bindings/JobProgress";
import type { PreflightView } from "../bindings/PreflightView";
import type { RunResult } from "../bindings/RunResult";
import type { StartRequest } from "../bindings/StartRequest";
import type { Thumb } from "../bindings/Thumb";
import { backend, channel, toAppError } from "./index";

export type { BatchTarget, DuplicatePolicy, ItemView, JobInfo, JobProgress, PreflightView, RunResult, StartRequest, Thumb };

export const createApi = {
  scan: backend.createScan,
  loadList: backend.createLoadList,
  rename: backend.createRename,
  setSkip: backend.createSetSkip,
  skipInvalid: backend.createSkipInvalid,
  close: backend.createClose,
  check: backend.createCheck,
  thumbnails: backend.createThumbnails,
  pause: backend.createPause,
  cancel: backend.createCancel,
  unfinished: backend.createUnfinished,
  job: backend.createJob,
  items: backend.createJobItems,
  discard: backend.createDiscard,

  /** Records and runs a job; progress events stream to `onProgress` until it ends. */
  start: (request: StartRequest, onProgress: (p: JobProgress) => void): Promise<RunResult> =>
    backend.createStart(request, channel(onProgress)).then(localizedStop),

  /** Resumes a job (or retries its failed tasks only). */
  resume: (jobId: string, failedOnly: boolean, onProgress: (p: JobProgress) => void): Promise<RunResult> =>
    backend.createResume(jobId, failedOnly, channel(onProgress)).then(localizedStop),
};

/** Why the run stopped, in the user's language (it arrives inside a result, not as a failure). */
export function localizedStop(r: RunResult): RunResult {
  return r.stopped ? { ...r, stopped: toAppError(r.stopped) } : r;
}

export type DropEvent = { type: "enter" } | { type: "over" } | { type: "leave" } | { type: "drop"; paths: string[] };

/** Listens to files dragged over / dropped on the window. Returns the function that stops. */
export async function onFileDrop(handler: (e: DropEvent) => void): Promise<() => void> {
  const unlisten = await getCurrentWebview().onDragDropEvent((ev) => {
    const p = ev.payload;
    if (p.type === "drop") handler({ type: "drop", paths: p.paths });
    else handler({ type: p.type });
  });
  return () => {
    void unlisten();
  };
}
