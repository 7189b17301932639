// The OS locale, read by the Rust side (owner: a11y).
import { invoke } from "@tauri-apps/api/core";
import { toAppError } from "./index";

export const localeApi = {
  /** The OS locale as a BCP 47 tag, e.g. "fr-FR" ("en-US" when unknown). */
  async systemLocale(): Promise<string> {
    try {
      return await invoke<string>("system_locale");
    } catch (e) {
      throw toAppError(e);
    }
  },
};
