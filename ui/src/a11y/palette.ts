// Reading the colour palette (CSS custom properties) out of styles.css and WCAG contrast
// ratios — used by the contrast test (owner: a11y).

/**
 * The palette of each theme: `:root` defines every colour as `light-dark(light, dark)`; a plain
 * value serves both themes.
 */
export function paletteBlocks(css: string): Record<"light" | "dark", Record<string, string>> {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const out = { light: {} as Record<string, string>, dark: {} as Record<string, string> };
  const root = /(^|\n):root\s*\{([^}]*)\}/.exec(text);
  for (const [name, value] of Object.entries(vars(root?.[2] ?? ""))) {
    const pair = /^light-dark\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)$/.exec(value);
    out.light[name] = pair?.[1] ?? value;
    out.dark[name] = pair?.[2] ?? value;
  }
  return out;
}

/** Custom properties of `:root` whose value is not a light-dark() pair. */
export function singleThemeColours(css: string): string[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const root = /(^|\n):root\s*\{([^}]*)\}/.exec(text);
  return Object.entries(vars(root?.[2] ?? ""))
    .filter(([, v]) => v.startsWith("#") || v.startsWith("rgb"))
    .map(([k]) => k);
}

function vars(block: string): Record<string, string> {
  const v: Record<string, string> = {};
  for (const m of block.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) {
    if (m[1] && m[2]) v[m[1]] = m[2].trim();
  }
  return v;
}

function channels(hex: string): [number, number, number] {
  let h = hex.trim().replace(/^#/, "");
  if (h.length === 3) h = [...h].map((c) => c + c).join("");
  if (!/^[0-9a-fA-F]{6}$/.test(h)) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
}

function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two #rgb / #rrggbb colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
