// Every catalogue is complete and registered, and every key the UI uses exists (owner: a11y).
import { afterEach, describe, expect, it } from "vitest";
import { setLocale, t, type Area, type MessageKey, type Message } from "./index";

// Loaded after ./index (the catalogues import index, which imports them: index must come first).
const loaders = import.meta.glob<Record<string, Area<string>>>("./messages/*.ts");
const modules: Record<string, Record<string, Area<string>>> = {};
for (const [file, load] of Object.entries(loaders)) modules[file] = await load();
// the UI's code as text (not the generated bindings nor the tests)
const SOURCES = import.meta.glob<string>(["../**/*.{ts,tsx}", "!../bindings/**", "!../**/*.test.{ts,tsx}"], {
  query: "?raw",
  import: "default",
  eager: true,
});
const SAMPLE = { count: 2, n: 3, name: "x", total: 5, loaded: 4 };

function placeholders(m: Message): string[] {
  return typeof m === "string" ? [...m.matchAll(/\{(\w+)\}/g)].map((x) => x[1] ?? "").sort() : [];
}

function render(m: Message, vars: Record<string, string | number>): string {
  return typeof m === "function" ? m(vars) : m;
}

afterEach(() => setLocale("en"));

describe("catalogues", () => {
  const areas = Object.entries(modules).flatMap(([file, mod]) =>
    Object.entries(mod)
      .filter(([, v]) => typeof v === "object" && v !== null && "en" in v && "fr" in v)
      .map(([name, area]) => ({ file, name, area })),
  );

  it("are found", () => {
    expect(areas.length).toBeGreaterThanOrEqual(8);
  });

  for (const { file, name, area } of areas) {
    describe(`${file} (${name})`, () => {
      it("has the same keys in English and French", () => {
        expect(Object.keys(area.fr).sort()).toEqual(Object.keys(area.en).sort());
      });

      it("has no empty message and the same {placeholders} in both languages", () => {
        const bad: string[] = [];
        for (const [k, en] of Object.entries(area.en)) {
          const fr = area.fr[k];
          if (fr === undefined) continue;
          if (!render(en, SAMPLE).trim() || !render(fr, SAMPLE).trim()) bad.push(`${k}: empty`);
          if (typeof en !== typeof fr) bad.push(`${k}: a string in one language, a function in the other`);
          if (placeholders(en).join() !== placeholders(fr).join())
            bad.push(`${k}: {${placeholders(en).join(",")}} vs {${placeholders(fr).join(",")}}`);
        }
        expect(bad).toEqual([]);
      });

      it("is registered in i18n/index.ts", () => {
        const missing = Object.keys(area.en).filter((k) => t(k as MessageKey) === k);
        expect(missing).toEqual([]);
      });
    });
  }

  it("knows every key the UI passes to t() literally, in both languages", () => {
    const used = new Set<string>();
    for (const src of Object.values(SOURCES)) {
      for (const m of src.matchAll(/\b(?:t|tr)\(\s*"([a-z][\w-]*\.[\w.-]+)"/g)) {
        if (m[1]) used.add(m[1]);
      }
    }
    expect(used.size).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const loc of ["en", "fr"] as const) {
      setLocale(loc);
      for (const k of used) if (t(k as MessageKey, SAMPLE) === k) missing.push(`${loc}: ${k}`);
    }
    expect(missing).toEqual([]);
  });

  // French typography in the catalogues of the screens a11y translated (other areas may opt in
  // by adding their file here).
  const TYPOGRAPHY = ["app", "ui", "connection", "projects", "tasks", "detail", "bulk", "errors"].map((a) => `./messages/${a}.ts`);
  it("French uses the non-breaking space before a colon, question or exclamation mark", () => {
    const bad: string[] = [];
    for (const { file, area } of areas) {
      if (!TYPOGRAPHY.includes(file)) continue;
      for (const [k, fr] of Object.entries(area.fr)) {
        const text = render(fr, SAMPLE);
        // a plain space (or no space) after a letter, before : ? ! (not in URLs or times like 14:05)
        if (/\p{L}( ?)[:?!](\s|$)/u.test(text)) bad.push(`${k}: ${text}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
