// Building bulk action requests from the dialog's inputs, and result exports.
import type { BulkAction } from "../bindings/BulkAction";
import type { BulkResult } from "../bindings/BulkResult";
import type { KeyValue } from "./filterForm";
import { toCsv } from "./csv";
import { formatNumber, t } from "../i18n";

export type ActionKind = "properties" | "redo" | "review";

/** The action's title in the current language. */
export function actionTitle(kind: ActionKind): string {
  return kind === "properties" ? t("bulk.title.properties") : kind === "redo" ? t("bulk.title.redo") : t("bulk.title.review");
}

/** A custom value typed by the user: numbers, true/false and null keep their type, the rest is text. */
export function parseValue(s: string): unknown {
  const t = s.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t !== "" && !Number.isNaN(Number(t)) && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return s;
}

export interface PropertiesInput {
  score: string;
  custom: KeyValue[];
}

/** The action to send, or a plain message saying what to fix. */
export function buildAction(kind: ActionKind, props: PropertiesInput, reset: boolean): BulkAction | string {
  if (kind === "redo") return { kind: "redo", reset };
  if (kind === "review") return { kind: "review" };
  let score: number | null = null;
  if (props.score.trim() !== "") {
    const n = Number(props.score);
    if (Number.isNaN(n)) return t("bulk.error.scoreNumber");
    score = n;
  }
  const custom: Record<string, unknown> = {};
  for (const r of props.custom) {
    const k = r.key.trim();
    if (!k && r.value.trim()) return t("bulk.error.customName");
    if (k) {
      if (k in custom) return t("bulk.error.customTwice", { name: k });
      custom[k] = parseValue(r.value);
    }
  }
  const hasCustom = Object.keys(custom).length > 0;
  if (score === null && !hasCustom) return t("bulk.error.nothing");
  return { kind: "properties", score, custom: hasCustom ? custom : null };
}

function shown(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The change itself, as the preview states it: "score → 0.5, team → a on 10 tasks". */
export function describeAction(action: BulkAction, count: number): string {
  let what: string;
  if (action.kind === "properties") {
    const parts: string[] = [];
    if (action.score !== null) parts.push(t("bulk.change.score", { value: formatNumber(action.score, { maximumFractionDigits: 20 }) }));
    for (const [k, v] of Object.entries(action.custom ?? {})) parts.push(t("bulk.change.custom", { name: k, value: shown(v) }));
    what = parts.join(", ");
  } else if (action.kind === "redo") {
    what = action.reset ? t("bulk.change.redoReset") : t("bulk.change.redoKeep");
  } else {
    what = t("bulk.change.review");
  }
  return t("bulk.changeOn", { what, count });
}

export function resultCsv(result: BulkResult, names: (id: string) => string): string {
  return toCsv(
    ["task_id", "task_name", "result", "message"],
    result.rows.map((r) => [r.taskId, names(r.taskId), r.status, r.message]),
  );
}

export function resultText(result: BulkResult, names: (id: string) => string): string {
  return result.rows
    .map((r) => `${names(r.taskId) || r.taskId}\t${r.status}${r.message ? `\t${r.message}` : ""}`)
    .join("\n");
}
