// The activity log: entries of the connected profile, each task's result, undo (owner: activity).
import type { ActivityProgress } from "../bindings/ActivityProgress";
import type { UndoDone } from "../bindings/UndoDone";
import { backend, channel } from "./index";

export const activityApi = {
  /** Entries of the connected profile's access id, newest first. */
  list: backend.activityList,
  entry: backend.activityEntry,
  results: backend.activityResults,
  /** What an undo would do now (reads the tasks; changes nothing). */
  planUndo: backend.activityPlanUndo,
  /** Undoes `id`, restoring also the conflicts in `include`; the undo is a new entry. */
  undo: (jobId: string, id: number, include: string[], onProgress: (p: ActivityProgress) => void): Promise<UndoDone> =>
    backend.activityUndo(jobId, id, include, channel(onProgress)),
  /** Writes the entry with one line per task as CSV at `path`. */
  exportCsv: backend.activityExportCsv,
};
