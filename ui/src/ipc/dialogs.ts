// Native dialogs and OS notifications (owner: export). Titles are translated by the caller;
// window tests find the GTK dialog by its title.
import type { DialogFilter } from "../bindings/DialogFilter";
import { backend } from "./index";

export const dialogs = {
  /** A folder, or null when the user cancelled. */
  pickFolder: (title: string, start?: string | null) =>
    backend.dialogPickFolder(title, start ?? null),
  /** Several files (empty when cancelled). */
  pickFiles: (title: string, filters: DialogFilter[] = [], start?: string | null) =>
    backend.dialogPickFiles(title, filters, start ?? null),
  /** One file, or null when cancelled. */
  pickFile: (title: string, filters: DialogFilter[] = [], start?: string | null) =>
    backend.dialogPickFile(title, filters, start ?? null),
  /** "Save as": the chosen path (always ending with `.extension` when given), or null. */
  saveFile: (title: string, defaultName: string, extension?: string | null, start?: string | null) =>
    backend.dialogSaveFile(title, defaultName, extension ?? null, start ?? null),
  /** An OS notification when the window is not focused (silently nothing without a notification service). */
  notifyIfUnfocused: backend.notifyIfUnfocused,
};
