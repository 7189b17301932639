// Settings the window applies (owner: ship): the language at start, the last project.
// The language switch (a11y) calls setLanguage(); App calls loadAppSettings() once at start.
import type { Language } from "../bindings/Language";
import type { LastProject } from "../bindings/LastProject";
import type { LicenceEntry } from "../bindings/LicenceEntry";
import type { Settings } from "../bindings/Settings";
import { localeFromTag, setLocale, type Locale } from "../i18n";
import { localeApi } from "../ipc/locale";
import { settingsApi } from "../ipc/settings";

let cached: Settings | null = null;

/** The locale for a saved language ("system" follows the OS / web view locale). */
export function resolveLanguage(lang: Language, systemTag: string | null | undefined): Locale {
  return lang === "system" ? localeFromTag(systemTag) : lang;
}

/** The OS locale tag, asked from the Rust side (WebKitGTK's navigator.language may ignore LANG). */
async function systemTag(): Promise<string> {
  const guess = typeof navigator === "undefined" ? "en" : navigator.language;
  try {
    return await localeApi.systemLocale();
  } catch {
    return guess;
  }
}

/** Reads the settings once at start and applies the language. Null when they cannot be read. */
export async function loadAppSettings(): Promise<Settings | null> {
  try {
    cached = await settingsApi.get();
    setLocale(resolveLanguage(cached.language, await systemTag()));
    return cached;
  } catch {
    return null;
  }
}

export function currentSettings(): Settings | null {
  return cached;
}

/** Switches the language now and saves it for the next start. */
export async function setLanguage(lang: Language): Promise<void> {
  setLocale(resolveLanguage(lang, await systemTag()));
  cached = await settingsApi.update({ language: lang });
}

/** Remembers the open project (null: none) so the next start opens it again. */
export async function rememberProject(p: LastProject | null): Promise<void> {
  const same =
    (cached?.lastProject ?? null) === p ||
    (p !== null &&
      cached?.lastProject?.projectId === p.projectId &&
      cached.lastProject.profileId === p.profileId &&
      cached.lastProject.projectName === p.projectName);
  if (same) return;
  try {
    cached = await settingsApi.update({ lastProject: p });
  } catch {
    // not worth an error on screen: the project simply will not reopen next time
  }
}

/** The project to reopen when `profileId` connects at start, if any. */
export function projectToReopen(s: Settings | null, profileId: string): LastProject | null {
  const lp = s?.lastProject ?? null;
  return lp && lp.profileId === profileId ? lp : null;
}

/** Licences matching every word of `query` (name, version, licence, source), case-insensitive. */
export function filterLicences(list: readonly LicenceEntry[], query: string): LicenceEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...list];
  return list.filter((e) => {
    const hay = `${e.name} ${e.version} ${e.licence} ${e.source}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
