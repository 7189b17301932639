// The activity log: entries of the connected profile, each task's result, undo (owner: activity).
import { Channel } from "@tauri-apps/api/core";
import type { ActivityEntry } from "../bindings/ActivityEntry";
import type { ActivityPage } from "../bindings/ActivityPage";
import type { ActivityProgress } from "../bindings/ActivityProgress";
import type { ActivityQuery } from "../bindings/ActivityQuery";
import type { ActivityResults } from "../bindings/ActivityResults";
import type { UndoDone } from "../bindings/UndoDone";
import type { UndoPlan } from "../bindings/UndoPlan";
import { call } from "./index";

export const activityApi = {
  /** Entries of the connected profile's access id, newest first. */
  list: (query: ActivityQuery) => call<ActivityPage>("activity_list", { query }),
  entry: (id: number) => call<ActivityEntry>("activity_entry", { id }),
  results: (id: number, offset: number, limit: number) =>
    call<ActivityResults>("activity_results", { id, offset, limit }),
  /** What an undo would do now (reads the tasks; changes nothing). */
  planUndo: (id: number) => call<UndoPlan>("activity_plan_undo", { id }),
  /** Undoes `id`, restoring also the conflicts in `include`; the undo is a new entry. */
  undo(jobId: string, id: number, include: string[], onProgress: (p: ActivityProgress) => void): Promise<UndoDone> {
    const ch = new Channel<ActivityProgress>();
    ch.onmessage = onProgress;
    return call<UndoDone>("activity_undo", { jobId, id, include, onProgress: ch });
  },
  /** Writes the entry with one line per task as CSV at `path`. */
  exportCsv: (id: number, path: string) => call<string>("activity_export_csv", { id, path }),
};
