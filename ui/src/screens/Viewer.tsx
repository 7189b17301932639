// A task's image with its annotations drawn over it (SVG, in each label's colour), a legend
// with counts and a toggle per label, a frame slider for sequences. Used small in the detail
// drawer and full screen with zoom and pan.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { Overlay } from "../bindings/Overlay";
import type { Shape } from "../bindings/Shape";
import type { TaskRow } from "../bindings/TaskRow";
import type { TaskVisual } from "../bindings/TaskVisual";
import { formatNumber, useT } from "../i18n";
import { api } from "../ipc";
import { missingReason } from "../lib/export";

/** Labels hidden, by tool (form input id or "" for the project's tool) then label id. */
export type Hidden = ReadonlySet<string>;
export const hiddenKey = (tool: Overlay, labelId: string) => `${tool.inputId ?? ""}\u0000${labelId}`;

function points(s: Shape, w: number, h: number): string {
  const g = s.geometry;
  switch (g.type) {
    case "rectangle":
      return `${g.x0 * w},${g.y0 * h} ${g.x1 * w},${g.y0 * h} ${g.x1 * w},${g.y1 * h} ${g.x0 * w},${g.y1 * h}`;
    default:
      return g.points.map(([x, y]) => `${x * w},${y * h}`).join(" ");
  }
}

/** Where a shape's label name goes: its top-left corner. */
function anchor(s: Shape): [number, number] {
  const g = s.geometry;
  if (g.type === "rectangle") return [g.x0, g.y0];
  let [x, y] = [Infinity, Infinity];
  for (const [px, py] of g.points) {
    if (py < y || (py === y && px < x)) [x, y] = [px, py];
  }
  return Number.isFinite(x) ? [x, y] : [0, 0];
}

/** The SVG of the overlays of one frame at image size `w`×`h`; `scale` is screen px per image px. */
export function OverlaySvg({
  tools,
  frame,
  hidden,
  w,
  h,
  scale,
  names,
}: {
  tools: Overlay[];
  frame: number;
  hidden: Hidden;
  w: number;
  h: number;
  scale: number;
  names: boolean;
}) {
  const stroke = 2;
  const font = 12 / Math.max(scale, 1e-6);
  const dot = 4 / Math.max(scale, 1e-6);
  return (
    <svg className="overlay" viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" aria-hidden="true" data-testid="overlay">
      {tools.map((tool) =>
        tool.masks
          .filter((m) => m.frame === frame && !hidden.has(hiddenKey(tool, m.labelId)))
          .map((m) => <image key={`m-${tool.inputId}-${m.labelId}`} href={m.png} x={0} y={0} width={w} height={h} preserveAspectRatio="none" />),
      )}
      {tools.map((tool) =>
        tool.shapes.map((s, i) => {
          if (s.frame !== frame || hidden.has(hiddenKey(tool, s.labelId))) return null;
          const g = s.geometry;
          const common = { stroke: s.color, strokeWidth: stroke, vectorEffect: "non-scaling-stroke" as const };
          const [ax, ay] = anchor(s);
          return (
            <g key={`${tool.inputId}-${i}`} data-label={s.labelId}>
              {g.type === "polyline" ? (
                <polyline points={points(s, w, h)} fill="none" {...common} />
              ) : g.type === "graph" ? (
                <>
                  {g.edges.map(([a, b], k) => {
                    const p = g.points[a];
                    const q = g.points[b];
                    return p && q ? <line key={k} x1={p[0] * w} y1={p[1] * h} x2={q[0] * w} y2={q[1] * h} {...common} /> : null;
                  })}
                  {g.points.map(([x, y], k) => (
                    <circle key={`p${k}`} cx={x * w} cy={y * h} r={dot} fill={s.color} />
                  ))}
                </>
              ) : (
                <polygon points={points(s, w, h)} fill={s.color} fillOpacity={0.18} {...common} />
              )}
              {names && (
                <text x={ax * w} y={ay * h - font * 0.3} fontSize={font} className="overlay-name" fill={s.color}>
                  {s.name}
                </text>
              )}
            </g>
          );
        }),
      )}
    </svg>
  );
}

