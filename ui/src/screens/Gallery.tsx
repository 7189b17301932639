// The task browser's gallery: thumbnails with their annotations drawn (made and cached by Rust),
// status and name; virtualized by rows of cells, same rows, order and selection as the table.
import { useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import type { TaskRow } from "../bindings/TaskRow";
import { StatusBadge } from "../components/ui";
import { useT } from "../i18n";
import { api } from "../ipc";
import { isSelected } from "../lib/rows";
import { scrollToRow, visibleRange } from "../lib/virtual";
import { useListKeys, type ListProps } from "./TaskTable";

export const CELL_W = 196;
export const CELL_H = 206;
/** Longest side of a thumbnail in CSS pixels (drawn at twice that for sharp screens). */
export const THUMB = 180;

/** A cell's thumbnail. While the gallery scrolls fast, cells that have not shown theirs yet
 *  wait (no thumbnail is made for a cell that only flies by). */
function Thumb({ setId, row, scrolling }: { setId: string; row: TaskRow; scrolling: boolean }) {
  const [failed, setFailed] = useState(false);
  const [shown, setShown] = useState(false);
  const t = useT();
  if (failed)
    return (
      <div className="thumb-missing" role="img" aria-label={t("gallery.noThumb", { name: row.name })}>
        {t("gallery.noThumbShort")}
      </div>
    );
  if (scrolling && !shown) return <div className="thumb-missing" aria-busy="true" />;
  return (
    <img
      className="thumb"
      src={api.thumbUrl(setId, row.id, row.updatedAt, THUMB * 2)}
      alt={t("gallery.thumbOf", { name: row.name })}
      loading="lazy"
      decoding="async"
      draggable={false}
      onLoad={() => setShown(true)}
      onError={() => setFailed(true)}
    />
  );
}

export function Gallery({
  setId,
  count,
  window: rows,
  selection,
  onToggle,
  onToggleAll,
  active,
  onActivate,
  onOpen,
  onSelectOnly,
  emptyText,
  onEscape,
}: ListProps & {
  setId: string | null;
  /** A plain click: this task alone is selected. */
  onSelectOnly: (index: number, id: string) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const t = useT();
  const helpId = useId();
  const [box, setBox] = useState({ top: 0, height: 600, width: 800 });
  const [scrolling, setScrolling] = useState(false);
  const settle = useRef<number | null>(null);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setBox({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const cols = Math.max(1, Math.floor(box.width / CELL_W));
  // the cells share the width (8 px apart, 4 px margins)
  const cellW = Math.floor((box.width - 8 - 8 * (cols - 1)) / cols);
  const lines = Math.ceil(count / cols);
  const range = visibleRange(lines, CELL_H, box.top, box.height, 2);
  const first = range.start * cols;
  const last = Math.min(count, range.end * cols);
  const { want } = rows;
  useEffect(() => want(first, last), [want, first, last]);

  useEffect(() => {
    const el = ref.current;
    if (!el || active < 0) return;
    const top = scrollToRow(Math.floor(active / cols), CELL_H, el.scrollTop, el.clientHeight);
    if (top !== el.scrollTop) el.scrollTop = top;
  }, [active, cols]);

  const onKey = useListKeys(
    { count, window: rows, onToggle, onToggleAll, active, onActivate, onOpen, onEscape },
    { cols, page: () => cols * Math.max(1, Math.floor((ref.current?.clientHeight ?? CELL_H) / CELL_H)), horizontal: true, shiftExtends: true },
  );

  const activeRow = rows.rowAt(active);
  return (
    <>
      <div
        ref={ref}
        className="gallery"
        role="grid"
        aria-label={t("gallery.label")}
        aria-describedby={helpId}
        aria-rowcount={lines}
        aria-colcount={cols}
        aria-multiselectable="true"
        aria-activedescendant={activeRow ? `cell-${activeRow.id}` : undefined}
        tabIndex={0}
        onKeyDown={onKey}
        onScroll={(e) => {
          // read now: the event's target is gone when the updater runs
          const top = e.currentTarget.scrollTop;
          setBox((b) => ({ ...b, top }));
          setScrolling(true);
          if (settle.current !== null) window.clearTimeout(settle.current);
          settle.current = window.setTimeout(() => setScrolling(false), 150);
        }}
        data-testid="gallery"
      >
        {count === 0 ? (
          <p className="empty">{emptyText}</p>
        ) : (
          <div style={{ height: range.totalHeight, position: "relative" }}>
            {Array.from({ length: range.end - range.start }, (_, k) => {
              const line = range.start + k;
              return (
                <div
                  key={line}
                  role="row"
                  aria-rowindex={line + 1}
                  className="gallery-line"
                  style={{ top: line * CELL_H, height: CELL_H }}
                >
                  {Array.from({ length: cols }, (_, c) => {
                    const i = line * cols + c;
                    if (i >= count) return null;
                    const r = rows.rowAt(i);
                    if (!r)
                      return (
                        <div key={`p${i}`} role="gridcell" aria-busy="true" className="cell-card pending" style={{ width: cellW }}>
                          <div className="thumb-missing" />
                        </div>
                      );
                    const sel = isSelected(selection, r.id);
                    return (
                      <div
                        key={r.id}
                        id={`cell-${r.id}`}
                        role="gridcell"
                        aria-selected={sel}
                        aria-label={r.name}
                        data-task-name={r.name}
                        className={`cell-card${sel ? " selected" : ""}${i === active ? " active" : ""}`}
                        style={{ width: cellW }}
                        onClick={(e) => {
                          onActivate(i);
                          if (e.shiftKey) onToggle(i, r.id, true);
                          else if (e.ctrlKey || e.metaKey) onToggle(i, r.id, false);
                          else onSelectOnly(i, r.id);
                        }}
                        onDoubleClick={() => onOpen(i)}
                      >
                        <div className="thumb-box">{setId && <Thumb setId={setId} row={r} scrolling={scrolling} />}</div>
                        <div className="cell-caption">
                          <input
                            type="checkbox"
                            aria-label={t("table.select", { name: r.name })}
                            checked={sel}
                            tabIndex={-1}
                            onClick={(e) => {
                              e.stopPropagation();
                              onActivate(i);
                              onToggle(i, r.id, e.shiftKey);
                            }}
                            onChange={() => undefined}
                          />
                          <span className="cell-name" title={r.name}>
                            {r.name}
                          </span>
                        </div>
                        <StatusBadge status={r.status} />
                      </div>
                    );
                  })}
                </div>
              );
            })}
          </div>
        )}
      </div>
      <span id={helpId} className="sr-only">
        {t("gallery.keyboardHelp")}
      </span>
    </>
  );
}
