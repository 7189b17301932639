// Virtualized task table: only the rows on screen are in the DOM, so 100k rows stay smooth.
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import type { SortSpec } from "../bindings/SortSpec";
import type { TaskRow } from "../bindings/TaskRow";
import { StatusBadge, formatDate } from "../components/ui";
import { formatNumber, t, useT, type MessageKey } from "../i18n";
import { isSelected, type RowWindow, type Selection } from "../lib/rows";
import { moveTarget, scrollToRow, visibleRange } from "../lib/virtual";

export const ROW_HEIGHT = 32;

export type ColumnKey = SortSpec["column"];

export interface Column {
  key: ColumnKey;
  /** The column title in the current language. */
  readonly label: string;
  width: number;
  render?: (r: TaskRow, batchName: (id: string) => string) => React.ReactNode;
}

function column(key: ColumnKey, labelKey: MessageKey, width: number, render?: Column["render"]): Column {
  return {
    key,
    width,
    render,
    get label() {
      return t(labelKey);
    },
  };
}

export const COLUMNS: Column[] = [
  column("name", "table.col.name", 220),
  column("status", "table.col.status", 110, (r) => <StatusBadge status={r.status} />),
  column("batchId", "table.col.batch", 140, (r, b) => b(r.batchId)),
  column("lastAnnotator", "table.col.lastAnnotator", 190, (r) => r.lastAnnotator ?? ""),
  column("score", "table.col.score", 70, (r) => (r.score === null ? "" : formatNumber(r.score))),
  column("createdAt", "table.col.created", 185, (r) => formatDate(r.createdAt)),
  column("updatedAt", "table.col.updated", 185, (r) => formatDate(r.updatedAt)),
  column("id", "table.col.id", 230, (r) => <span className="mono">{r.id}</span>),
];

/** What the table and the gallery share: the rows by range, the selection, the active row. */
export interface ListProps {
  count: number;
  window: RowWindow;
  selection: Selection;
  /** Tick or untick the row at `index`; with `range`, every row from the last ticked one. */
  onToggle: (index: number, id: string, range: boolean) => void;
  onToggleAll: () => void;
  active: number;
  onActivate: (i: number) => void;
  onOpen: (i: number) => void;
  batchName: (id: string) => string;
  emptyText: string;
  /** Escape pressed in the list (closes the details). */
  onEscape?: () => void;
}

/** The keys of the table and the gallery: moves (see `moveTarget`), Space ticks (Shift: a
 *  range), Enter opens, Ctrl+A selects everything, Escape closes the details. With
 *  `shiftExtends`, a move with Shift also ticks the row it lands on. */
export function useListKeys(
  p: Pick<ListProps, "count" | "window" | "onToggle" | "onToggleAll" | "active" | "onActivate" | "onOpen" | "onEscape">,
  layout: { cols: number; page: () => number; horizontal: boolean; shiftExtends: boolean },
) {
  const { count, window: rows, onToggle, onToggleAll, active, onActivate, onOpen, onEscape } = p;
  const { cols, page, horizontal, shiftExtends } = layout;
  return useCallback(
    (e: React.KeyboardEvent) => {
      if (e.key === "Escape" && onEscape) return onEscape();
      if (count === 0) return;
      const to = moveTarget(e.key, active, count, cols, page(), horizontal);
      if (to !== null) {
        e.preventDefault();
        const next = Math.max(0, Math.min(count - 1, to));
        onActivate(next);
        const r = rows.rowAt(next);
        if (shiftExtends && e.shiftKey && r) onToggle(next, r.id, true);
        return;
      }
      if (e.key === " ") {
        e.preventDefault();
        const r = rows.rowAt(active);
        if (r) onToggle(active, r.id, e.shiftKey);
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (active >= 0) onOpen(active);
      } else if (e.key === "a" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        onToggleAll();
      }
    },
    [rows, count, cols, page, horizontal, shiftExtends, active, onActivate, onToggle, onOpen, onToggleAll, onEscape],
  );
}

