// Pure logic of the Export dialog and history (owner: export).
import type { ExportFormatId } from "../bindings/ExportFormatId";
import type { ExportRecipe } from "../bindings/ExportRecipe";
import type { ExportScope } from "../bindings/ExportScope";
import type { FormatChoice } from "../bindings/FormatChoice";
import type { Label } from "../bindings/Label";
import type { MissingImageRow } from "../bindings/MissingImageRow";
import type { SemanticColor } from "../bindings/SemanticColor";
import type { TaskFilter } from "../bindings/TaskFilter";
import type { Misfit } from "../bindings/Misfit";
import { formatNumber, getLocale, t, type MessageKey } from "../i18n";
import { typeLabel } from "../screens/Projects";

export const FORMATS: readonly ExportFormatId[] = ["lab", "kili", "yolo", "mask", "coco", "yolo-dataset"];
const KNOWN_EXTENSIONS = [".json", ".zip"];

export function formatLabel(f: ExportFormatId): string {
  return t(`export.format.${f}` as MessageKey);
}

/** Why a task's image is not in the export, in the user's language. */
export function missingReason(m: Pick<MissingImageRow, "kind" | "detail">): string {
  return t(`export.missing.${m.kind}` as MessageKey, { detail: m.detail });
}

/** One line saying what the format is for. */
export function formatPurpose(f: ExportFormatId): string {
  return t(`export.purpose.${f}` as MessageKey);
}

// ---------- YOLO dataset: split and seed ----------

/** The split shares as typed in the dialog (percentages; test may be empty or 0). */
export type SplitFields = { train: string; val: string; test: string };

/** The default split (Rust's default: 80 / 20, no test). */
export const DEFAULT_SPLIT: SplitFields = { train: "80", val: "20", test: "0" };

export type SplitProblem = "number" | "negative" | "train";

/** The shares to send (train, val and test only when above 0), their normalised form, or what is wrong. */
export type SplitCheck =
  | { ok: true; shares: number[]; normalised: { name: string; share: number }[] }
  | { ok: false; problem: SplitProblem };

const SPLIT_NAMES = ["train", "val", "test"] as const;

