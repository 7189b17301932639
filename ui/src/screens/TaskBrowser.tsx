// Task browser: filter form, streamed virtualized table, details, saved views, bulk actions.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { Batch } from "../bindings/Batch";
import type { SavedView } from "../bindings/SavedView";
import type { TaskFilter } from "../bindings/TaskFilter";
import type { TaskRow } from "../bindings/TaskRow";
import type { TaskView } from "../bindings/TaskView";
import { ErrorBanner } from "../components/ui";
import type { ActionKind } from "../lib/bulk";
import { emptyForm, toTaskFilter, validateForm, type FilterForm } from "../lib/filterForm";
import { sortRows, type SortSpec } from "../lib/sort";
import { useT } from "../i18n";
import { api, newJobId } from "../ipc";
import { BulkDialog } from "./BulkDialog";
import { DetailDrawer } from "./DetailDrawer";
import { ExportDialog } from "./ExportDialog";
import { FilterPanel } from "./FilterPanel";
import { COLUMNS, TaskTable } from "./TaskTable";

const DEFAULT_COLUMNS = ["name", "status", "batchId", "lastAnnotator", "score", "updatedAt"];

export function TaskBrowser({
  projectId,
  projectName,
  initialBatchId,
  initialTaskIds,
}: {
  projectId: string;
  projectName?: string;
  initialBatchId?: string;
  /** Opened from the Activity screen: these tasks only. */
  initialTaskIds?: string[];
}) {
  const [form, setForm] = useState<FilterForm>(() => ({
    ...emptyForm(),
    batchIds: initialBatchId ? [initialBatchId] : [],
    taskIds: initialTaskIds ? initialTaskIds.join("\n") : "",
  }));
  const [view, setView] = useState<TaskView>("lab");
  const [applied, setApplied] = useState<TaskFilter>(() => toTaskFilter(projectId, form));
  const [batches, setBatches] = useState<Batch[]>([]);
  const [allRows, setAllRows] = useState<TaskRow[]>([]);
  const pending = useRef<TaskRow[]>([]);
  const [count, setCount] = useState<{ loaded: number; total: number } | null>(null);
  const [loading, setLoading] = useState(false);
  const [seq, setSeq] = useState(0);
  const [error, setError] = useState<AppError | null>(null);
  const [sort, setSort] = useState<SortSpec | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [active, setActive] = useState(-1);
  const [openId, setOpenId] = useState<string | null>(null);
  const [columns, setColumns] = useState<string[]>(DEFAULT_COLUMNS);
  const [chooser, setChooser] = useState(false);
  const [views, setViews] = useState<SavedView[]>([]);
  const [viewName, setViewName] = useState("");
  const [currentView, setCurrentView] = useState("");
  const [bulk, setBulk] = useState<ActionKind | null>(null);
  const [exporting, setExporting] = useState(false);
  const job = useRef<string | null>(null);
  const frame = useRef<number | null>(null);

  const t = useT();
  // recomputed on every render so that its messages follow a language switch
  const errors = validateForm(form);

  useEffect(() => {
    api.listBatches(projectId).then(setBatches, (e: AppError) => setError(e));
    api.listViews(projectId).then(setViews, () => setViews([]));
  }, [projectId]);

  const batchName = useCallback((id: string) => batches.find((b) => b.id === id)?.name ?? id, [batches]);

  // The search whose rows are shown. Channel pages may arrive after the command has
  // answered, so a search ends when every row it reported has arrived.
  const shown = useRef<string | null>(null);
  const received = useRef(0);
  const expected = useRef<number | null>(null);

  const flush = useCallback((id: string) => {
    if (shown.current !== id || pending.current.length === 0) return;
    const add = pending.current;
    pending.current = [];
    setAllRows((prev) => prev.concat(add));
  }, []);

  const finish = useCallback(
    (id: string) => {
      if (shown.current !== id) return;
      flush(id);
      expected.current = null;
      if (job.current === id) job.current = null;
      setLoading(false);
    },
    [flush],
  );

  const search = useCallback(
    async (filter: TaskFilter, v: TaskView) => {
      if (job.current) void api.cancelJob(job.current);
      const id = newJobId();
      job.current = id;
      shown.current = id;
      received.current = 0;
      expected.current = null;
      pending.current = [];
      setAllRows([]);
      setSelected(new Set());
      setActive(-1);
      setOpenId(null);
      setCount(null);
      setError(null);
      setLoading(true);
      setSeq((n) => n + 1);
      setApplied(filter);
      try {
        const summary = await api.loadTasks(id, { filter, view: v }, (page) => {
          if (shown.current !== id) return;
          pending.current.push(...page.rows);
          received.current += page.rows.length;
          setCount({ loaded: page.loaded, total: page.total });
          if (expected.current !== null && received.current >= expected.current) {
            finish(id);
            return;
          }
          // repaint at most once a frame while pages pour in
          if (frame.current === null) {
            frame.current = requestAnimationFrame(() => {
              frame.current = null;
              flush(id);
            });
          }
        });
        if (shown.current !== id) return;
        setCount({ loaded: summary.loaded, total: summary.total });
        if (summary.cancelled || received.current >= summary.loaded) finish(id);
        else expected.current = summary.loaded;
      } catch (e) {
        if (shown.current === id) {
          setError(e as AppError);
          finish(id);
        }
      }
    },
    [flush, finish],
  );

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

  const rows = useMemo(() => sortRows(allRows, sort), [allRows, sort]);
  const nameIndex = useMemo(() => new Map(allRows.map((r) => [r.id, r.name])), [allRows]);
  const nameOf = useCallback((id: string) => nameIndex.get(id) ?? "", [nameIndex]);
  const shownColumns = COLUMNS.filter((c) => columns.includes(c.key));
  const openRow = openId ? rows.find((r) => r.id === openId) ?? null : null;

  const apply = () => {
    if (Object.keys(errors).length) return;
    void search(toTaskFilter(projectId, form), view);
  };

  const onSort = (col: keyof TaskRow) =>
    setSort((s) => (s?.column === col ? (s.dir === "asc" ? { column: col, dir: "desc" } : null) : { column: col, dir: "asc" }));

  const toggle = useCallback(
    (id: string) =>
      setSelected((s) => {
        const n = new Set(s);
        if (n.has(id)) n.delete(id);
        else n.add(id);
        return n;
      }),
    [],
  );
  const toggleAll = useCallback(
    () => setSelected((s) => (rows.length > 0 && rows.every((r) => s.has(r.id)) ? new Set() : new Set(rows.map((r) => r.id)))),
    [rows],
  );

  async function saveView() {
    try {
      setViews(await api.saveView(projectId, { name: viewName, form, view, columns }));
      setCurrentView(viewName.trim());
      setViewName("");
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
            {selected.size > 0 ? ` · ${t("tasks.selected", { count: selected.size })}` : ""}
          </span>
          {loading && count && count.total > 0 && (
            <div className="progress" aria-hidden="true">
              <div style={{ width: `${(100 * count.loaded) / count.total}%` }} />
            </div>
          )}
          {loading && (
            <button onClick={() => job.current && void api.cancelJob(job.current)}>{t("tasks.stopLoading")}</button>
          )}
          <span className="spacer" />
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
          <input
            type="text"
            aria-label={t("tasks.viewNameLabel")}
            placeholder={t("tasks.viewNamePlaceholder")}
            value={viewName}
            onChange={(e) => setViewName(e.target.value)}
            style={{ width: 120 }}
          />
          <button onClick={() => void saveView()} disabled={!viewName.trim()}>
            {t("tasks.saveView")}
          </button>
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
            {selected.size > 0
              ? t("tasks.actOnSelected", { count: selected.size })
              : count && !loading
                ? t("tasks.actOnFilterCount", { count: count.total })
                : t("tasks.actOnFilter")}
          </span>
          <div className="toolbar-group" data-one-row>
            <button onClick={() => setBulk("properties")} data-testid="bulk-properties">{t("tasks.updateProperties")}</button>
            <button onClick={() => setBulk("redo")} data-testid="bulk-redo">{t("tasks.sendToRedo")}</button>
            <button onClick={() => setBulk("review")} data-testid="bulk-review">{t("tasks.sendToReview")}</button>
            <button onClick={() => setExporting(true)} data-testid="open-export">
              {t("export.action")}
            </button>
          </div>
        </div>
        <ErrorBanner error={error} onRetry={apply} />
        <div style={{ display: "flex", flex: 1, minHeight: 0 }}>
          <TaskTable
            rows={rows}
            columns={shownColumns}
            sort={sort}
            onSort={onSort}
            selected={selected}
            onToggle={toggle}
            onToggleAll={toggleAll}
            active={active}
            onActivate={setActive}
            onOpen={(i) => setOpenId(rows[i]?.id ?? null)}
            batchName={batchName}
            emptyText={loading ? t("tasks.loadingTasks") : t("tasks.noMatch")}
            onEscape={() => setOpenId(null)}
          />
          {openRow && <DetailDrawer row={openRow} batchName={batchName} onClose={() => setOpenId(null)} />}
        </div>
      </section>
      {exporting && (
        <ExportDialog projectId={projectId} filter={applied} selectedIds={[...selected]} onClose={() => setExporting(false)} />
      )}
      {bulk && (
        <BulkDialog
          kind={bulk}
          projectId={projectId}
          projectName={projectName}
          selectedIds={[...selected]}
          filterTarget={{ kind: "filter", filter: applied }}
          matchingCount={count?.total ?? null}
          nameOf={nameOf}
          onClose={() => setBulk(null)}
          onFinished={() => void search(applied, view)}
        />
      )}
    </div>
  );
}
