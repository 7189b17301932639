// Export commands (owner: export).
import { Channel } from "@tauri-apps/api/core";
import type { ExportOutcome } from "../bindings/ExportOutcome";
import type { ExportPlan } from "../bindings/ExportPlan";
import type { ExportProgress } from "../bindings/ExportProgress";
import type { ExportRecipe } from "../bindings/ExportRecipe";
import type { ExportScope } from "../bindings/ExportScope";
import type { HistoryEntry } from "../bindings/HistoryEntry";
import type { TargetCheck } from "../bindings/TargetCheck";
import { call } from "./index";

export const exportApi = {
  /** Task count of the scope, formats (with the reason when one does not fit), last folder. */
  prepare: (projectId: string, scope: ExportScope) => call<ExportPlan>("export_prepare", { projectId, scope }),
  /** Where the recipe writes and whether something is there; rejects when the name or folder is wrong. */
  check: (recipe: ExportRecipe) => call<TargetCheck>("export_check", { recipe }),
  rememberFolder: (projectId: string, folder: string) => call<null>("export_remember_folder", { projectId, folder }),
  history: (projectId: string) => call<HistoryEntry[]>("export_history", { projectId }),
  /** Opens the folder (or the folder holding the file) in the OS file manager. */
  openFolder: (path: string) => call<null>("open_folder", { path }),
  /** Runs the export; cancel with api.cancelJob(jobId). */
  run(jobId: string, recipe: ExportRecipe, overwrite: boolean, onProgress: (p: ExportProgress) => void): Promise<ExportOutcome> {
    const ch = new Channel<ExportProgress>();
    ch.onmessage = onProgress;
    return call<ExportOutcome>("run_export", { jobId, recipe, overwrite, onProgress: ch });
  },
};
