// Which rows of a long list are on screen (only those are rendered).

export interface VisibleRange {
  start: number;
  end: number; // exclusive
  offsetTop: number;
  totalHeight: number;
}

export function visibleRange(
  count: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = 8,
): VisibleRange {
  const totalHeight = count * rowHeight;
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, offsetTop: 0, totalHeight };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(count - 1, first - overscan));
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offsetTop: start * rowHeight, totalHeight };
}

/** The scrollTop that brings row `index` into view (unchanged when it already is). */
export function scrollToRow(index: number, rowHeight: number, scrollTop: number, viewportHeight: number): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return scrollTop;
}

/** Where a navigation key moves the active item of a list laid out `cols` per line (a table:
 *  1, without the left/right arrows); null for other keys. Not clamped. */
export function moveTarget(key: string, active: number, count: number, cols: number, page: number, horizontal: boolean): number | null {
  switch (key) {
    case "ArrowRight":
      return horizontal ? active + 1 : null;
    case "ArrowLeft":
      return horizontal ? active - 1 : null;
    case "ArrowDown":
      return active < 0 ? 0 : active + cols;
    case "ArrowUp":
      return active - cols;
    case "PageDown":
      return active + page;
    case "PageUp":
      return active - page;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}
