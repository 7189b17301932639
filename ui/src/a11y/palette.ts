// Reading the colour palette (CSS custom properties) out of styles.css and WCAG contrast
// ratios — used by the contrast test (owner: a11y).

/** Custom properties of the theme blocks: light (`:root`), dark by the OS, dark by the app. */
export function paletteBlocks(css: string): Record<string, Record<string, string>> {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const out: Record<string, Record<string, string>> = {};
  const light = /(^|\n):root\s*\{([^}]*)\}/.exec(text);
  if (light?.[2]) out.light = vars(light[2]);
  const media = /@media\s*\(prefers-color-scheme:\s*dark\)\s*\{\s*:root[^{]*\{([^}]*)\}/.exec(text);
  if (media?.[1]) out["dark (prefers-color-scheme)"] = { ...out.light, ...vars(media[1]) };
  const attr = /:root\[data-theme="dark"\]\s*\{([^}]*)\}/.exec(text);
  if (attr?.[1]) out["dark (data-theme)"] = { ...out.light, ...vars(attr[1]) };
  return out;
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
