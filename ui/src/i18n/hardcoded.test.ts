// No user-visible text outside the catalogues: scans every ui/src/**/*.tsx (owner: a11y).
import { describe, expect, it } from "vitest";
import { findHardcodedText } from "./hardcoded";

// every component file of the UI (ui/src/**/*.tsx), as text
const SOURCES = import.meta.glob<string>(["../**/*.tsx", "!../**/*.test.tsx"], {
  query: "?raw",
  import: "default",
  eager: true,
});

describe("hard-coded text check", () => {
  it("finds JSX text, text attributes and literal children", () => {
    const src = `
      export function A({ busy, n }: { busy: boolean; n: string }) {
        return (
          <div title="Hello" aria-label={\`Edit \${n}\`}>
            <button>Save</button>
            {busy ? "Saving…" : t("x.save")}
            {busy && "Wait"}
            <input placeholder={"Name"} className="wide" />
            <img alt="Preview" src="/a.png" />
          </div>
        );
      }`;
    expect(findHardcodedText(src).map((f) => f.text)).toEqual(["Hello", "Edit", "Save", "Saving…", "Wait", "Name", "Preview"]);
  });

  it("accepts translated text, symbols, class names, test ids and allowed names", () => {
    const src = `
      export function B({ n }: { n: number }) {
        return (
          <div className="row" data-testid="b" aria-label={t("b.label", { n })} title={label}>
            <span aria-hidden="true">›</span> {n} · —
            <button aria-label={t("common.close")}>✕</button>
            <span>Lab Desk</span>
            {fmt("not shown as is")}
          </div>
        );
      }`;
    expect(findHardcodedText(src)).toEqual([]);
  });

  const files = Object.entries(SOURCES);
  it("scans the UI's component files", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const [file, source] of files) {
    const name = file.replace(/^\.\.\//, "");
    it(`${name} has no hard-coded user-visible text`, () => {
      const found = findHardcodedText(source, name).map(
        (f) => `${f.file}:${f.line}: "${f.text}" — put it in a catalogue (ui/src/i18n/messages) and use t()`,
      );
      expect(found).toEqual([]);
    });
  }
});