function share(s: string): number | null {
  const v = s.trim().replace(",", ".");
  if (v === "") return 0;
  // plain decimal numbers only ("1e3", "0x10" and "Infinity" are not shares)
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Checks the split fields: numbers, none negative, train above 0 (an empty field is 0). */
export function checkSplit(f: SplitFields): SplitCheck {
  const values = [f.train, f.val, f.test].map(share);
  if (values.some((v) => v === null)) return { ok: false, problem: "number" };
  const [train, val, test] = values as [number, number, number];
  if (train < 0 || val < 0 || test < 0) return { ok: false, problem: "negative" };
  if (!(train > 0)) return { ok: false, problem: "train" };
  const shares = test > 0 ? [train, val, test] : [train, val];
  const total = shares.reduce((a, b) => a + b, 0);
  return {
    ok: true,
    shares,
    normalised: shares.map((s, i) => ({ name: SPLIT_NAMES[i] ?? String(i), share: s / total })),
  };
}

/** "train 70 % · val 20 % · test 10 %" in the current language. */
export function describeNormalised(normalised: { name: string; share: number }[]): string {
  return normalised
    .map((n) => `${n.name} ${formatNumber(n.share, { style: "percent", maximumFractionDigits: 1 })}`)
    .join(" · ");
}

/** The split fields for a recipe's shares ("Run again"); the default when it has none. */
export function splitFields(split: number[]): SplitFields {
  if (split.length < 2) return { ...DEFAULT_SPLIT };
  const [train = 0, val = 0, test = 0] = split;
  return { train: String(train), val: String(val), test: String(test) };
}

/** The seed typed in the dialog: a whole number from 0 (empty = 0), or null when it is not one. */
export function parseSeed(s: string): number | null {
  const v = s.trim();
  if (v === "") return 0;
  if (!/^\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** "train 48 · val 12": the tasks per split of a YOLO dataset export. */
export function describeSplits(splits: [string, number][]): string {
  return splits.map(([name, n]) => `${name} ${formatNumber(n)}`).join(" · ");
}

/** The choices of the Export dialog a recipe is built from. */
export type RecipeChoices = {
  projectId: string;
  scope: ExportScope;
  format: ExportFormatId;
  folder: string;
  fileName: string;
  /** Mask: drop the task name's extension. */
  replaceExtension: boolean;
  /** Mask: the semantic mapping, when turned on. */
  mapping: SemanticColor[] | null;
  /** The form's image input, when the form has several. */
  inputId: string | null;
  /** COCO: the images in a zip beside the JSON. */
  images: boolean;
  /** YOLO dataset: the split fields and the seed as typed. */
  split: SplitFields;
  seed: string;
};

/** What keeps the choices from making a recipe, or null. */
export function recipeProblem(c: Pick<RecipeChoices, "format" | "split" | "seed">): SplitProblem | "seed" | null {
  if (c.format !== "yolo-dataset") return null;
  const s = checkSplit(c.split);
  if (!s.ok) return s.problem;
  return parseSeed(c.seed) === null ? "seed" : null;
}

/**
 * The recipe for the dialog's choices; each format's options only for that format (the others
 * get their neutral value: no images, `split: []`, `seed: 0`). Null when a YOLO dataset's split
 * or seed is wrong (see [`recipeProblem`]).
 */
export function buildRecipe(c: RecipeChoices): ExportRecipe | null {
  if (recipeProblem(c)) return null;
  const dataset = c.format === "yolo-dataset";
  const split = dataset ? checkSplit(c.split) : null;
  return {
    projectId: c.projectId,
    scope: c.scope,
    format: c.format,
    folder: c.folder,
    fileName: c.fileName.trim(),
    replaceExtension: c.format === "mask" && c.replaceExtension,
    semanticMapping: c.format === "mask" && c.mapping ? c.mapping : [],
    inputId: c.inputId,
    images: c.format === "coco" && c.images,
    split: split?.ok ? split.shares : [],
    seed: dataset ? (parseSeed(c.seed) ?? 0) : 0,
  };
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

/** Project types in words, as a list ("Image: rectangles, Image: polygons and Image: polylines"). */
function typeList(types: string[]): string {
  return new Intl.ListFormat(getLocale(), { type: "conjunction" }).format(types.map((x) => typeLabel(x)));
}

/** Why a format does not fit the project, in the app's words (project types by their names). */
export function misfitText(m: Misfit): string {
  switch (m.kind) {
    case "projectType":
      return t("export.misfit.projectType", { type: typeLabel(m.projectType), supported: typeList(m.supported) });
    case "notImage":
      return t("export.misfit.notImage", { type: typeLabel(m.projectType), supported: typeList(m.supported) });
    case "inputNotSupported":
      return t("export.misfit.inputNotSupported", { input: m.inputId, supported: typeList(m.supported) });
    case "noImageInput":
      return t("export.misfit.noImageInput", { supported: typeList(m.supported) });
    case "formInput":
      return t("export.misfit.formInput", {
        type: typeLabel(m.inputType.replace(/^tool-/, "")),
        supported: typeList(m.supported),
      });
    case "severalInputs":
      return t("export.misfit.severalInputs", { count: m.ids.length, ids: m.ids.join(", ") });
    case "sequences":
      return t("export.misfit.sequences");
  }
}

// ---------- the dialog's state: the user's choices and the run ----------

/** What the user chose in the form; `null` = the default, from the plan. */
export type Picks = {
  format: ExportFormatId | null;
  folder: string | null;
  name: string | null;
  replaceExtension: boolean;
  mapOn: boolean;
  mapping: SemanticColor[] | null;
  input: string | null;
  images: boolean;
  split: SplitFields;
  seed: string;
};

/** The choices of a new dialog, or of "Run again" on `again`'s recipe. */
export function initialPicks(again?: ExportRecipe): Picks {
  return {
    format: again?.format ?? null,
    folder: again?.folder ?? null,
    name: again?.fileName ?? null,
    replaceExtension: again?.replaceExtension ?? false,
    mapOn: (again?.semanticMapping.length ?? 0) > 0,
    mapping: again?.semanticMapping.length ? again.semanticMapping : null,
    input: again?.inputId ?? null,
    images: again?.images ?? false,
    split: splitFields(again?.split ?? []),
    seed: String(again?.seed ?? 0),
  };
}

export type PickAction =
  | { type: "set"; picks: Partial<Omit<Picks, "format" | "split">> }
  /** Another format: a name the user typed keeps its stem with the new extension; the
   *  default name (or none) follows the format. */
  | { type: "format"; next: FormatChoice; previousDefault: string | null }
  | { type: "split"; share: keyof SplitFields; value: string }
  /** `label` drawn in `color` in the masks (the other labels keep theirs). */
  | { type: "color"; base: SemanticColor[]; label: string; color: [number, number, number] };

export function picksReducer(s: Picks, a: PickAction): Picks {
  switch (a.type) {
    case "set":
      return { ...s, ...a.picks };
    case "format":
      if (!a.next.available) return s;
      return {
        ...s,
        format: a.next.format,
        name: s.name === null ? null : nameAfterFormatChange(s.name, a.previousDefault, a.next),
      };
    case "split":
      return { ...s, split: { ...s.split, [a.share]: a.value } };
    case "color":
      return { ...s, mapping: [...a.base.filter((x) => x.label !== a.label), { label: a.label, color: a.color }] };
  }
}

export type Step = "setup" | "running" | "done";

/** Where a run of the dialog is. */
export type RunState<P, O, E> = { step: Step; progress: P | null; outcome: O | null; error: E | null; notice: string | null };

export type RunAction<P, O, E> =
  | { type: "start" }
  | { type: "progress"; progress: P }
  | { type: "done"; outcome: O }
  | { type: "failed"; error: E }
  | { type: "cancelled"; notice: string }
  /** An error outside a run (the plan, the folder dialog…): shown, the step unchanged. */
  | { type: "error"; error: E }
  /** "Export another": back to the form. */
  | { type: "another" };

export function initialRun<P, O, E>(): RunState<P, O, E> {
  return { step: "setup", progress: null, outcome: null, error: null, notice: null };
}

export function runReducer<P, O, E>(s: RunState<P, O, E>, a: RunAction<P, O, E>): RunState<P, O, E> {
  switch (a.type) {
    case "start":
      return { step: "running", progress: null, outcome: null, error: null, notice: null };
    case "progress":
      return s.step === "running" ? { ...s, progress: a.progress } : s;
    case "done":
      return { ...s, step: "done", outcome: a.outcome };
    case "failed":
      return { ...s, step: "setup", error: a.error };
    case "cancelled":
      return { ...s, step: "setup", notice: a.notice };
    case "error":
      return { ...s, error: a.error };
    case "another":
      return { ...s, step: "setup", outcome: null };
  }
}
