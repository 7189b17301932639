// Native dialogs and OS notifications (owner: export). Titles are translated by the caller;
// window tests find the GTK dialog by its title.
import type { DialogFilter } from "../bindings/DialogFilter";
import { call } from "./index";

export const dialogs = {
  /** A folder, or null when the user cancelled. */
  pickFolder: (title: string, start?: string | null) =>
    call<string | null>("dialog_pick_folder", { title, start: start ?? null }),
  /** Several files (empty when cancelled). */
  pickFiles: (title: string, filters: DialogFilter[] = [], start?: string | null) =>
    call<string[]>("dialog_pick_files", { title, filters, start: start ?? null }),
  /** One file, or null when cancelled. */
  pickFile: (title: string, filters: DialogFilter[] = [], start?: string | null) =>
    call<string | null>("dialog_pick_file", { title, filters, start: start ?? null }),
  /** "Save as": the chosen path (always ending with `.extension` when given), or null. */
  saveFile: (title: string, defaultName: string, extension?: string | null, start?: string | null) =>
    call<string | null>("dialog_save_file", { title, defaultName, extension: extension ?? null, start: start ?? null }),
  /** An OS notification when the window is not focused (silently nothing without a notification service). */
  notifyIfUnfocused: (title: string, body: string) => call<boolean>("notify_if_unfocused", { title, body }),
};
