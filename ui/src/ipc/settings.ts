// Settings and state kept in settings.json in the app config dir (owner: ship).
// get/update go to the Rust SettingsStore; `update` sends only the keys that change.
import type { Settings } from "../bindings/Settings";
import { backend } from "./index";

/** What the window may change (the window geometry is written by the app itself). */
export type SettingsPatch = Partial<Omit<Settings, "window" | "startupNotice">>;

export const settingsApi = {
  get: backend.getSettings,
  update: (patch: SettingsPatch): Promise<Settings> => backend.updateSettings(patch),
};