/** Legend of every tool: a toggle per label with its colour and count, show/hide all. */
export function Legend({ tools, hidden, setHidden }: { tools: Overlay[]; hidden: Hidden; setHidden: (h: Hidden) => void }) {
  const t = useT();
  const all = tools.flatMap((tool) => tool.labels.map((l) => hiddenKey(tool, l.id)));
  return (
    <div className="legend" role="group" aria-label={t("viewer.legend")}>
      <div className="row small">
        <button onClick={() => setHidden(new Set())} disabled={hidden.size === 0} data-testid="show-all">
          {t("viewer.showAll")}
        </button>
        <button onClick={() => setHidden(new Set(all))} disabled={all.every((k) => hidden.has(k))} data-testid="hide-all">
          {t("viewer.hideAll")}
        </button>
      </div>
      {tools.map((tool) => (
        <div key={tool.inputId ?? ""}>
          {tools.length > 1 && <p className="small muted">{tool.title ?? tool.inputId}</p>}
          <ul>
            {tool.labels.map((l) => {
              const k = hiddenKey(tool, l.id);
              return (
                <li key={k}>
                  <label>
                    <input
                      type="checkbox"
                      checked={!hidden.has(k)}
                      data-testid={`legend-${l.id}`}
                      onChange={() => {
                        const n = new Set(hidden);
                        if (n.has(k)) n.delete(k);
                        else n.add(k);
                        setHidden(n);
                      }}
                    />
                    <span className="swatch" style={{ background: l.color }} aria-hidden="true" />
                    <span className="legend-name">{l.id === "" ? t("viewer.noLabel") : l.name}</span>
                    <span className="muted small">{formatNumber(l.count)}</span>
                  </label>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </div>
  );
}

/** The image size to draw at: the image's own once loaded, else what the task states. */
function useNatural(tools: Overlay[]) {
  const stated = tools.find((x) => x.image)?.image ?? null;
  const [loaded, setLoaded] = useState<{ width: number; height: number } | null>(null);
  return { size: loaded ?? stated, onLoad: (e: React.SyntheticEvent<HTMLImageElement>) => setLoaded({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight }) };
}

/** A frame's picture: the image (or a placeholder saying why there is none) with the overlays. */
export function Stage({
  setId,
  visual,
  frame,
  hidden,
  zoom,
  names = true,
  onScale,
}: {
  setId: string;
  visual: TaskVisual;
  frame: number;
  hidden: Hidden;
  /** `fit` fills the box's width (and height when the box has one); a number is screen px per image px. */
  zoom: "fit" | number;
  names?: boolean;
  onScale?: (scale: number) => void;
}) {
  const t = useT();
  const box = useRef<HTMLDivElement>(null);
  const [boxSize, setBoxSize] = useState({ w: 400, h: 0 });
  const { size, onLoad } = useNatural(visual.overlays.tools);
  const image = visual.images[frame] ?? visual.images[0];

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => setBoxSize({ w: el.clientWidth, h: el.clientHeight });
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const w = size?.width ?? 0;
  const h = size?.height ?? 0;
  const fit = w > 0 ? Math.min(boxSize.w / w, boxSize.h > 0 ? boxSize.h / h : Infinity) : 1;
  const scale = zoom === "fit" ? fit : zoom;
  useEffect(() => onScale?.(scale), [onScale, scale]);

  const missing = !image || image.state === "missing";
  const reason = !image ? t("viewer.noResource") : image.state === "missing" ? missingReason(image) : "";
  return (
    <div className="stage-box" ref={box}>
      <div
        className={`stage${missing ? " blank" : ""}`}
        style={w > 0 ? { width: w * scale, height: h * scale } : undefined}
        data-testid="stage"
        data-frame={frame}
      >
        {!missing && (
          <img
            src={api.imageUrl(setId, visual.taskId, frame < visual.images.length ? frame : 0)}
            alt={t("viewer.imageOf", { name: image.label })}
            onLoad={onLoad}
            draggable={false}
            data-testid="stage-image"
          />
        )}
        {w > 0 && <OverlaySvg tools={visual.overlays.tools} frame={frame} hidden={hidden} w={w} h={h} scale={scale} names={names} />}
        {missing && (
          <p className="stage-missing" role="note" data-testid="image-missing">
            {t("viewer.noImage", { reason })}
            {w > 0 && visual.overlays.tools.length > 0 ? ` ${t("viewer.drawnOnBlank")}` : ""}
          </p>
        )}
      </div>
    </div>
  );
}

/** Full-screen viewer: zoom (wheel, + −), pan (drag, arrows with Alt), fit (0), 1:1 (1),
 *  previous/next task, and the review keys handed to `onKey`. */
export function FullViewer({
  setId,
  visual,
  title,
  hidden,
  setHidden,
  onClose,
  onPrev,
  onNext,
  onAction,
  position,
}: {
  setId: string;
  visual: TaskVisual;
  title: string;
  hidden: Hidden;
  setHidden: (h: Hidden) => void;
  onClose: () => void;
  onPrev?: () => void;
  onNext?: () => void;
  onAction: (a: "redo" | "review" | "properties") => void;
  /** "3 of 80" */
  position: string;
}) {
  const t = useT();
  const [zoom, setZoom] = useState<"fit" | number>("fit");
  const [scale, setScale] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [frame, setFrame] = useState(0);
  const drag = useRef<{ x: number; y: number; px: number; py: number } | null>(null);
  const root = useRef<HTMLDivElement>(null);
  const frames = Math.max(1, visual.overlays.frames, visual.images.length);

  useEffect(() => {
    root.current?.focus();
  }, []);

  const zoomBy = useCallback((f: number) => setZoom(Math.min(32, Math.max(0.02, scale * f))), [scale]);
  const onKey = (e: React.KeyboardEvent) => {
    const k = e.key;
    const step = 40;
    if (k === "Escape") onClose();
    else if (k === "+" || k === "=") zoomBy(1.25);
    else if (k === "-") zoomBy(0.8);
    else if (k === "0") {
      setZoom("fit");
      setPan({ x: 0, y: 0 });
    } else if (k === "1") setZoom(1);
    else if (e.altKey && k.startsWith("Arrow"))
      setPan((p) => ({
        x: p.x + (k === "ArrowLeft" ? step : k === "ArrowRight" ? -step : 0),
        y: p.y + (k === "ArrowUp" ? step : k === "ArrowDown" ? -step : 0),
      }));
    else if ((k === "ArrowRight" || k === "n") && onNext) onNext();
    else if ((k === "ArrowLeft" || k === "p") && onPrev) onPrev();
    else if (k === "r") onAction("redo");
    else if (k === "v") onAction("review");
    else if (k === "s") onAction("properties");
    else if (k === "," && frames > 1) setFrame((f) => Math.max(0, f - 1));
    else if (k === "." && frames > 1) setFrame((f) => Math.min(frames - 1, f + 1));
    else return;
    e.preventDefault();
  };

  return (
    <div
      className="full-viewer"
      role="dialog"
      aria-modal="true"
      aria-label={t("viewer.fullLabel", { name: title })}
      tabIndex={-1}
      ref={root}
      onKeyDown={onKey}
      data-testid="full-viewer"
    >
      {/* two rows, so that nothing is cut at 1024 px in any language: what is shown and the
          way out, then the controls (navigation, zoom, actions) */}
      <div className="toolbar full-head">
        <strong className="full-title" title={title}>
          {title}
        </strong>
        <span className="small muted">{position}</span>
        <span className="spacer" />
        <button onClick={onClose} aria-label={t("viewer.close")} title={t("viewer.close")} data-testid="viewer-close">
          ✕
        </button>
      </div>
      <div className="toolbar full-controls">
        <span className="toolbar-group" data-one-row>
          <button onClick={onPrev} disabled={!onPrev} data-testid="viewer-prev" title={t("viewer.prevKeys")}>
            {t("viewer.prev")}
          </button>
          <button onClick={onNext} disabled={!onNext} data-testid="viewer-next" title={t("viewer.nextKeys")}>
            {t("viewer.next")}
          </button>
        </span>
        <span className="toolbar-group" data-one-row>
          <button onClick={() => zoomBy(0.8)} aria-label={t("viewer.zoomOut")} title={t("viewer.zoomOut")}>
            −
          </button>
          <span className="small zoom-level" data-testid="zoom-level">
            {Math.round(scale * 100)} %
          </span>
          <button onClick={() => zoomBy(1.25)} aria-label={t("viewer.zoomIn")} title={t("viewer.zoomIn")}>
            +
          </button>
          <button onClick={() => (setZoom("fit"), setPan({ x: 0, y: 0 }))} data-testid="zoom-fit">
            {t("viewer.fit")}
          </button>
          <button onClick={() => setZoom(1)} data-testid="zoom-1">
            1:1
          </button>
        </span>
        <span className="spacer" />
        <span className="toolbar-group" data-one-row>
          <button onClick={() => onAction("redo")} data-testid="viewer-redo" title={t("viewer.keyR")}>
            {t("tasks.sendToRedo")}
          </button>
          <button onClick={() => onAction("review")} data-testid="viewer-review" title={t("viewer.keyV")}>
            {t("tasks.sendToReview")}
          </button>
          <button onClick={() => onAction("properties")} data-testid="viewer-score" title={t("viewer.keyS")}>
            {t("viewer.score")}
          </button>
        </span>
      </div>
      <div className="full-body">
        <div
          className="full-stage"
          onWheel={(e) => zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15)}
          onPointerDown={(e) => {
            drag.current = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y };
            e.currentTarget.setPointerCapture(e.pointerId);
          }}
          onPointerMove={(e) => {
            const d = drag.current;
            if (d) setPan({ x: d.px + e.clientX - d.x, y: d.py + e.clientY - d.y });
          }}
          onPointerUp={() => (drag.current = null)}
        >
          <div className="full-pan" style={{ transform: `translate(${pan.x}px, ${pan.y}px)` }}>
            <Stage key={visual.taskId} setId={setId} visual={visual} frame={frame} hidden={hidden} zoom={zoom} onScale={setScale} />
          </div>
        </div>
        <aside className="full-side">
          <Legend tools={visual.overlays.tools} hidden={hidden} setHidden={setHidden} />
          {frames > 1 && <FrameSlider frame={frame} frames={frames} setFrame={setFrame} />}
          <p className="small muted">{t("viewer.keys")}</p>
        </aside>
      </div>
    </div>
  );
}

export function FrameSlider({ frame, frames, setFrame }: { frame: number; frames: number; setFrame: (f: number) => void }) {
  const t = useT();
  return (
    <label className="frame-slider">
      {t("viewer.frame", { frame: frame + 1, frames })}
      <input type="range" min={0} max={frames - 1} value={frame} onChange={(e) => setFrame(Number(e.target.value))} data-testid="frame-slider" />
    </label>
  );
}

/** What the drawer shows of a task's annotations: the small stage, the legend, the frame. */
export function useVisual(setId: string, taskId: string, version: string) {
  const [visual, setVisual] = useState<TaskVisual | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    api.taskVisual(setId, taskId).then(
      (v) => {
        if (!live) return;
        setVisual(v);
        setError(null);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [setId, taskId, version]);
  // the last task's stays shown until the next one is read (the full viewer does not blink)
  return useMemo(() => ({ visual, current: visual?.taskId === taskId, error }), [visual, error, taskId]);
}

/** The full-screen viewer of one row, once its overlays are read. */
export function FullViewerFor({
  setId,
  row,
  ...rest
}: { setId: string; row: TaskRow } & Omit<Parameters<typeof FullViewer>[0], "setId" | "visual" | "title">) {
  const { visual } = useVisual(setId, row.id, row.updatedAt);
  if (!visual) return null;
  return <FullViewer setId={setId} visual={visual} title={row.name} {...rest} />;
}
