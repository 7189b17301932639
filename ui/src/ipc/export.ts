// Export commands (owner: export).
import type { ExportOutcome } from "../bindings/ExportOutcome";
import type { ExportProgress } from "../bindings/ExportProgress";
import type { ExportRecipe } from "../bindings/ExportRecipe";
import { backend, channel } from "./index";

export const exportApi = {
  /** Task count of the scope, formats (with the reason when one does not fit), last folder. */
  prepare: backend.exportPrepare,
  /** Where the recipe writes and whether something is there; rejects when the name or folder is wrong. */
  check: backend.exportCheck,
  rememberFolder: backend.exportRememberFolder,
  history: backend.exportHistory,
  /** Opens the folder (or the folder holding the file) in the OS file manager. */
  openFolder: backend.openFolder,
  /** Runs the export; cancel with api.cancelJob(jobId). */
  run: (jobId: string, recipe: ExportRecipe, overwrite: boolean, onProgress: (p: ExportProgress) => void): Promise<ExportOutcome> =>
    backend.runExport(jobId, recipe, overwrite, channel(onProgress)),
};
