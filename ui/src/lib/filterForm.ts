// The task filter form's state and its translation into the SDK filter (TaskFilter).
import type { TaskFilter } from "../bindings/TaskFilter";
import { t, type MessageKey } from "../i18n";

export const TASK_STATUSES = ["pending", "complete", "to-review", "reviewed", "configuring"] as const;
export const OPTIONAL_FIELDS = ["data", "jobs", "metrics", "data.mask", "jobs.history", "lastAnnotator"] as const;

/** Catalogue keys of the optional fields' labels. */
export const OPTIONAL_FIELD_LABELS: Record<(typeof OPTIONAL_FIELDS)[number], MessageKey> = {
  data: "filter.field.data",
  jobs: "filter.field.jobs",
  metrics: "filter.field.metrics",
  "data.mask": "filter.field.mask",
  "jobs.history": "filter.field.history",
  lastAnnotator: "filter.field.lastAnnotator",
};

export interface KeyValue {
  key: string;
  value: string;
}

/** One end of a date range: an operator and a `datetime-local` value. */
export interface DateBound {
  op: ">" | ">=" | "<" | "<=";
  value: string;
}

export interface FilterForm {
  batchIds: string[];
  statuses: string[];
  names: string;
  taskIds: string;
  nameLike: string;
  data: KeyValue[];
  properties: KeyValue[];
  createdFrom: DateBound;
  createdTo: DateBound;
  updatedFrom: DateBound;
  updatedTo: DateBound;
  optionalFields: string[];
}

export function emptyForm(): FilterForm {
  return {
    batchIds: [],
    statuses: [],
    names: "",
    taskIds: "",
    nameLike: "",
    data: [],
    properties: [],
    createdFrom: { op: ">=", value: "" },
    createdTo: { op: "<=", value: "" },
    updatedFrom: { op: ">=", value: "" },
    updatedTo: { op: "<=", value: "" },
    optionalFields: ["data", "lastAnnotator"],
  };
}

/** Splits a pasted list (new lines, commas, spaces, tabs or semicolons), drops blanks and repeats. */
export function parseList(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(/[\s,;]+/)) {
    const v = part.trim();
    if (v && !seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  }
  return out;
}

/** Task names: one per line (names may contain spaces). */
export function parseLines(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const v = line.trim();
    if (v && !seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  }
  return out;
}

/** A plain message when the name pattern is not a valid regular expression, else null. */
export function regexError(pattern: string): string | null {
  if (!pattern) return null;
  try {
    new RegExp(pattern);
    return null;
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : String(e);
    return t("filter.error.pattern", { why });
  }
}

/** `2022-09-19T08:30` (datetime-local) → `2022-09-19 08:30:00` (what the server expects). */
export function toServerDate(local: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?/.exec(local.trim());
  if (!m) return null;
  return `${m[1]} ${m[2]}${m[3] ?? ":00"}`;
}

type Range = TaskFilter["createdAt"];

function range(from: DateBound, to: DateBound): Range {
  const r: Range = { gt: null, gte: null, lt: null, lte: null };
  const f = toServerDate(from.value);
  if (f) {
    if (from.op === ">") r.gt = f;
    else r.gte = f;
  }
  const until = toServerDate(to.value);
  if (until) {
    if (to.op === "<") r.lt = until;
    else r.lte = until;
  }
  return r;
}

function pairs(rows: KeyValue[]): [string, string][] {
  return rows.filter((r) => r.key.trim() !== "").map((r) => [r.key.trim(), r.value] as [string, string]);
}

/** Every problem in the form, keyed by field; empty when the filter can be sent. */
export function validateForm(form: FilterForm): Record<string, string> {
  const errors: Record<string, string> = {};
  const re = regexError(form.nameLike);
  if (re) errors.nameLike = re;
  for (const [name, from, to] of [
    ["created", form.createdFrom, form.createdTo],
    ["updated", form.updatedFrom, form.updatedTo],
  ] as const) {
    const f = toServerDate(from.value);
    const until = toServerDate(to.value);
    if (from.value && !f) errors[`${name}From`] = t("filter.error.fullDate");
    if (to.value && !until) errors[`${name}To`] = t("filter.error.fullDate");
    if (f && until && f > until) errors[`${name}To`] = t("filter.error.endBeforeStart");
  }
  form.data.forEach((r, i) => {
    if (!r.key.trim() && r.value.trim()) errors[`data.${i}`] = t("filter.error.dataKey");
  });
  form.properties.forEach((r, i) => {
    if (!r.key.trim() && r.value.trim()) errors[`properties.${i}`] = t("filter.error.propertyKey");
  });
  return errors;
}

export function toTaskFilter(projectId: string, form: FilterForm): TaskFilter {
  return {
    projectId,
    batchIds: [...form.batchIds],
    statuses: [...form.statuses],
    taskIds: parseList(form.taskIds),
    names: parseLines(form.names),
    nameLike: form.nameLike.trim() === "" ? null : form.nameLike,
    createdAt: range(form.createdFrom, form.createdTo),
    updatedAt: range(form.updatedFrom, form.updatedTo),
    optionalFields: [...form.optionalFields],
    data: pairs(form.data),
    properties: pairs(form.properties),
  };
}

/** How many filter fields are in use (shown on the collapsed form). */
export function activeFilterCount(form: FilterForm): number {
  let n = 0;
  if (form.batchIds.length) n++;
  if (form.statuses.length) n++;
  if (parseLines(form.names).length) n++;
  if (parseList(form.taskIds).length) n++;
  if (form.nameLike.trim()) n++;
  if (pairs(form.data).length) n++;
  if (pairs(form.properties).length) n++;
  if (form.createdFrom.value || form.createdTo.value) n++;
  if (form.updatedFrom.value || form.updatedTo.value) n++;
  return n;
}
