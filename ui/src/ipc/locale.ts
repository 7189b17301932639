// The OS locale, read by the Rust side (owner: a11y).
import { quiet } from "./core";

export const localeApi = {
  /** The OS locale as a BCP 47 tag, e.g. "fr-FR" ("en-US" when unknown). */
  systemLocale: quiet.systemLocale,
};