export function TaskTable({
  count,
  window: rows,
  columns,
  sort,
  onSort,
  selection,
  onToggle,
  onToggleAll,
  active,
  onActivate,
  onOpen,
  batchName,
  emptyText,
  onEscape,
}: ListProps & {
  columns: Column[];
  sort: SortSpec | null;
  onSort: (col: ColumnKey) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const tr = useT();
  const helpId = useId();
  const [scroll, setScroll] = useState({ top: 0, height: 600 });

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setScroll({ top: el.scrollTop, height: el.clientHeight });
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // keep the active row visible when moving with the keyboard
  useEffect(() => {
    const el = ref.current;
    if (!el || active < 0) return;
    const top = scrollToRow(active, ROW_HEIGHT, el.scrollTop, el.clientHeight - ROW_HEIGHT);
    if (top !== el.scrollTop) el.scrollTop = top;
  }, [active]);

  const onKey = useListKeys(
    { count, window: rows, onToggle, onToggleAll, active, onActivate, onOpen, onEscape },
    { cols: 1, page: () => Math.max(1, Math.floor((ref.current?.clientHeight ?? 320) / ROW_HEIGHT) - 2), horizontal: false, shiftExtends: false },
  );

  const range = visibleRange(count, ROW_HEIGHT, scroll.top, scroll.height);
  const { want } = rows;
  useEffect(() => want(range.start, range.end), [want, range.start, range.end]);
  const width = 44 + columns.reduce((n, c) => n + c.width, 0);
  const allSelected = count > 0 && selection.all && selection.ids.size === 0;
  const activeRow = rows.rowAt(active);

  return (
    <>
      <div
        ref={ref}
        className="grid"
        role="grid"
        aria-label={tr("table.label")}
        aria-describedby={helpId}
        aria-rowcount={count + 1}
        aria-multiselectable="true"
        aria-activedescendant={activeRow ? `row-${activeRow.id}` : undefined}
        tabIndex={0}
        onKeyDown={onKey}
        onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
        data-testid="task-grid"
        data-wide
      >
        <div className="grid-head" role="row" aria-rowindex={1} style={{ width }}>
          <div className="cell check" role="columnheader" style={{ width: 44 }}>
            <input
              type="checkbox"
              aria-label={tr("table.selectAll")}
              checked={allSelected}
              onChange={onToggleAll}
              tabIndex={-1}
            />
          </div>
          {columns.map((c) => (
            <div
              key={c.key}
              className="cell"
              role="columnheader"
              style={{ width: c.width }}
              aria-sort={sort?.column === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
            >
              <button onClick={() => onSort(c.key)} data-col={c.key}>
                {c.label}
                {sort?.column === c.key ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
              </button>
            </div>
          ))}
        </div>
        {count === 0 ? (
          <div role="row" aria-rowindex={2}>
            <div className="empty" role="gridcell">
              {emptyText}
            </div>
          </div>
        ) : (
          <div style={{ height: range.totalHeight, position: "relative", width }}>
            {Array.from({ length: range.end - range.start }, (_, k) => {
              const i = range.start + k;
              const r = rows.rowAt(i);
              if (!r)
                return (
                  <div
                    key={`pending-${i}`}
                    role="row"
                    aria-rowindex={i + 2}
                    aria-busy="true"
                    className="grid-row pending"
                    style={{ top: i * ROW_HEIGHT, height: ROW_HEIGHT, width }}
                  >
                    <div className="cell muted" role="gridcell" style={{ width }}>
                      …
                    </div>
                  </div>
                );
              const sel = isSelected(selection, r.id);
              return (
                <div
                  key={r.id}
                  id={`row-${r.id}`}
                  role="row"
                  aria-rowindex={i + 2}
                  aria-selected={sel}
                  data-task-name={r.name}
                  className={`grid-row${sel ? " selected" : ""}${i === active ? " active" : ""}`}
                  style={{ top: i * ROW_HEIGHT, height: ROW_HEIGHT, width }}
                  onClick={(e) => {
                    onActivate(i);
                    // ctrl-click ticks, shift-click ticks a range, a plain click opens
                    if (e.ctrlKey || e.metaKey || e.shiftKey) onToggle(i, r.id, e.shiftKey);
                    else onOpen(i);
                  }}
                >
                  <div className="cell" role="gridcell" style={{ width: 44 }}>
                    <input
                      type="checkbox"
                      aria-label={tr("table.select", { name: r.name })}
                      checked={sel}
                      tabIndex={-1}
                      onClick={(e) => {
                        e.stopPropagation();
                        onToggle(i, r.id, e.shiftKey);
                      }}
                      onChange={() => undefined}
                    />
                  </div>
                  {columns.map((c) => (
                    <div key={c.key} className="cell" role="gridcell" style={{ width: c.width }} data-col={c.key}>
                      {c.render ? c.render(r, batchName) : String(r[c.key] ?? "")}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        )}
      </div>
      <span id={helpId} className="sr-only">
        {tr("table.keyboardHelp")}
      </span>
    </>
  );
}
