// Translations and locale-aware formatting. Every user-visible string lives in a catalogue under
// ./messages (one module per screen area, English and French side by side); components call
// `useT()` (re-renders on a language switch) and plain code calls `t()`.
//
// A catalogue module exports `{ en, fr }` where `fr` has exactly the keys of `en` (checked by tsc).
// A message is a string with `{name}` placeholders, or a function of the values (for plurals use
// `plural(n, one, other)` inside it).
import { useSyncExternalStore } from "react";
import type { Message as BackendMessage } from "../bindings/Message";
import { common } from "./messages/common";
import { app } from "./messages/app";
import { ui } from "./messages/ui";
import { connection } from "./messages/connection";
import { projects } from "./messages/projects";
import { tasks } from "./messages/tasks";
import { detail } from "./messages/detail";
import { bulk } from "./messages/bulk";
import { ship } from "./messages/ship";
import { create } from "./messages/create";
import { exportArea } from "./messages/export";
import { errors } from "./messages/errors";
import { activity } from "./messages/activity";
import { viewer } from "./messages/viewer";
import { dashboard } from "./messages/dashboard";

export type Locale = "en" | "fr";
export const LOCALES: readonly Locale[] = ["en", "fr"];

export type Vars = Record<string, string | number>;
export type Message = string | ((v: Vars) => string);

/** A catalogue area: French must have every English key. */
export type Area<K extends string> = { en: Record<K, Message>; fr: Record<K, Message> };

// Add one line here per catalogue module.
const areas = [common, app, ui, connection, projects, tasks, detail, bulk, create, ship, exportArea, activity, viewer, dashboard, errors] as const;

type KeysOf<A> = A extends Area<infer K> ? K : never;
export type MessageKey = KeysOf<(typeof areas)[number]>;

const catalogues: Record<Locale, Map<string, Message>> = { en: new Map(), fr: new Map() };
for (const area of areas as readonly Area<string>[]) {
  for (const loc of LOCALES) {
    for (const [k, v] of Object.entries(area[loc])) {
      if (catalogues[loc].has(k)) throw new Error(`i18n: message key ${k} is defined twice`);
      catalogues[loc].set(k, v);
    }
  }
}

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

/** `t` bound to the current locale; the component re-renders when the language changes. */
export function useT(): typeof t {
  useLocale();
  return t;
}

/** The message `key` in the current locale with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars: Vars = {}): string {
  const m = catalogues[current].get(key) ?? catalogues.en.get(key);
  if (m === undefined) return key;
  if (typeof m === "function") return m(vars);
  return m.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) return whole;
    return typeof v === "number" ? formatNumber(v) : v;
  });
}

/** The message `key` (a key that comes from outside the UI's code, e.g. an error key sent by the
 *  backend) in the current locale, or null when no catalogue has it. */
export function translateKnown(key: string, vars: Vars = {}): string | null {
  return catalogues.en.has(key) ? t(key as MessageKey, vars) : null;
}

/** A backend catalogue message (key, values, and the inner message filling `{detail}`) in the
 *  current language; null when the catalogue does not know one of its keys. */
export function translateMessage(m: BackendMessage): string | null {
  const vars: Vars = { ...(m.params ?? {}) };
  if (m.detail) {
    const inner = translateMessage(m.detail);
    if (inner === null) return null;
    vars.detail = inner;
  }
  return translateKnown(m.key, vars);
}

// Intl formatters are slow to make (a table row formats several values): one per locale and
// options, made once.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>(kind: string, opts: object | undefined, make: () => T): T {
  const key = `${kind}|${current}|${opts ? JSON.stringify(opts) : ""}`;
  let f = formatters.get(key) as T | undefined;
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/** `one` or `other` by the current locale's plural rules (French: 0 and 1 are singular). */
export function plural(n: number, one: string, other: string): string {
  const form = cached("plural", undefined, () => new Intl.PluralRules(current)).select(n);
  return (form === "one" ? one : other).replace(/#/g, formatNumber(n));
}

export function formatNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return cached("number", opts, () => new Intl.NumberFormat(current, opts)).format(n);
}

/** A date and time ("12 Mar 2026, 14:05" / "12 mars 2026, 14:05"); "" for an invalid date. */
export function formatDateTime(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  return cached("datetime", undefined, () => new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" })).format(date);
}

/** The time ("14:05") for a moment of today, else the date and time. */
export function formatMoment(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  if (date.toDateString() !== new Date().toDateString()) return formatDateTime(date);
  return cached("time", undefined, () => new Intl.DateTimeFormat(current, { timeStyle: "short" })).format(date);
}

export function formatDate(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  return cached("date", undefined, () => new Intl.DateTimeFormat(current, { dateStyle: "medium" })).format(date);
}

/** Bytes in B / kB / MB / GB with the locale's decimal separator. */
export function formatBytes(bytes: number): string {
  // French writes octets: o, ko, Mo… with a no-break space before the unit.
  const [units, space] =
    current === "fr" ? [["o", "ko", "Mo", "Go", "To"], "\u00a0"] : [["B", "kB", "MB", "GB", "TB"], " "];
  let v = bytes;
  let i = 0;
  // a value that rounds to 1000 moves up a unit ("1 MB", not "1,000 kB")
  const rounded = (x: number, unit: number) => {
    const d = unit === 0 || Math.abs(x) >= 100 ? 0 : 1;
    return Math.round(x * 10 ** d) / 10 ** d;
  };
  while (Math.abs(rounded(v, i)) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  const digits = i === 0 || Math.abs(v) >= 100 ? 0 : 1;
  return `${formatNumber(v, { maximumFractionDigits: digits })}${space}${units[i]}`;
}

/** A duration in seconds as "1 h 05 min", "3 min 20 s" or "12 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${String(r).padStart(2, "0")} s`;
  return `${r} s`;
}
