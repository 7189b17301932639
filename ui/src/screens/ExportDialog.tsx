// Export dialog and export history (owner: export).
// Setup (scope with its count first, format, folder through the native dialog, file name,
// options) → progress with cancel → done ("Open folder"). "Run again" reuses a recipe.
import { useEffect, useMemo, useReducer, useRef, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { ExportFormatId } from "../bindings/ExportFormatId";
import type { ExportOutcome } from "../bindings/ExportOutcome";
import type { ExportPlan } from "../bindings/ExportPlan";
import type { ExportProgress } from "../bindings/ExportProgress";
import type { ExportRecipe } from "../bindings/ExportRecipe";
import type { ExportScope } from "../bindings/ExportScope";
import type { HistoryEntry } from "../bindings/HistoryEntry";
import type { TargetCheck } from "../bindings/TargetCheck";
import type { TaskFilter } from "../bindings/TaskFilter";
import { ErrorBanner, Modal } from "../components/ui";
import { formatDateTime, formatNumber, useT } from "../i18n";
import { api, newJobId } from "../ipc";
import { dialogs } from "../ipc/dialogs";
import { exportApi } from "../ipc/export";
import {
  FORMATS,
  buildRecipe,
  checkSplit,
  defaultMapping,
  describeNormalised,
  describeScope,
  describeSplits,
  formatLabel,
  misfitText,
  missingReason,
  formatPurpose,
  hexToRgb,
  initialFormat,
  initialPicks,
  initialRun,
  nameProblem,
  picksReducer,
  recipeProblem,
  rgbToHex,
  runReducer,
  scopeOf,
  withExtension,
  type PickAction,
} from "../lib/export";


type Props = {
  projectId: string;
  /** The task browser's applied filter (or the whole project's). */
  filter: TaskFilter;
  selectedIds?: string[];
  /** Opened from the project screen: the filter is the whole project. */
  wholeProject?: boolean;
  /** "Run again": the recipe of an earlier export. */
  again?: ExportRecipe;
  onClose: () => void;
  onExported?: (o: ExportOutcome) => void;
};

/** The Export dialog; "Run again" in its history restarts it on that export's recipe. */
export function ExportDialog(props: Props) {
  const [again, setAgain] = useState<{ recipe?: ExportRecipe; n: number }>({ recipe: props.again, n: 0 });
  // the filter and selection as they were when the dialog opened
  const [frozen] = useState(() => ({ filter: props.filter, ids: props.selectedIds ?? [] }));
  return (
    <ExportForm
      key={again.n}
      {...props}
      filter={frozen.filter}
      selectedIds={frozen.ids}
      again={again.recipe}
      onAgain={(e) => setAgain((a) => ({ recipe: e.recipe, n: a.n + 1 }))}
    />
  );
}

function ExportForm({
  projectId,
  filter,
  selectedIds = [],
  wholeProject = false,
  again,
  onClose,
  onExported,
  onAgain,
}: Props & { onAgain: (e: HistoryEntry) => void }) {
  const t = useT();
  const [runState, dispatch] = useReducer(runReducer<ExportProgress, ExportOutcome, AppError>, undefined, initialRun);
  const { step, progress, outcome, error, notice } = runState;
  const [scopeKind, setScopeKind] = useState<"filter" | "selection">(
    again ? again.scope.kind : selectedIds.length > 0 ? "selection" : "filter",
  );
  const scope = useMemo(
    () => (again ? again.scope : scopeOf(scopeKind, filter, selectedIds)),
    [again, scopeKind, filter, selectedIds],
  );
  const scopeKey = JSON.stringify(scope);
  const [planState, setPlanState] = useState<{ key: string; plan: ExportPlan } | null>(null);
  const plan = planState?.key === scopeKey ? planState.plan : null;
  // user choices; null = the default (from the plan)
  const [picks, pick] = useReducer(picksReducer, again, initialPicks);
  const set = (p: Extract<PickAction, { type: "set" }>["picks"]) => pick({ type: "set", picks: p });
  const { format: formatPick, folder: folderPick, name: namePick, replaceExtension, mapOn, images, split, seed } = picks;
  const { mapping: mappingPick, input: inputPick } = picks;
  const [checkState, setCheckState] = useState<{ key: string; target: TargetCheck | null; error: string | null } | null>(null);
  const [nonce, setNonce] = useState(0);
  const [overwriteKey, setOverwriteKey] = useState<string | null>(null);
  const [choosing, setChoosing] = useState(false);
  const job = useRef<string | null>(null);

  // Count first, then the formats for the project.
  useEffect(() => {
    let live = true;
    exportApi.prepare(projectId, JSON.parse(scopeKey) as ExportScope).then(
      (p) => live && setPlanState({ key: scopeKey, plan: p }),
      (e: AppError) => live && dispatch({ type: "error", error: e }),
    );
    return () => {
      live = false;
    };
  }, [projectId, scopeKey]);

  const format = plan ? initialFormat(plan.formats, formatPick ?? "lab") : formatPick;
  const choice = plan?.formats.find((f) => f.format === format) ?? null;
  const folder = folderPick ?? plan?.lastFolder ?? "";
  const fileName = namePick ?? choice?.defaultName ?? "";
  const mapping = mappingPick ?? (plan ? defaultMapping(plan.maskLabels) : []);
  const inputId = inputPick ?? plan?.iatInputIds[0] ?? null;
  const ext = choice?.extension ?? null;
  const problem = nameProblem(fileName, ext);
  const splitCheck = checkSplit(split);
  const optionProblem = format ? recipeProblem({ format, split, seed }) : null;

  const recipe: ExportRecipe | null =
    format && folder && !problem
      ? buildRecipe({
          projectId,
          scope,
          format,
          folder,
          fileName,
          replaceExtension,
          mapping: mapOn ? mapping : null,
          inputId: plan && plan.iatInputIds.length > 1 ? inputId : null,
          images,
          split,
          seed,
        })
      : null;

  // Where it writes and whether something is there (warn before replacing).
  const recipeKey = recipe ? JSON.stringify(recipe) : "";
  const targetKey = `${recipeKey}#${nonce}`;
  useEffect(() => {
    if (!recipeKey) return;
    let live = true;
    const key = `${recipeKey}#${nonce}`;
    exportApi.check(JSON.parse(recipeKey) as ExportRecipe).then(
      (target) => live && setCheckState({ key, target, error: null }),
      (e: AppError) => live && setCheckState({ key, target: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [recipeKey, nonce]);
  const checked = recipeKey && checkState?.key === targetKey ? checkState : null;
  const target = checked?.target ?? null;
  const targetError = checked?.error ?? null;
  const overwrite = overwriteKey === targetKey;

  function changeFormat(next: ExportFormatId) {
    const c = plan?.formats.find((f) => f.format === next);
    if (!c || !c.available) return;
    pick({ type: "format", next: c, previousDefault: choice?.defaultName ?? null });
  }

  async function chooseFolder() {
    setChoosing(true);
    try {
      const dir = await dialogs.pickFolder(t("export.chooseFolderTitle"), folder || null);
      if (dir) {
        set({ folder: dir });
        void exportApi.rememberFolder(projectId, dir).catch(() => undefined);
      }
    } catch (e) {
      dispatch({ type: "error", error: e as AppError });
    } finally {
      setChoosing(false);
    }
  }

  async function run() {
    if (!recipe) return;
    dispatch({ type: "start" });
    const id = newJobId();
    job.current = id;
    try {
      const o = await exportApi.run(id, recipe, overwrite, (p) => dispatch({ type: "progress", progress: p }));
      dispatch({ type: "done", outcome: o });
      onExported?.(o);
      void dialogs
        .notifyIfUnfocused(t("export.notifyTitle"), t("export.notifyBody", { count: o.entry.count, path: o.entry.path }))
        .catch(() => undefined);
    } catch (e) {
      const err = e as AppError;
      if (err.kind === "cancelled") dispatch({ type: "cancelled", notice: t("export.cancelled") });
      else {
        dispatch({ type: "failed", error: err });
        void dialogs.notifyIfUnfocused(t("export.notifyFailedTitle"), err.message).catch(() => undefined);
      }
    } finally {
      job.current = null;
      setNonce((n) => n + 1);
    }
  }

  async function openFolder(path: string) {
    try {
      await exportApi.openFolder(path);
    } catch (e) {
      dispatch({ type: "error", error: e as AppError });
    }
  }

  const close = () => {
    if (job.current) void api.cancelJob(job.current);
    onClose();
  };

  const canRun = !!recipe && !!plan && plan.count > 0 && !!choice?.available && !targetError && (!target?.exists || overwrite);

  const footer =
    step === "setup" ? (
      <>
        <button onClick={close}>{t("common.cancel")}</button>
        <button className="primary" onClick={() => void run()} disabled={!canRun} data-testid="export-run">
          {t("export.run")}
        </button>
      </>
    ) : step === "running" ? (
      <button onClick={() => job.current && void api.cancelJob(job.current)} data-testid="export-cancel">
        {t("export.cancel")}
      </button>
    ) : (
      <>
        <button onClick={() => outcome && void openFolder(outcome.entry.recipe.folder)} data-testid="export-open-folder">
          {t("export.openFolder")}
        </button>
        <button
          onClick={() => dispatch({ type: "another" })}
        >
          {t("export.another")}
        </button>
        <button className="primary" onClick={onClose}>
          {t("common.close")}
        </button>
      </>
    );

  return (
    <Modal title={again ? t("export.titleAgain") : t("export.title")} onClose={close} footer={footer}>
      <div data-testid="export-dialog" data-step={step} className="export-dialog">
        <ErrorBanner error={error} />
        {notice && (
          <div className="banner info" role="status">
            {notice}
          </div>
        )}
        {step === "setup" && (
          <>
            <fieldset className="export-fieldset">
              <legend>{t("export.scope")}</legend>
              {again ? (
                <p>
                  {t("export.scopeRecipe")} <span className="muted">({describeScope(again.scope)})</span>
                </p>
              ) : (
                <>
                  <label>
                    <input
                      type="radio"
                      name="export-scope"
                      value="filter"
                      checked={scopeKind === "filter"}
                      onChange={() => setScopeKind("filter")}
                    />{" "}
                    {wholeProject ? t("export.scopeProject") : t("export.scopeFilter")}
                  </label>
                  {selectedIds.length > 0 && (
                    <label>
                      <input
                        type="radio"
                        name="export-scope"
                        value="selection"
                        checked={scopeKind === "selection"}
                        onChange={() => setScopeKind("selection")}
                      />{" "}
                      {t("export.scopeSelection", { count: selectedIds.length })}
                    </label>
                  )}
                </>
              )}
              <p role="status" aria-live="polite" data-testid="export-count" data-count={plan ? plan.count : ""}>
                {!plan ? t("export.counting") : plan.count === 0 ? t("export.countNone") : <strong>{t("export.count", { count: plan.count })}</strong>}
              </p>
            </fieldset>

            {plan && (
              <>
                <fieldset className="export-fieldset" data-testid="export-formats">
                  <legend>{t("export.format")}</legend>
                  {FORMATS.map((f) => {
                    const c = plan.formats.find((x) => x.format === f);
                    if (!c) return null;
                    const reasonId = `export-reason-${f}`;
                    return (
                      <div key={f} className={c.available ? "export-format" : "export-format unavailable"}>
                        <label>
                          <input
                            type="radio"
                            name="export-format"
                            value={f}
                            checked={format === f}
                            disabled={!c.available}
                            aria-describedby={c.available ? undefined : reasonId}
                            onChange={() => changeFormat(f)}
                          />{" "}
                          {formatLabel(f)}
                        </label>
                        <div className="small muted export-purpose" data-testid={`export-purpose-${f}`}>
                          {formatPurpose(f)}
                        </div>
                        {!c.available && (
                          <div className="small muted export-reason" id={reasonId} data-testid={reasonId}>
                            {t("export.unavailable", { reason: c.misfit ? misfitText(c.misfit) : "" })}
                          </div>
                        )}
                      </div>
                    );
                  })}
                </fieldset>

                <div className="field">
                  <span className="label">{t("export.folder")}</span>
                  <div className="row">
                    <span className="mono export-folder" data-testid="export-folder">
                      {folder || <span className="muted">{t("export.noFolder")}</span>}
                    </span>
                    <button onClick={() => void chooseFolder()} disabled={choosing} data-testid="export-choose-folder">
                      {t("export.chooseFolder")}
                    </button>
                  </div>
                </div>

                <div className="field">
                  <label htmlFor="export-file-name">{format === "mask" ? t("export.folderName") : t("export.fileName")}</label>
                  <input
                    id="export-file-name"
                    type="text"
                    value={fileName}
                    onChange={(e) => set({ name: e.target.value })}
                    aria-invalid={problem ? true : undefined}
                    aria-describedby="export-file-hint"
                    spellCheck={false}
                  />
                  <div className="hint" id="export-file-hint">
                    {ext ? t("export.fileNameHint", { ext }) : t("export.folderNameHint")}
                    {problem === "extension" && (
                      <>
                        {" "}
                        <button className="link" onClick={() => set({ name: withExtension(fileName, ext) })}>
                          {t("export.fixExtension", { name: withExtension(fileName, ext) })}
                        </button>
                      </>
                    )}
                  </div>
                  {targetError && (
                    <div className="error" role="status" data-testid="export-target-error">
                      {targetError}
                    </div>
                  )}
                  {target && !target.exists && (
                    <div className="hint mono" data-testid="export-target">
                      {t("export.writesTo", { path: target.path })}
                    </div>
                  )}
                  {target?.exists && (
                    <div className="banner warn" role="alert" data-testid="export-exists">
                      {target.folderFiles != null
                        ? t("export.existsFolder", { path: target.path, count: target.folderFiles })
                        : t("export.exists", { path: target.path })}{" "}
                      <label className="inline">
                        <input
                          type="checkbox"
                          checked={overwrite}
                          onChange={(e) => setOverwriteKey(e.target.checked ? targetKey : null)}
                          data-testid="export-overwrite"
                        />{" "}
                        {t("export.replace")}
                      </label>
                    </div>
                  )}
                </div>

                {plan.iatInputIds.length > 1 && (
                  <div className="field">
                    <label htmlFor="export-input-id">{t("export.inputId")}</label>
                    <select id="export-input-id" value={inputId ?? ""} onChange={(e) => set({ input: e.target.value })}>
                      {plan.iatInputIds.map((i) => (
                        <option key={i} value={i}>
                          {i}
                        </option>
                      ))}
                    </select>
                  </div>
                )}

                {format === "coco" && (
                  <fieldset className="export-fieldset">
                    <legend>{t("export.cocoOptions")}</legend>
                    <label>
                      <input type="checkbox" checked={images} onChange={(e) => set({ images: e.target.checked })} data-testid="export-images" />{" "}
                      {t("export.images")}
                    </label>
                    {images && <div className="hint">{t("export.imagesHint", { name: fileName.trim().replace(/\.json$/i, "") })}</div>}
                  </fieldset>
                )}

                {format === "yolo-dataset" && (
                  <fieldset className="export-fieldset" data-testid="export-split">
                    <legend>{t("export.datasetOptions")}</legend>
                    <div className="export-split">
                      {(["train", "val", "test"] as const).map((k) => (
                        <label key={k} className="inline">
                          {t(`export.split.${k}`)}{" "}
                          <input
                            type="number"
                            min={0}
                            max={100}
                            step="any"
                            inputMode="decimal"
                            value={split[k]}
                            onChange={(e) => pick({ type: "split", share: k, value: e.target.value })}
                            aria-invalid={optionProblem && optionProblem !== "seed" ? true : undefined}
                            aria-describedby="export-split-result"
                            data-testid={`export-split-${k}`}
                          />{" "}
                          %
                        </label>
                      ))}
                    </div>
                    <div
                      id="export-split-result"
                      role="status"
                      aria-live="polite"
                      className={splitCheck.ok ? "hint" : "error"}
                      data-testid="export-split-result"
                    >
                      {splitCheck.ok
                        ? t("export.splitNormalised", { value: describeNormalised(splitCheck.normalised) })
                        : t(`export.splitProblem.${splitCheck.problem}`)}
                    </div>
                    <div className="field">
                      <label htmlFor="export-seed">{t("export.seed")}</label>
                      <input
                        id="export-seed"
                        type="number"
                        min={0}
                        step={1}
                        inputMode="numeric"
                        value={seed}
                        onChange={(e) => set({ seed: e.target.value })}
                        aria-invalid={optionProblem === "seed" ? true : undefined}
                        aria-describedby="export-seed-hint"
                        data-testid="export-seed"
                      />
                      <div className={optionProblem === "seed" ? "error" : "hint"} id="export-seed-hint">
                        {optionProblem === "seed" ? t("export.seedProblem") : t("export.seedHint")}
                      </div>
                    </div>
                  </fieldset>
                )}

                {format === "mask" && (
                  <fieldset className="export-fieldset">
                    <legend>{t("export.options")}</legend>
                    <label>
                      <input
                        type="checkbox"
                        checked={replaceExtension}
                        onChange={(e) => set({ replaceExtension: e.target.checked })}
                        data-testid="export-replace-extension"
                      />{" "}
                      {t("export.replaceExtension")}
                    </label>
                    {plan.maskLabels.length > 0 && (
                      <label>
                        <input type="checkbox" checked={mapOn} onChange={(e) => set({ mapOn: e.target.checked })} data-testid="export-semantic" />{" "}
                        {t("export.semantic")}
                      </label>
                    )}
                    {mapOn && (
                      <div className="export-mapping">
                        {plan.maskLabels.map((l) => {
                          const m = mapping.find((x) => x.label === l.id);
                          return (
                            <label key={l.id} className="inline">
                              <input
                                type="color"
                                value={rgbToHex(m?.color ?? [0, 0, 0])}
                                aria-label={t("export.semanticColor", { label: l.name })}
                                onChange={(e) => {
                                  const rgb = hexToRgb(e.target.value);
                                  if (!rgb) return;
                                  pick({ type: "color", base: mapping, label: l.id, color: rgb });
                                }}
                              />{" "}
                              {l.name}
                            </label>
                          );
                        })}
                      </div>
                    )}
                  </fieldset>
                )}
              </>
            )}
          </>
        )}

        {step === "running" && (
          <div role="status" aria-live="polite" data-testid="export-progress">
            <p>
              {t("export.running")}{" "}
              {progress ? t("export.progress", { done: formatNumber(progress.done), total: progress.total }) : ""}
            </p>
            <div className="progress" aria-hidden="true">
              <div style={{ width: `${progress && progress.total ? (100 * progress.done) / progress.total : 0}%` }} />
            </div>
          </div>
        )}

        {step === "done" && outcome && (
          <div data-testid="export-done">
            <div className="banner ok" role="status" data-testid="export-result" data-path={outcome.entry.path}>
              {t("export.done", { count: outcome.entry.count, path: outcome.entry.path })}
            </div>
            {outcome.splits.length > 0 && (
              <p data-testid="export-splits">{t("export.splits", { value: describeSplits(outcome.splits) })}</p>
            )}
            {outcome.imagesPath && (
              <p className="small mono export-path-line" data-testid="export-images-path">
                {t("export.imagesPath", { path: outcome.imagesPath })}
              </p>
            )}
            {outcome.entry.manifest && (
              <p className="small mono export-path-line" data-testid="export-manifest">
                {t("export.manifest", { path: outcome.entry.manifest })}
              </p>
            )}
            {outcome.missingImageCount > 0 && (
              <div className="banner warn" role="alert" data-testid="export-missing-images" data-count={outcome.missingImageCount}>
                <p>
                  <strong>{t("export.missingImages", { count: outcome.missingImageCount })}</strong>
                </p>
                <ul className="small export-missing" tabIndex={0} aria-label={t("export.missingList")}>
                  {outcome.missingImages.map((m) => (
                    <li key={m.taskId}>{t("export.missingRow", { name: m.taskName, reason: missingReason(m) })}</li>
                  ))}
                </ul>
                {outcome.missingImageCount > outcome.missingImages.length && (
                  <p className="small">{t("export.missingMore", { shown: outcome.missingImages.length })}</p>
                )}
              </div>
            )}
            {outcome.renamed.length > 0 && <p className="small">{t("export.renamed", { count: outcome.renamed.length })}</p>}
            {outcome.warningCount > 0 && (
              <details>
                <summary>{t("export.warnings", { count: outcome.warningCount })}</summary>
                <ul className="small">
                  {outcome.warnings.map((w, i) => (
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              </details>
            )}
          </div>
        )}

        {step !== "running" && <ExportHistory projectId={projectId} refresh={outcome} onAgain={onAgain} compact />}
      </div>
    </Modal>
  );
}

/** The project's recent exports with "Open folder" and "Run again". */
export function ExportHistory({
  projectId,
  refresh,
  onAgain,
  compact = false,
}: {
  projectId: string;
  /** Changes when a new export was made (reloads the list). */
  refresh?: unknown;
  /** Shows "Run again" when given. */
  onAgain?: (e: HistoryEntry) => void;
  compact?: boolean;
}) {
  const t = useT();
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    let live = true;
    exportApi.history(projectId).then(
      (h) => live && setEntries(h),
      (e: AppError) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [projectId, refresh]);

  const shown = compact ? (entries ?? []).slice(0, 5) : entries ?? [];
  return (
    <section aria-labelledby={`export-history-h-${compact ? "c" : "p"}`} data-testid="export-history" className="export-history">
      <h3 id={`export-history-h-${compact ? "c" : "p"}`}>{t("export.history")}</h3>
      <ErrorBanner error={error} />
      {entries && entries.length === 0 && <p className="muted small">{t("export.historyEmpty")}</p>}
      {shown.length > 0 && (
        <table className="simple small">
          <thead>
            <tr>
              <th scope="col">{t("export.historyWhen")}</th>
              <th scope="col">{t("export.historyFormat")}</th>
              <th scope="col">{t("export.historyScope")}</th>
              <th scope="col" className="num">
                {t("export.historyCount")}
              </th>
              <th scope="col">{t("export.historyPath")}</th>
              <th scope="col">
                <span className="sr-only">{t("project.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.id} data-testid="export-history-row" data-format={e.recipe.format}>
                <td>{formatDateTime(e.at)}</td>
                <td>{formatLabel(e.recipe.format)}</td>
                <td>{describeScope(e.recipe.scope)}</td>
                <td className="num">{formatNumber(e.count)}</td>
                <td className="mono export-path">{e.path}</td>
                <td className="row">
                  <button
                    onClick={() => void exportApi.openFolder(e.recipe.folder).catch((err: AppError) => setError(err))}
                    aria-label={t("export.openFolderOf", { path: e.path })}
                  >
                    {t("export.openFolder")}
                  </button>
                  {onAgain && (
                    <button onClick={() => onAgain(e)} aria-label={t("export.againOf", { date: formatDateTime(e.at) })}>
                      {t("export.again")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
