// Virtualized task table: only the rows on screen are in the DOM, so 100k rows stay smooth.
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import type { TaskRow } from "../bindings/TaskRow";
import { StatusBadge, formatDate } from "../components/ui";
import { formatNumber, t, useT, type MessageKey } from "../i18n";
import type { SortSpec } from "../lib/sort";
import { scrollToRow, visibleRange } from "../lib/virtual";

export const ROW_HEIGHT = 32;

export interface Column {
  key: keyof TaskRow;
  /** The column title in the current language. */
  readonly label: string;
  width: number;
  render?: (r: TaskRow, batchName: (id: string) => string) => React.ReactNode;
}

function column(key: keyof TaskRow, labelKey: MessageKey, width: number, render?: Column["render"]): Column {
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

export function TaskTable({
  rows,
  columns,
  sort,
  onSort,
  selected,
  onToggle,
  onToggleAll,
  active,
  onActivate,
  onOpen,
  batchName,
  emptyText,
  onEscape,
}: {
  rows: TaskRow[];
  columns: Column[];
  sort: SortSpec | null;
  onSort: (col: keyof TaskRow) => void;
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onToggleAll: () => void;
  active: number;
  onActivate: (i: number) => void;
  onOpen: (i: number) => void;
  batchName: (id: string) => string;
  emptyText: string;
  /** Escape pressed in the table (closes the details). */
  onEscape?: () => void;
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

  const onKey = useCallback(
    (e: React.KeyboardEvent) => {
      if (e.key === "Escape" && onEscape) {
        onEscape();
        return;
      }
      if (rows.length === 0) return;
      const page = Math.max(1, Math.floor((ref.current?.clientHeight ?? 320) / ROW_HEIGHT) - 2);
      const move = (i: number) => {
        e.preventDefault();
        onActivate(Math.max(0, Math.min(rows.length - 1, i)));
      };
      switch (e.key) {
        case "ArrowDown":
          return move(active + 1);
        case "ArrowUp":
          return move(active - 1);
        case "PageDown":
          return move(active + page);
        case "PageUp":
          return move(active - page);
        case "Home":
          return move(0);
        case "End":
          return move(rows.length - 1);
        case " ": {
          e.preventDefault();
          const r = rows[active];
          if (r) onToggle(r.id);
          return;
        }
        case "Enter":
          e.preventDefault();
          if (active >= 0) onOpen(active);
          return;
        case "a":
          if (e.ctrlKey || e.metaKey) {
            e.preventDefault();
            onToggleAll();
          }
          return;
      }
    },
    [rows, active, onActivate, onToggle, onOpen, onToggleAll, onEscape],
  );

  const range = visibleRange(rows.length, ROW_HEIGHT, scroll.top, scroll.height);
  const width = 44 + columns.reduce((n, c) => n + c.width, 0);
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const activeRow = rows[active];

  return (
    <>
      <div
        ref={ref}
        className="grid"
        role="grid"
        aria-label={tr("table.label")}
        aria-describedby={helpId}
        aria-rowcount={rows.length + 1}
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
        {rows.length === 0 ? (
          <div role="row" aria-rowindex={2}>
            <div className="empty" role="gridcell">
              {emptyText}
            </div>
          </div>
        ) : (
          <div style={{ height: range.totalHeight, position: "relative", width }}>
            {rows.slice(range.start, range.end).map((r, k) => {
              const i = range.start + k;
              const sel = selected.has(r.id);
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
                  onClick={() => {
                    onActivate(i);
                    onOpen(i);
                  }}
                >
                  <div className="cell" role="gridcell" style={{ width: 44 }}>
                    <input
                      type="checkbox"
                      aria-label={tr("table.select", { name: r.name })}
                      checked={sel}
                      tabIndex={-1}
                      onClick={(e) => e.stopPropagation()}
                      onChange={() => onToggle(r.id)}
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
