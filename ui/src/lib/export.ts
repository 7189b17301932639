// Pure logic of the Export dialog and history (owner: export).
import type { ExportFormatId } from "../bindings/ExportFormatId";
import type { ExportScope } from "../bindings/ExportScope";
import type { FormatChoice } from "../bindings/FormatChoice";
import type { Label } from "../bindings/Label";
import type { SemanticColor } from "../bindings/SemanticColor";
import type { TaskFilter } from "../bindings/TaskFilter";
import { t, type MessageKey } from "../i18n";

export const FORMATS: readonly ExportFormatId[] = ["lab", "kili", "yolo", "mask"];
const KNOWN_EXTENSIONS = [".json", ".zip"];

export function formatLabel(f: ExportFormatId): string {
  return t(`export.format.${f}` as MessageKey);
}

/** `name` with the format's extension (".json", ".zip"; none for the mask folder), swapping a wrong known one. */
export function withExtension(name: string, ext: string | null): string {
  let base = name.trim();
  const lower = base.toLowerCase();
  for (const known of KNOWN_EXTENSIONS) {
    if (lower.endsWith(known) && known !== ext) {
      base = base.slice(0, -known.length);
      break;
    }
  }
  if (!ext || base.toLowerCase().endsWith(ext)) return base;
  return base + ext;
}

/** What is wrong with a file name for the format, or null. */
export function nameProblem(name: string, ext: string | null): "empty" | "path" | "extension" | null {
  const n = name.trim();
  if (!n || n === "." || n === "..") return "empty";
  if (n.includes("/") || n.includes("\\")) return "path";
  if (ext && !n.endsWith(ext)) return "extension";
  return null;
}

/**
 * The file name after switching to `next`: the new default when the user kept the previous
 * default (or nothing), else the user's name with the right extension.
 */
export function nameAfterFormatChange(current: string, previousDefault: string | null, next: FormatChoice): string {
  if (!current.trim() || current === previousDefault) return next.defaultName;
  return withExtension(current, next.extension);
}

/** The format to start with: `preferred` when available, else the first available one. */
export function initialFormat(formats: FormatChoice[], preferred?: ExportFormatId | null): ExportFormatId | null {
  if (preferred && formats.some((f) => f.format === preferred && f.available)) return preferred;
  return formats.find((f) => f.available)?.format ?? null;
}

export function scopeOf(kind: "filter" | "selection", filter: TaskFilter, ids: string[]): ExportScope {
  return kind === "selection" ? { kind: "selection", ids: [...new Set(ids)] } : { kind: "filter", filter };
}

function dateBounds(r: TaskFilter["createdAt"]): string {
  return [
    r.gt && `> ${r.gt}`,
    r.gte && `≥ ${r.gte}`,
    r.lt && `< ${r.lt}`,
    r.lte && `≤ ${r.lte}`,
  ]
    .filter(Boolean)
    .join(", ");
}

/** A short description of the tasks an export covered ("status complete · 2 batches"). */
export function describeScope(scope: ExportScope): string {
  if (scope.kind === "selection") return t("export.scopeSelected", { count: scope.ids.length });
  const f = scope.filter;
  const parts: string[] = [];
  if (f.statuses.length) parts.push(t("export.scope.status", { value: f.statuses.join(", ") }));
  if (f.batchIds.length) parts.push(t("export.scope.batches", { count: f.batchIds.length }));
  if (f.taskIds.length) parts.push(t("export.scope.ids", { count: f.taskIds.length }));
  if (f.names.length) parts.push(t("export.scope.names", { value: f.names.join(", ") }));
  if (f.nameLike) parts.push(t("export.scope.nameLike", { value: f.nameLike }));
  const created = dateBounds(f.createdAt);
  if (created) parts.push(t("export.scope.created", { value: created }));
  const updated = dateBounds(f.updatedAt);
  if (updated) parts.push(t("export.scope.updated", { value: updated }));
  if (f.data.length) parts.push(t("export.scope.data", { value: f.data.map(([k, v]) => `${k}=${v}`).join(", ") }));
  if (f.properties.length)
    parts.push(t("export.scope.properties", { value: f.properties.map(([k, v]) => `${k}=${v}`).join(", ") }));
  return parts.length ? parts.join(" · ") : t("export.scopeAll");
}

export function hexToRgb(hex: string): [number, number, number] | null {
  const g = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(hex.trim())?.[1];
  if (!g) return null;
  const h = g.length === 3 ? [...g].map((c) => c + c).join("") : g;
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

export function rgbToHex([r, g, b]: [number, number, number]): string {
  return "#" + [r, g, b].map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, "0")).join("");
}

/** Starting colours of the semantic mapping: each label's own colour, else a distinct grey. */
export function defaultMapping(labels: Label[]): SemanticColor[] {
  return labels.map((l, i) => ({
    label: l.id,
    color: hexToRgb(l.color ?? "") ?? ([(40 * (i + 1)) % 256, (40 * (i + 1)) % 256, (40 * (i + 1)) % 256] as [number, number, number]),
  }));
}
