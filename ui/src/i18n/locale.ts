// The window's language: the current locale, its changes, and a hook that re-renders on them.
// No catalogue here (./index has them), so the catalogues and formatters can depend on it.
import { useSyncExternalStore } from "react";

export type Locale = "en" | "fr";
export const LOCALES: readonly Locale[] = ["en", "fr"];

/** The locale for a BCP 47 tag such as "fr-FR" or "en_US.UTF-8"; English when unsupported. */
export function localeFromTag(tag: string | null | undefined): Locale {
  const base = (tag ?? "").trim().toLowerCase().replace("_", "-").split(/[-.@]/)[0];
  return base === "fr" ? "fr" : "en";
}

let current: Locale = localeFromTag(typeof navigator === "undefined" ? "en" : navigator.language);
const listeners = new Set<() => void>();

export function getLocale(): Locale {
  return current;
}

export function setLocale(locale: Locale): void {
  if (locale === current) return;
  current = locale;
  if (typeof document !== "undefined") document.documentElement.lang = locale;
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The current locale; the component re-renders when it changes. */
export function useLocale(): Locale {
  return useSyncExternalStore(subscribe, getLocale, getLocale);
}

