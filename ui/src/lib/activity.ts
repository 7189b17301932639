// Words for activity entries and their values (screens/Activity.tsx) — owner: activity.
import type { ActivityEntry } from "../bindings/ActivityEntry";
import type { ActivityKind } from "../bindings/ActivityKind";
import type { ActivityResultStatus } from "../bindings/ActivityResultStatus";
import type { ActivityState } from "../bindings/ActivityState";
import type { NotUndoable } from "../bindings/NotUndoable";
import { formatNumber, t, type MessageKey } from "../i18n";
import { statusLabel } from "../components/ui";

export const KINDS: ActivityKind[] = ["create", "properties", "restore", "redo", "review", "export", "deleteBatch"];
export const STATES: ActivityState[] = ["running", "done", "cancelled", "failed", "interrupted"];

export function kindLabel(k: ActivityKind): string {
  return t(`activity.kind.${k}` as MessageKey);
}

export function stateLabel(s: ActivityState): string {
  return t(`activity.state.${s}` as MessageKey);
}

export function lineLabel(s: ActivityResultStatus): string {
  return t(`activity.line.${s}` as MessageKey);
}

export function reasonText(r: NotUndoable): string {
  return t(`activity.notUndoable.${r}` as MessageKey);
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return t("activity.none.value");
  if (typeof v === "string") return v;
  // numbers as the user's language writes them, every digit kept (0.125 → "0,125" in French)
  if (typeof v === "number") return formatNumber(v, { maximumFractionDigits: 20 });
  return JSON.stringify(v);
}

/**
 * A line's values in words: `{score: 1, custom: {team: "a"}}` → "score 1, team a";
 * a removed value (null) reads "none"; `{status}` → "status To review".
 */
export function describeValues(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "object" || Array.isArray(v)) return scalar(v);
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  if ("status" in o) parts.push(t("activity.value.status", { value: o.status ? statusLabel(String(o.status)) : scalar(null) }));
  if ("score" in o) parts.push(t("activity.value.score", { value: scalar(o.score) }));
  const custom = o.custom;
  if (custom && typeof custom === "object" && !Array.isArray(custom)) {
    for (const [k, val] of Object.entries(custom as Record<string, unknown>)) parts.push(`${k} ${scalar(val)}`);
  }
  return parts.join(", ");
}

/** What an entry did, in one line. */
export function describeChange(e: ActivityEntry): string {
  const c = e.change;
  switch (c.kind) {
    case "properties":
      return t("activity.what.properties", { values: describeValues({ ...(c.score !== null ? { score: c.score } : {}), ...(c.custom ? { custom: c.custom } : {}) }) });
    case "restore":
      return t("activity.what.restore", { entry: c.of });
    case "redo":
      return c.reset ? t("activity.what.redoReset") : t("activity.what.redo");
    case "review":
      return t("activity.what.review");
    case "create":
      return t(c.newBatch ? "activity.what.createNew" : "activity.what.create", { batch: c.batchName || c.batchId });
    case "export":
      return t("activity.what.export", { format: c.format });
    case "deleteBatch":
      return t("activity.what.deleteBatch", { batch: c.batchName || c.batchId, entry: c.of });
  }
}

/** Which tasks, in words. */
export function describeTarget(e: ActivityEntry): string {
  const x = e.target;
  switch (x.kind) {
    case "selection":
      return t("activity.target.selection", { count: x.count });
    case "filter":
      return t("activity.target.filter");
    case "files":
      return t("activity.target.files", { count: x.count });
    case "entry":
      return t("activity.target.entry", { entry: x.entry });
  }
}
