// Sorting of table rows by one column.
import type { TaskRow } from "../bindings/TaskRow";

export type SortDir = "asc" | "desc";
export interface SortSpec {
  column: keyof TaskRow;
  dir: SortDir;
}

function cmp(a: unknown, b: unknown): number {
  const an = a === null || a === undefined || a === "";
  const bn = b === null || b === undefined || b === "";
  if (an || bn) return an === bn ? 0 : an ? 1 : -1; // blanks last
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

export function sortRows(rows: readonly TaskRow[], spec: SortSpec | null): TaskRow[] {
  if (!spec) return rows.slice();
  const sign = spec.dir === "asc" ? 1 : -1;
  const col = spec.column;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => {
      const c = cmp(x.r[col], y.r[col]);
      // blanks stay last whatever the direction; ties keep arrival order
      if (c === 0) return x.i - y.i;
      const xb = x.r[col] === null || x.r[col] === "";
      const yb = y.r[col] === null || y.r[col] === "";
      if (xb || yb) return c;
      return sign * c;
    })
    .map((x) => x.r);
}
