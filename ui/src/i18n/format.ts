// Catalogue message types and locale-aware formatting (numbers, plurals, dates, sizes): what the
// catalogue modules under ./messages use, without depending on the catalogues themselves.
import { getLocale } from "./locale";

export type Vars = Record<string, string | number>;
export type Message = string | ((v: Vars) => string);

/** A catalogue area: French must have every English key. */
export type Area<K extends string> = { en: Record<K, Message>; fr: Record<K, Message> };

// Intl formatters are slow to make (a table row formats several values): one per locale and
// options, made once.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>(kind: string, opts: object | undefined, make: () => T): T {
  const key = `${kind}|${getLocale()}|${opts ? JSON.stringify(opts) : ""}`;
  let f = formatters.get(key) as T | undefined;
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/** `one` or `other` by the current locale's plural rules (French: 0 and 1 are singular). */
export function plural(n: number, one: string, other: string): string {
  const form = cached("plural", undefined, () => new Intl.PluralRules(getLocale())).select(n);
  return (form === "one" ? one : other).replace(/#/g, formatNumber(n));
}

export function formatNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return cached("number", opts, () => new Intl.NumberFormat(getLocale(), opts)).format(n);
}

/** A date and time ("12 Mar 2026, 14:05" / "12 mars 2026, 14:05"); "" for an invalid date. */
export function formatDateTime(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  return cached("datetime", undefined, () => new Intl.DateTimeFormat(getLocale(), { dateStyle: "medium", timeStyle: "short" })).format(date);
}

/** The time ("14:05") for a moment of today, else the date and time. */
export function formatMoment(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  if (date.toDateString() !== new Date().toDateString()) return formatDateTime(date);
  return cached("time", undefined, () => new Intl.DateTimeFormat(getLocale(), { timeStyle: "short" })).format(date);
}

export function formatDate(d: Date | string | number): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return "";
  return cached("date", undefined, () => new Intl.DateTimeFormat(getLocale(), { dateStyle: "medium" })).format(date);
}

/** Bytes in B / kB / MB / GB with the locale's decimal separator. */
export function formatBytes(bytes: number): string {
  // French writes octets: o, ko, Mo… with a no-break space before the unit.
  const [units, space] =
    getLocale() === "fr" ? [["o", "ko", "Mo", "Go", "To"], "\u00a0"] : [["B", "kB", "MB", "GB", "TB"], " "];
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
