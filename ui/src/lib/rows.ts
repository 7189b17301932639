// The rows a list shows, read by range from the search's row set in Rust: the page holds
// only the visible window plus a margin, whatever the number of tasks.
import { useCallback, useEffect, useState } from "react";
import type { SortSpec } from "../bindings/SortSpec";
import type { TaskRow } from "../bindings/TaskRow";
import { api } from "../ipc";

/** Rows `start .. start + rows.length` of one search in one order. */
export interface RowSlice {
  key: string;
  start: number;
  rows: TaskRow[];
  /** Rows the set had when the slice was read. */
  count: number;
}

/** The identity of what a slice shows: a search in an order. */
export function sliceKey(setId: string | null, sort: SortSpec | null, revision = 0): string {
  return `${setId ?? ""}#${revision}|${sort ? `${sort.column}:${sort.dir}` : ""}`;
}

/** The range to read for a visible `start..end`: the window plus `margin` rows each side
 *  (at least one screenful), clamped to the set. */
export function wantedRange(start: number, end: number, count: number, margin = 0): { start: number; end: number } {
  const span = Math.max(1, end - start);
  const m = Math.max(margin, span);
  return { start: Math.max(0, start - m), end: Math.min(count, end + m) };
}

/** Whether `slice` already answers the visible `start..end` of a set that has `count` rows.
 *  Rows that arrived since the slice was read change a sorted order anywhere, an arrival
 *  order only after its end. */
export function covers(slice: RowSlice | null, key: string, start: number, end: number, count: number, sorted: boolean): boolean {
  if (!slice || slice.key !== key) return false;
  if (sorted && slice.count < count) return false;
  const stop = Math.min(end, count);
  return slice.start <= start && slice.start + slice.rows.length >= stop;
}

export interface RowWindow {
  /** The row at `i` in the current order, when it has been read. */
  rowAt(i: number): TaskRow | undefined;
  /** The list shows rows `start..end`: read them (and a margin) if they are not here. */
  want(start: number, end: number): void;
}

/**
 * Reads the rows of search `setId` in `sort` order by range, as a list scrolls. `count` is how
 * many rows the set has (from the search's progress); when it grows the visible window is read
 * again so that new rows appear; a new `revision` (tasks refreshed in place) reads it again too.
 */
export function useRowWindow(setId: string | null, sort: SortSpec | null, count: number, revision = 0): RowWindow {
  const [slice, setSlice] = useState<RowSlice | null>(null);
  const [visible, setVisible] = useState({ start: 0, end: 0 });
  const key = sliceKey(setId, sort, revision);
  const need = setId !== null && !covers(slice, key, visible.start, visible.end, count, sort !== null);

  useEffect(() => {
    if (!need || setId === null) return;
    const w = wantedRange(visible.start, visible.end, count);
    // a late answer is still right for its search and order (the slice carries its key)
    api.taskRows(setId, sort, w.start, w.end).then(
      (r) => setSlice({ key, start: r.start, rows: r.rows, count: r.count }),
      () => undefined, // the search was replaced: the new one reads its own rows
    );
  }, [need, setId, sort, key, visible.start, visible.end, count]);

  const want = useCallback(
    (start: number, end: number) => setVisible((v) => (v.start === start && v.end === end ? v : { start, end })),
    [],
  );

  const current = slice && slice.key === key ? slice : null;
  const rowAt = useCallback(
    (i: number) => (current && i >= current.start && i < current.start + current.rows.length ? current.rows[i - current.start] : undefined),
    [current],
  );
  return { rowAt, want };
}

/** What is selected: ticked ids, or every task of the search but the unticked ones. */
export interface Selection {
  all: boolean;
  ids: ReadonlySet<string>;
}

export const NOTHING: Selection = { all: false, ids: new Set() };

export function isSelected(s: Selection, id: string): boolean {
  return s.all ? !s.ids.has(id) : s.ids.has(id);
}

export function selectedCount(s: Selection, count: number): number {
  return s.all ? Math.max(0, count - s.ids.size) : s.ids.size;
}

export function toggled(s: Selection, id: string): Selection {
  const ids = new Set(s.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { all: s.all, ids };
}

/** `ids` added to the selection (shift-click of a range). */
export function withAll(s: Selection, ids: readonly string[]): Selection {
  const next = new Set(s.ids);
  for (const id of ids) {
    if (s.all) next.delete(id);
    else next.add(id);
  }
  return { all: s.all, ids: next };
}

/** Everything selected, or nothing when everything already was. */
export function allOrNothing(s: Selection): Selection {
  return s.all && s.ids.size === 0 ? NOTHING : { all: true, ids: new Set() };
}
