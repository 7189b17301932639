// Virtualized task table: only the rows on screen are in the DOM, so 100k rows stay smooth.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { TaskRow } from "../bindings/TaskRow";
import { StatusBadge, formatDate } from "../components/ui";
import type { SortSpec } from "../lib/sort";
import { scrollToRow, visibleRange } from "../lib/virtual";

export const ROW_HEIGHT = 32;

export interface Column {
  key: keyof TaskRow;
  label: string;
  width: number;
  render?: (r: TaskRow, batchName: (id: string) => string) => React.ReactNode;
}

export const COLUMNS: Column[] = [
  { key: "name", label: "Name", width: 220 },
  { key: "status", label: "Status", width: 110, render: (r) => <StatusBadge status={r.status} /> },
  { key: "batchId", label: "Batch", width: 140, render: (r, b) => b(r.batchId) },
  { key: "lastAnnotator", label: "Last annotator", width: 190, render: (r) => r.lastAnnotator ?? "" },
  { key: "score", label: "Score", width: 70, render: (r) => (r.score === null ? "" : String(r.score)) },
  { key: "createdAt", label: "Created", width: 160, render: (r) => formatDate(r.createdAt) },
  { key: "updatedAt", label: "Updated", width: 160, render: (r) => formatDate(r.updatedAt) },
  { key: "id", label: "Task id", width: 230, render: (r) => <span className="mono">{r.id}</span> },
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
}) {
  const ref = useRef<HTMLDivElement>(null);
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
    [rows, active, onActivate, onToggle, onOpen, onToggleAll],
  );

  const range = visibleRange(rows.length, ROW_HEIGHT, scroll.top, scroll.height);
  const width = 44 + columns.reduce((n, c) => n + c.width, 0);
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const activeRow = rows[active];

  return (
    <div
      ref={ref}
      className="grid"
      role="grid"
      aria-label="Tasks"
      aria-rowcount={rows.length + 1}
      aria-multiselectable="true"
      aria-activedescendant={activeRow ? `row-${activeRow.id}` : undefined}
      tabIndex={0}
      onKeyDown={onKey}
      onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
      data-testid="task-grid"
    >
      <div className="grid-head" role="row" aria-rowindex={1} style={{ width }}>
        <div className="cell check" role="columnheader" style={{ width: 44 }}>
          <input
            type="checkbox"
            aria-label="Select every loaded task"
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
        <div className="empty">{emptyText}</div>
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
                    aria-label={`Select ${r.name}`}
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
  );
}
