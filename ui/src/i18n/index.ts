// Translations and locale-aware formatting. Every user-visible string lives in a catalogue under
// ./messages (one module per screen area, English and French side by side); components call
// `useT()` (re-renders on a language switch) and plain code calls `t()`.
//
// A catalogue module exports `{ en, fr }` where `fr` has exactly the keys of `en` (checked by tsc).
// A message is a string with `{name}` placeholders, or a function of the values (for plurals use
// `plural(n, one, other)` inside it).
import type { ErrorInfo } from "../bindings/ErrorInfo";
import type { Message as BackendMessage } from "../bindings/Message";
import { getLocale, LOCALES, useLocale, type Locale } from "./locale";
import { formatNumber, type Area, type Message, type Vars } from "./format";
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

export * from "./locale";
export * from "./format";

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

/** `t` bound to the current locale; the component re-renders when the language changes. */
export function useT(): typeof t {
  useLocale();
  return t;
}

/** The message `key` in the current locale with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars: Vars = {}): string {
  const m = catalogues[getLocale()].get(key) ?? catalogues.en.get(key);
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

/** An error kept as data (a job item's): its catalogue message in the user's language, else its
 *  English. */
export function errorText(e: ErrorInfo): string {
  return (e.catalogue ? translateMessage(e.catalogue) : null) ?? e.message;
}

