// "Create tasks": pre-flight, jobs and the window's file drag-and-drop. Every call rejects with
// an AppError.
//
// Drag-and-drop arrives as the webview's drag-drop events (onDragDropEvent: listen + unlisten).
// The window tests deliver "tauri://drag-drop" with file paths the way the OS does.
import { Channel } from "@tauri-apps/api/core";
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
import { call, toAppError } from "./index";

export type { BatchTarget, DuplicatePolicy, ItemView, JobInfo, JobProgress, PreflightView, RunResult, StartRequest, Thumb };

export const createApi = {
  scan: (session: string, paths: string[], append: boolean) =>
    call<PreflightView>("create_scan", { session, paths, append }),
  loadList: (session: string, path: string, append: boolean) =>
    call<PreflightView>("create_load_list", { session, path, append }),
  rename: (session: string, idx: number, name: string) => call<PreflightView>("create_rename", { session, idx, name }),
  setSkip: (session: string, idxs: number[], skip: boolean) =>
    call<PreflightView>("create_set_skip", { session, idxs, skip }),
  skipInvalid: (session: string) => call<PreflightView>("create_skip_invalid", { session }),
  close: (session: string) => call<null>("create_close", { session }),
  check: (session: string, projectId: string, batchId: string | null) =>
    call<PreflightView>("create_check", { session, projectId, batchId }),
  thumbnails: (session: string, idxs: number[]) => call<Thumb[]>("create_thumbnails", { session, idxs }),
  pause: (jobId: string) => call<boolean>("create_pause", { jobId }),
  cancel: (jobId: string) => call<boolean>("create_cancel", { jobId }),
  unfinished: () => call<JobInfo[]>("create_unfinished"),
  job: (jobId: string) => call<JobInfo>("create_job", { jobId }),
  items: (jobId: string) => call<ItemView[]>("create_job_items", { jobId }),
  discard: (jobId: string) => call<null>("create_discard", { jobId }),

  /** Records and runs a job; progress events stream to `onProgress` until it ends. */
  start(request: StartRequest, onProgress: (p: JobProgress) => void): Promise<RunResult> {
    const ch = new Channel<JobProgress>();
    ch.onmessage = onProgress;
    return call<RunResult>("create_start", { request, onProgress: ch }).then(localizedStop);
  },

  /** Resumes a job (or retries its failed tasks only). */
  resume(jobId: string, failedOnly: boolean, onProgress: (p: JobProgress) => void): Promise<RunResult> {
    const ch = new Channel<JobProgress>();
    ch.onmessage = onProgress;
    return call<RunResult>("create_resume", { jobId, failedOnly, onProgress: ch }).then(localizedStop);
  },
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
