// The OS locale, read by the Rust side (owner: a11y).
import { invokeCommand as call } from "./core";

export const localeApi = {
  /** The OS locale as a BCP 47 tag, e.g. "fr-FR" ("en-US" when unknown). */
  systemLocale: () => call<string>("system_locale"),
};
