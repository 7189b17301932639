// Colour contrast of the palette (WCAG 2.x AA): 4.5:1 for text, 3:1 for focus rings, control
// borders and other UI parts, in the light and the dark theme (styles.css defines each colour
// once as light-dark(light, dark); the OS or the app's Theme menu picks one) — owner: a11y.
import { describe, expect, it } from "vitest";
import { contrastRatio, paletteBlocks, singleThemeColours } from "./palette";

// Read from disk (vitest turns CSS imports, even ?raw, into empty modules). The module name is
// built at run time so that the UI's type check does not need Node's types.
const fs = (await import(/* @vite-ignore */ ["node", "fs"].join(":"))) as {
  readFileSync(path: URL, encoding: "utf8"): string;
};
const css = fs.readFileSync(new URL("../styles.css", import.meta.url), "utf8");

// [foreground, background, minimum ratio, where it is used]
const PAIRS: [string, string, number, string][] = [
  ["--text", "--bg", 4.5, "body text"],
  ["--text", "--panel", 4.5, "text on panels, tables, dialogs"],
  ["--text", "--panel-2", 4.5, "table headers, status badges"],
  ["--text", "--row-sel", 4.5, "selected rows"],
  ["--text", "--row-active", 4.5, "active row"],
  ["--text", "--accent-soft", 4.5, "info banner, reviewed badge"],
  ["--text", "--ok-soft", 4.5, "ok banner, complete badge"],
  ["--text", "--warn-soft", 4.5, "warning banner, to-review badge"],
  ["--text", "--danger-soft", 4.5, "error banner"],
  ["--muted", "--bg", 4.5, "hints on the page"],
  ["--muted", "--panel", 4.5, "hints in panels"],
  ["--muted", "--panel-2", 4.5, "hints on grey"],
  ["--muted", "--row-sel", 4.5, "hints in selected rows"],
  ["--accent", "--panel", 4.5, "links and breadcrumbs"],
  ["--accent", "--bg", 4.5, "links on the page"],
  ["--accent", "--row-sel", 4.5, "links in a hovered or focused table row"],
  ["--accent", "--panel-2", 4.5, "links on grey"],
  ["--accent-text", "--accent", 4.5, "primary buttons"],
  ["--danger", "--panel", 4.5, "error text, danger buttons"],
  ["--danger", "--danger-soft", 4.5, "error text in error banners"],
  ["--ok", "--panel", 4.5, "success text"],
  ["--warn", "--panel", 4.5, "warning text"],
  ["--focus", "--bg", 3, "focus ring on the page"],
  ["--focus", "--panel", 3, "focus ring on panels"],
  ["--focus", "--panel-2", 3, "focus ring on grey"],
  ["--focus", "--row-active", 3, "focus ring in the table"],
  ["--control-border", "--panel", 3, "input, select and checkbox borders"],
  ["--control-border", "--bg", 3, "input borders on the page"],
  ["--accent", "--bg", 3, "primary button shape"],
];

describe("palette contrast (WCAG AA)", () => {
  const blocks = paletteBlocks(css);

  it("defines every colour for both themes, and lets the app's Theme menu override the OS", () => {
    expect(Object.keys(blocks.light).length).toBeGreaterThan(15);
    expect(singleThemeColours(css)).toEqual([]);
    expect(blocks.dark["--bg"]).not.toEqual(blocks.light["--bg"]);
    const text = css.replace(/\s+/g, " ");
    expect(text).toContain("color-scheme: light dark;");
    expect(text).toContain(':root[data-theme="light"] { color-scheme: light; }');
    expect(text).toContain(':root[data-theme="dark"] { color-scheme: dark; }');
  });

  for (const [theme, vars] of Object.entries(paletteBlocks(css))) {
    it(`meets the minimum ratios in the ${theme} theme`, () => {
      const failures: string[] = [];
      for (const [fg, bg, min, use] of PAIRS) {
        const a = vars[fg];
        const b = vars[bg];
        if (!a || !b) {
          failures.push(`${fg} on ${bg}: not defined`);
          continue;
        }
        const r = contrastRatio(a, b);
        if (r < min) failures.push(`${fg} ${a} on ${bg} ${b} = ${r.toFixed(2)}:1 < ${min}:1 (${use})`);
      }
      expect(failures).toEqual([]);
    });
  }

  it("computes the WCAG ratio", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777", "#fff")).toBeCloseTo(4.48, 2);
    expect(contrastRatio("#ffffff", "#ffffff")).toBe(1);
  });
});
