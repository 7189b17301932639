// Task browser: filter form, streamed virtualized table, details, saved views, bulk actions.
import { useCallback, useEffect, useRef, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { Batch } from "../bindings/Batch";
import type { BulkTarget } from "../bindings/BulkTarget";
import type { SavedView } from "../bindings/SavedView";
import type { SortSpec } from "../bindings/SortSpec";
import type { TaskFilter } from "../bindings/TaskFilter";
import type { TaskRow } from "../bindings/TaskRow";
import type { TaskView } from "../bindings/TaskView";
import { ErrorBanner } from "../components/ui";
import type { ActionKind } from "../lib/bulk";
import { emptyForm, toTaskFilter, validateForm, type FilterForm } from "../lib/filterForm";
import { NOTHING, allOrNothing, selectedCount, toggled, useRowWindow, withAll, type Selection } from "../lib/rows";
import { formatMoment, useT } from "../i18n";
import { api, newJobId } from "../ipc";
import { BulkDialog } from "./BulkDialog";
import { DetailDrawer } from "./DetailDrawer";
import { ExportDialog } from "./ExportDialog";
import { FilterPanel } from "./FilterPanel";
import { Gallery } from "./Gallery";
import { FullViewerFor, type Hidden } from "./Viewer";
import { COLUMNS, TaskTable, type ColumnKey, type ListProps } from "./TaskTable";

const DEFAULT_COLUMNS = ["name", "status", "batchId", "lastAnnotator", "score", "updatedAt"];

export type Layout = "table" | "gallery";

export function TaskBrowser({
  projectId,
  projectName,
  initialBatchId,
  initialTaskIds,
  initialForm,
}: {
  projectId: string;
  projectName?: string;
  initialBatchId?: string;
  /** Opened from the Activity screen: these tasks only. */
  initialTaskIds?: string[];
  /** Opened from a dashboard bar: these fields of the filter form set. */
  initialForm?: Partial<FilterForm>;
}) {
  const [form, setForm] = useState<FilterForm>(() => ({
    ...emptyForm(),
    batchIds: initialBatchId ? [initialBatchId] : [],
    taskIds: initialTaskIds ? initialTaskIds.join("\n") : "",
    ...initialForm,
  }));
  const [view, setView] = useState<TaskView>("lab");
  const [applied, setApplied] = useState<TaskFilter>(() => toTaskFilter(projectId, form));
  const [batches, setBatches] = useState<Batch[]>([]);
  // the search whose rows are shown: its rows stay in Rust, read by range
  const [setId, setSetId] = useState<string | null>(null);
  const [count, setCount] = useState<{ loaded: number; total: number } | null>(null);
  /** Where the last search's rows came from, when not straight from the lab. */
  const [source, setSource] = useState<{ offline: boolean; asOf: string } | null>(null);
  const [loading, setLoading] = useState(false);
  const [seq, setSeq] = useState(0);
  const [error, setError] = useState<AppError | null>(null);
  const [sort, setSort] = useState<SortSpec | null>(null);
  const [selection, setSelection] = useState<Selection>(NOTHING);
  const anchor = useRef<number | null>(null);
  const [active, setActive] = useState(-1);
  const [openId, setOpenId] = useState<string | null>(null);
  const [columns, setColumns] = useState<string[]>(DEFAULT_COLUMNS);
  const [layout, setLayout] = useState<Layout>("table");
  const [chooser, setChooser] = useState(false);
  const [views, setViews] = useState<SavedView[]>([]);
  const [viewName, setViewName] = useState("");
  const [saving, setSaving] = useState(false);
  const [currentView, setCurrentView] = useState("");
  const [bulk, setBulk] = useState<{ kind: ActionKind; ids: string[] } | null>(null);
  const [exporting, setExporting] = useState<string[] | null>(null);
  const job = useRef<string | null>(null);
  const frame = useRef<number | null>(null);
  const pendingCount = useRef<{ loaded: number; total: number } | null>(null);

  const t = useT();
  // recomputed on every render so that its messages follow a language switch
  const errors = validateForm(form);

  useEffect(() => {
    api.listBatches(projectId).then(setBatches, (e: AppError) => setError(e));
    api.listViews(projectId).then(setViews, () => setViews([]));
  }, [projectId]);

  const batchName = useCallback((id: string) => batches.find((b) => b.id === id)?.name ?? id, [batches]);

  const search = useCallback(async (filter: TaskFilter, v: TaskView) => {
    if (job.current) void api.cancelJob(job.current);
    const id = newJobId();
    job.current = id;
    pendingCount.current = null;
    setSetId(id);
    setSelection(NOTHING);
    anchor.current = null;
    setActive(-1);
    setOpenId(null);
    setCount(null);
    setSource(null);
    setError(null);
    setLoading(true);
    setSeq((n) => n + 1);
    setApplied(filter);
    try {
      const summary = await api.loadTasks(id, { filter, view: v }, (page) => {
        if (job.current !== id) return;
        pendingCount.current = { loaded: page.loaded, total: page.total };
        // repaint at most once a frame while pages pour in
        if (frame.current === null) {
          frame.current = requestAnimationFrame(() => {
            frame.current = null;
            if (job.current === id && pendingCount.current) setCount(pendingCount.current);
          });
        }
      });
      if (job.current !== id) return;
      setCount({ loaded: summary.loaded, total: summary.total });
      setSource(summary.source === "lab" || !summary.asOf ? null : { offline: summary.source === "indexOffline", asOf: summary.asOf });
    } catch (e) {
      if (job.current === id) setError(e as AppError);
    } finally {
      if (job.current === id) {
        job.current = null;
        setLoading(false);
      }
    }
  }, []);

  // first load
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void search(toTaskFilter(projectId, form), view);
  }, [search, projectId, form, view]);

  useEffect(
    () => () => {
      if (job.current) void api.cancelJob(job.current);
    },
    [],
  );

  const loaded = count?.loaded ?? 0;
  // tasks refreshed in place after an action: the rows are read again
  const [revision, setRevision] = useState(0);
  const rows = useRowWindow(setId, sort, loaded, revision);
  const [hidden, setHidden] = useState<Hidden>(() => new Set());
  const [full, setFull] = useState(false);
  const shownColumns = COLUMNS.filter((c) => columns.includes(c.key));
  const [fetchedOpen, setFetchedOpen] = useState<{ row: TaskRow; pos: number } | null>(null);
  useEffect(() => {
    if (!openId || !setId) return;
    // the open task's row, wherever it is in the order (it may be off the read window)
    let live = true;
    void api.taskPosition(setId, sort, openId).then(async (pos) => {
      const r = pos === null ? null : (await api.taskRows(setId, sort, pos, pos + 1)).rows[0] ?? null;
      if (live) setFetchedOpen(r && pos !== null ? { row: r, pos } : null);
    });
    return () => {
      live = false;
    };
  }, [openId, setId, sort, revision]);
  const openRow = openId && fetchedOpen?.row.id === openId ? fetchedOpen.row : null;
  const openPos = openRow ? (fetchedOpen?.pos ?? -1) : -1;

  /** Opens the task `delta` places away in the list (the viewer's previous / next). */
  const step = useCallback(
    async (delta: number) => {
      if (!setId || openPos < 0) return;
      const to = openPos + delta;
      if (to < 0 || to >= loaded) return;
      const r = await api.taskRows(setId, sort, to, to + 1);
      const next = r.rows[0];
      if (next) {
        // the row is known: the drawer and the viewer switch without a gap
        setFetchedOpen({ row: next, pos: to });
        setOpenId(next.id);
        setActive(to);
      }
    },
    [setId, sort, openPos, loaded],
  );

  const apply = () => {
    if (Object.keys(errors).length) return;
    void search(toTaskFilter(projectId, form), view);
  };

  const onSort = (col: ColumnKey) =>
    setSort((s) => (s?.column === col ? (s.dir === "asc" ? { column: col, dir: "desc" } : null) : { column: col, dir: "asc" }));

  const toggle = useCallback(
    (index: number, id: string, range: boolean) => {
      const from = anchor.current;
      anchor.current = index;
      if (!range || from === null || from === index || !setId) {
        setSelection((s) => toggled(s, id));
        return;
      }
      const [a, b] = from < index ? [from, index] : [index, from];
      void api.taskRows(setId, sort, a, b + 1).then(
        (r) => setSelection((s) => withAll(s, r.rows.map((x) => x.id))),
        (e: AppError) => setError(e),
      );
    },
    [setId, sort],
  );
  const selectOnly = useCallback((index: number, id: string) => {
    anchor.current = index;
    setSelection({ all: false, ids: new Set([id]) });
  }, []);
  const toggleAll = useCallback(() => setSelection(allOrNothing), []);
  const nSelected = selectedCount(selection, loaded);
  const complete = !loading && count !== null && count.loaded === count.total;

  /** The selected ids for an action; `[]` when the action is on the whole filter. */
  async function selectedIds(): Promise<string[]> {
    if (!selection.all) return [...selection.ids];
    if (selection.ids.size === 0 && complete) return [];
    return setId ? api.selectionIds(setId, [...selection.ids]) : [];
  }

  async function openBulk(kind: ActionKind) {
    try {
      setBulk({ kind, ids: await selectedIds() });
    } catch (e) {
      setError(e as AppError);
    }
  }

  async function openExport() {
    try {
      setExporting(await selectedIds());
    } catch (e) {
      setError(e as AppError);
    }
  }

  /** After an action: tasks picked one by one are read again in place (the list keeps its
   *  place and the viewer its task); an action on the whole filter searches again. */
  function afterAction(target: BulkTarget) {
    if (target.kind === "selection" && setId) {
      api.refreshTasks(setId, target.ids).then(
        () => setRevision((n) => n + 1),
        (e: AppError) => setError(e),
      );
    } else {
      setFull(false);
      void search(applied, view);
    }
  }

  const namesOf = useCallback(
    (ids: string[]) => (setId ? api.taskNames(setId, ids) : Promise.resolve({} as Record<string, string>)),
    [setId],
  );

  async function saveView() {
    try {
      setViews(await api.saveView(projectId, { name: viewName, form, view, columns }));
      setCurrentView(viewName.trim());
      setViewName("");
      setSaving(false);
    } catch (e) {
      setError(e as AppError);
    }
  }

  function applyView(name: string) {
    const v = views.find((x) => x.name === name);
    if (!v) return;
    setCurrentView(v.name);
    const f = { ...emptyForm(), ...(v.form as Partial<FilterForm>) };
    setForm(f);
    setView(v.view as TaskView);
    setColumns(v.columns);
    void search(toTaskFilter(projectId, f), v.view as TaskView);
  }

  /** What the table and the gallery share. */
  const list: ListProps = {
    count: loaded,
    window: rows,
    selection,
    onToggle: toggle,
    onToggleAll: toggleAll,
    active,
    onActivate: setActive,
    onOpen: (i) => setOpenId(rows.rowAt(i)?.id ?? null),
    batchName,
    emptyText: loading ? t("tasks.loadingTasks") : t("tasks.noMatch"),
    onEscape: () => setOpenId(null),
  };

  return (
    <div className="browser">
      <h1 className="sr-only">{t("tasks.heading")}</h1>
      <FilterPanel
        form={form}
        setForm={setForm}
        batches={batches}
        errors={errors}
        onApply={apply}
        onReset={() => setForm(emptyForm())}
        loading={loading}
      />
      <section className="results" aria-label={t("tasks.found")}>
        <div className="toolbar">
          <label htmlFor="view-mode">{t("tasks.view")}</label>
          <select
            id="view-mode"
            value={view}
            onChange={(e) => {
              const v = e.target.value as TaskView;
              setView(v);
              void search(applied, v);
            }}
          >
            <option value="lab">{t("tasks.viewLab")}</option>
            <option value="raw">{t("tasks.viewRaw")}</option>
            <option value="kili">{t("tasks.viewKili")}</option>
          </select>
          <span
            role="status"
            aria-live="polite"
            data-testid="load-status"
            data-seq={seq}
            data-loading={loading ? "true" : "false"}
            className="small"
          >
            {count ? t("tasks.loaded", { loaded: count.loaded, total: count.total }) : loading ? t("tasks.loading") : ""}
            {nSelected > 0 ? ` · ${t("tasks.selected", { count: nSelected })}` : ""}
          </span>
          {source && (
            <span
              className={source.offline ? "small warning-note" : "small muted"}
              role={source.offline ? "status" : undefined}
              data-testid="load-source"
              data-offline={source.offline ? "true" : "false"}
              title={t(source.offline ? "tasks.offlineCopyHelp" : "tasks.fromCopyHelp", { time: formatMoment(source.asOf) })}
            >
              {t(source.offline ? "tasks.offlineCopy" : "tasks.fromCopy", { time: formatMoment(source.asOf) })}
            </span>
          )}
          {loading && count && count.total > 0 && (
            <div className="progress" aria-hidden="true">
              <div style={{ width: `${(100 * count.loaded) / count.total}%` }} />
            </div>
          )}
          {loading && (
            <button onClick={() => job.current && void api.cancelJob(job.current)}>{t("tasks.stopLoading")}</button>
          )}
          <span className="spacer" />
          <div className="segmented" role="group" aria-label={t("tasks.layout")}>
            <button aria-pressed={layout === "table"} onClick={() => setLayout("table")} data-testid="layout-table">
              {t("tasks.layoutTable")}
            </button>
            <button aria-pressed={layout === "gallery"} onClick={() => setLayout("gallery")} data-testid="layout-gallery">
              {t("tasks.layoutGallery")}
            </button>
          </div>
          <div style={{ position: "relative" }}>
            <button aria-expanded={chooser} aria-controls={chooser ? "column-chooser" : undefined} onClick={() => setChooser((c) => !c)}>
              {t("tasks.columns")}
            </button>
            {chooser && (
              <div
                className="popover"
                style={{ right: 0, top: "2.2rem" }}
                id="column-chooser"
                role="group"
                aria-label={t("tasks.visibleColumns")}
                onKeyDown={(e) => e.key === "Escape" && setChooser(false)}
              >
                {COLUMNS.map((c) => (
                  <label key={c.key}>
                    <input
                      type="checkbox"
                      checked={columns.includes(c.key)}
                      disabled={c.key === "name"}
                      onChange={() =>
                        setColumns((cols) => (cols.includes(c.key) ? cols.filter((x) => x !== c.key) : [...cols, c.key]))
                      }
                    />
                    {c.label}
                  </label>
                ))}
              </div>
            )}
          </div>
          <div className="toolbar-group">
          <label className="sr-only" htmlFor="saved-views">
            {t("tasks.savedViews")}
          </label>
          <select id="saved-views" value={currentView} onChange={(e) => applyView(e.target.value)}>
            <option value="">{t("tasks.savedViewsPick")}</option>
            {views.map((v) => (
              <option key={v.name} value={v.name}>
                {v.name}
              </option>
            ))}
          </select>
          <div style={{ position: "relative" }}>
            <button
              aria-expanded={saving}
              aria-controls={saving ? "save-view" : undefined}
              onClick={() => setSaving((x) => !x)}
              data-testid="save-view-open"
            >
              {t("tasks.saveViewMenu")}
            </button>
            {saving && (
              <form
                className="popover row"
                style={{ right: 0, top: "2.2rem", flexWrap: "nowrap" }}
                id="save-view"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (viewName.trim()) void saveView();
                }}
                onKeyDown={(e) => e.key === "Escape" && setSaving(false)}
              >
                <input
                  type="text"
                  aria-label={t("tasks.viewNameLabel")}
                  placeholder={t("tasks.viewNamePlaceholder")}
                  value={viewName}
                  onChange={(e) => setViewName(e.target.value)}
                  style={{ width: 160 }}
                  autoFocus
                />
                <button type="submit" className="primary" disabled={!viewName.trim()}>
                  {t("tasks.saveView")}
                </button>
              </form>
            )}
          </div>
          {currentView && views.some((v) => v.name === currentView) && (
            <button
              onClick={async () => {
                try {
                  setViews(await api.deleteView(projectId, currentView));
                  setCurrentView("");
                } catch (e) {
                  setError(e as AppError);
                }
              }}
            >
              {t("tasks.deleteView", { name: currentView })}
            </button>
          )}
          </div>
        </div>
        <div className="toolbar" role="group" aria-label={t("tasks.bulkActions")}>
          <span className="small muted">
            {nSelected > 0
              ? t("tasks.actOnSelected", { count: nSelected })
              : count && !loading
                ? t("tasks.actOnFilterCount", { count: count.total })
                : t("tasks.actOnFilter")}
          </span>
          <div className="toolbar-group" data-one-row>
            <button onClick={() => void openBulk("properties")} data-testid="bulk-properties">{t("tasks.updateProperties")}</button>
            <button onClick={() => void openBulk("redo")} data-testid="bulk-redo">{t("tasks.sendToRedo")}</button>
            <button onClick={() => void openBulk("review")} data-testid="bulk-review">{t("tasks.sendToReview")}</button>
            <button onClick={() => void openExport()} data-testid="open-export">
              {t("export.action")}
            </button>
          </div>
        </div>
        <ErrorBanner error={error} onRetry={apply} />
        <div style={{ display: "flex", flex: 1, minHeight: 0 }}>
          {layout === "table" ? (
            <TaskTable {...list} columns={shownColumns} sort={sort} onSort={onSort} />
          ) : (
            <Gallery {...list} setId={setId} onSelectOnly={selectOnly} />
          )}
          {openRow && setId && (
            <DetailDrawer
              key={openRow.id}
              setId={setId}
              row={openRow}
              batchName={batchName}
              onClose={() => setOpenId(null)}
              hidden={hidden}
              setHidden={setHidden}
              onFullScreen={() => setFull(true)}
            />
          )}
        </div>
      </section>
      {full && openRow && setId && (
        <FullViewerFor
          setId={setId}
          row={openRow}
          hidden={hidden}
          setHidden={setHidden}
          onClose={() => setFull(false)}
          onPrev={openPos > 0 ? () => void step(-1) : undefined}
          onNext={openPos >= 0 && openPos + 1 < loaded ? () => void step(1) : undefined}
          onAction={(kind) => setBulk({ kind, ids: [openRow.id] })}
          position={t("viewer.position", { index: openPos + 1, count: loaded })}
        />
      )}
      {exporting && (
        <ExportDialog projectId={projectId} filter={applied} selectedIds={exporting} onClose={() => setExporting(null)} />
      )}
      {bulk && (
        <BulkDialog
          kind={bulk.kind}
          projectId={projectId}
          projectName={projectName}
          selectedIds={bulk.ids}
          filterTarget={{ kind: "filter", filter: applied }}
          matchingCount={count?.total ?? null}
          namesOf={namesOf}
          onClose={() => setBulk(null)}
          onFinished={afterAction}
        />
      )}
    </div>
  );
}
