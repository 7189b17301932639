// Bulk action: choose → preview (count and sample) → confirm → progress with cancel → results.
import { useRef, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { BulkPreview } from "../bindings/BulkPreview";
import type { BulkProgress } from "../bindings/BulkProgress";
import type { BulkResult } from "../bindings/BulkResult";
import type { BulkTarget } from "../bindings/BulkTarget";
import { ErrorBanner, Modal, StatusBadge } from "../components/ui";
import { actionTitle, buildAction, describeAction, resultCsv, resultText, type ActionKind, type PropertiesInput } from "../lib/bulk";
import { formatNumber, t, useT, type MessageKey } from "../i18n";
import { api, newJobId } from "../ipc";

type Step = "choose" | "preview" | "running" | "done";

export function BulkDialog({
  kind,
  projectId,
  projectName,
  selectedIds,
  filterTarget,
  matchingCount,
  namesOf,
  onClose,
  onFinished,
}: {
  kind: ActionKind;
  projectId: string;
  projectName?: string;
  selectedIds: string[];
  filterTarget: BulkTarget;
  matchingCount: number | null;
  /** The names of tasks by id (for the result list). */
  namesOf: (ids: string[]) => Promise<Record<string, string>>;
  onClose: () => void;
  /** The action ended (on `target`): the list shows the changed tasks. */
  onFinished: (target: BulkTarget) => void;
}) {
  const [step, setStep] = useState<Step>("choose");
  const [scope, setScope] = useState<"selection" | "filter">(selectedIds.length > 0 ? "selection" : "filter");
  const [props, setProps] = useState<PropertiesInput>({ score: "", custom: [] });
  const [reset, setReset] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [preview, setPreview] = useState<BulkPreview | null>(null);
  const [progress, setProgress] = useState<BulkProgress | null>(null);
  const [result, setResult] = useState<BulkResult | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const job = useRef<string | null>(null);
  // names of the result's tasks, read before the table reloads when the action ends
  const [nameMap, setNameMap] = useState<Record<string, string>>({});
  const names = (id: string) => nameMap[id] ?? "";

  const target: BulkTarget = scope === "selection" ? { kind: "selection", ids: selectedIds } : filterTarget;
  const t = useT();
  const title = actionTitle(kind);

  async function doPreview() {
    const action = buildAction(kind, props, reset);
    if (typeof action === "string") {
      setProblem(action);
      return;
    }
    setProblem(null);
    setError(null);
    setBusy(true);
    try {
      setPreview(await api.bulkPreview(projectId, target));
      setStep("preview");
    } catch (e) {
      setError(e as AppError);
    } finally {
      setBusy(false);
    }
  }

  async function run() {
    const action = buildAction(kind, props, reset);
    if (typeof action === "string") return;
    setError(null);
    setStep("running");
    const id = newJobId();
    job.current = id;
    try {
      const r = await api.runBulk(id, { projectId, projectName, target, action }, setProgress);
      setNameMap(await namesOf(r.rows.map((x) => x.taskId)).catch(() => ({})));
      setResult(r);
      setStep("done");
      onFinished(target);
    } catch (e) {
      setError(e as AppError);
      setStep("preview");
    } finally {
      job.current = null;
    }
  }

  async function copy() {
    if (!result) return;
    const text = resultText(result, names);
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = document.createElement("textarea");
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    setNotice(t("bulk.copied"));
  }

  async function saveCsv() {
    if (!result) return;
    try {
      const path = await api.saveCsv(t("export.saveCsvTitle"), `labdesk-${kind}-results`, resultCsv(result, names));
      if (path) setNotice(t("bulk.savedAs", { path }));
    } catch (e) {
      setError(e as AppError);
    }
  }

  const close = () => {
    if (job.current) void api.cancelJob(job.current);
    onClose();
  };

  const footer =
    step === "choose" ? (
      <>
        <button onClick={close}>{t("common.cancel")}</button>
        <button className="primary" onClick={() => void doPreview()} disabled={busy}>
          {busy ? t("bulk.checking") : t("bulk.preview")}
        </button>
      </>
    ) : step === "preview" ? (
      <>
        <button onClick={() => setStep("choose")}>{t("bulk.back")}</button>
        <button className="primary" onClick={() => void run()} disabled={!preview || preview.count === 0} data-testid="confirm-bulk">
          {preview ? t("bulk.confirm", { title, count: preview.count }) : title}
        </button>
      </>
    ) : step === "running" ? (
      <button onClick={() => job.current && void api.cancelJob(job.current)}>{t("common.cancel")}</button>
    ) : (
      <>
        <button onClick={() => void copy()}>{t("bulk.copy")}</button>
        <button onClick={() => void saveCsv()}>{t("bulk.saveCsv")}</button>
        <button className="primary" onClick={onClose}>
          {t("common.close")}
        </button>
      </>
    );

  return (
    <Modal title={title} onClose={close} footer={footer}>
      <div data-testid="bulk-dialog" data-step={step}>
        {step === "choose" && (
          <>
            <fieldset style={{ border: "none", padding: 0 }}>
              <legend className="label" style={{ fontWeight: 600 }}>
                {t("bulk.which")}
              </legend>
              <label>
                <input
                  type="radio"
                  name="scope"
                  value="selection"
                  checked={scope === "selection"}
                  disabled={selectedIds.length === 0}
                  onChange={() => setScope("selection")}
                />{" "}
                {selectedIds.length === 0
                  ? t("bulk.selectedNone")
                  : t("bulk.selectedSome", { count: selectedIds.length })}
              </label>
              <label>
                <input type="radio" name="scope" value="filter" checked={scope === "filter"} onChange={() => setScope("filter")} />{" "}
                {matchingCount !== null ? t("bulk.everythingCount", { count: matchingCount }) : t("bulk.everything")}
              </label>
            </fieldset>
            {kind === "properties" && <PropertiesForm value={props} onChange={setProps} />}
            {kind === "redo" && (
              <fieldset style={{ border: "none", padding: 0, marginTop: "0.8rem" }}>
                <legend style={{ fontWeight: 600 }}>{t("bulk.redoWhat")}</legend>
                <label>
                  <input type="radio" name="redo" value="keep" checked={!reset} onChange={() => setReset(false)} /> {t("bulk.keep")}
                </label>
                <label>
                  <input type="radio" name="redo" value="reset" checked={reset} onChange={() => setReset(true)} /> {t("bulk.reset")}
                </label>
                {reset && (
                  <div className="banner warn" role="alert">
                    {t("bulk.resetWarning")}
                  </div>
                )}
              </fieldset>
            )}
            {kind === "review" && <p>{t("bulk.reviewInfo")}</p>}
            {problem && (
              <div className="banner error" role="alert">
                {problem}
              </div>
            )}
          </>
        )}
        {step === "preview" && preview && (
          <>
            <p data-testid="preview-count">
              <strong>{formatNumber(preview.count)}</strong> {t("bulk.willChange", { count: preview.count })}
              {kind === "redo" && (reset ? t("bulk.willReset") : t("bulk.workKept"))}.
            </p>
            {(() => {
              const action = buildAction(kind, props, reset);
              return typeof action === "string" ? null : (
                <p data-testid="preview-change">
                  <strong>{describeAction(action, preview.count)}</strong>
                </p>
              );
            })()}
            {kind === "redo" && reset && (
              <div className="banner warn" role="alert">
                {t("bulk.resetWarning")}
              </div>
            )}
            {preview.sample.length > 0 && (
              <>
                <p className="muted">{t("bulk.forExample")}</p>
                <table className="simple">
                  <tbody>
                    {preview.sample.map((t) => (
                      <tr key={t.id}>
                        <td>{t.name}</td>
                        <td>
                          <StatusBadge status={t.status} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </>
        )}
        {step === "running" && (
          <div role="status" aria-live="polite">
            <p>
              {progress?.phase === "listing"
                ? t("bulk.listing")
                : progress?.phase === "reading"
                  ? t("bulk.reading")
                  : t("bulk.working")}{" "}
              {progress
                ? `${formatNumber(progress.done + (progress.phase !== "listing" ? progress.failed : 0))} / ${formatNumber(progress.total)}`
                : ""}
            </p>
            <div className="progress" aria-hidden="true">
              <div style={{ width: `${progress && progress.total ? (100 * (progress.done + progress.failed)) / progress.total : 0}%` }} />
            </div>
          </div>
        )}
        {step === "done" && result && (
          <>
            <p role="status" data-testid="bulk-summary">
              {result.cancelled ? t("bulk.stopped") : t("bulk.finished")}{" "}
              <span className="ok-text">{t("bulk.nDone", { count: result.succeeded })}</span>
              {result.failed > 0 && (
                <>
                  , <span className="fail-text">{t("bulk.nFailed", { count: result.failed })}</span>
                </>
              )}
              .
            </p>
            {result.entryId !== undefined && (
              <p className="muted" data-testid="bulk-recorded">
                {t("activity.recorded", { entry: result.entryId })}
                {kind === "properties" && result.succeeded > 0 ? ` ${t("activity.recordedUndo")}` : ""}
              </p>
            )}
            <div className="result-list" tabIndex={0} role="region" aria-label={t("bulk.resultsRegion")}>
              <table className="simple" data-testid="bulk-results">
                <thead>
                  <tr>
                    <th scope="col">{t("bulk.colTask")}</th>
                    <th scope="col">{t("bulk.colResult")}</th>
                    <th scope="col">{t("bulk.colReason")}</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rows.map((r) => (
                    <tr key={r.taskId}>
                      <td>{names(r.taskId) || r.taskId}</td>
                      <td className={r.ok ? "ok-text" : "fail-text"}>{rowStatus(r.status)}</td>
                      <td>{r.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
        {notice && (
          <div className="banner ok" role="status">
            {notice}
          </div>
        )}
        <ErrorBanner error={error} />
      </div>
    </Modal>
  );
}

const ROW_STATUS: Record<string, MessageKey> = {
  done: "bulk.row.done",
  skipped: "bulk.row.skipped",
  failed: "bulk.row.failed",
};

function rowStatus(status: string): string {
  const key = ROW_STATUS[status];
  return key ? t(key) : status;
}

function PropertiesForm({ value, onChange }: { value: PropertiesInput; onChange: (v: PropertiesInput) => void }) {
  const t = useT();
  return (
    <div style={{ marginTop: "0.8rem" }}>
      <div className="field">
        <label htmlFor="bulk-score">{t("bulk.score")}</label>
        <input
          id="bulk-score"
          aria-describedby="bulk-score-hint"
          name="score"
          type="number"
          step="any"
          value={value.score}
          onChange={(e) => onChange({ ...value, score: e.target.value })}
        />
        <div className="hint" id="bulk-score-hint">
          {t("bulk.scoreHint")}
        </div>
      </div>
      <fieldset style={{ border: "none", padding: 0 }}>
        <legend style={{ fontWeight: 600 }}>{t("bulk.custom")}</legend>
        {value.custom.map((r, i) => (
          <div className="row" key={i} style={{ margin: "0.25rem 0" }}>
            <input
              type="text"
              name="custom-key"
              aria-label={t("bulk.customName", { n: i + 1 })}
              placeholder={t("bulk.namePlaceholder")}
              value={r.key}
              onChange={(e) => onChange({ ...value, custom: value.custom.map((c, j) => (j === i ? { ...c, key: e.target.value } : c)) })}
            />
            <input
              type="text"
              name="custom-value"
              aria-label={t("bulk.customValue", { n: i + 1 })}
              placeholder={t("bulk.valuePlaceholder")}
              value={r.value}
              onChange={(e) =>
                onChange({ ...value, custom: value.custom.map((c, j) => (j === i ? { ...c, value: e.target.value } : c)) })
              }
            />
            <button
              type="button"
              aria-label={t("bulk.removeCustom", { n: i + 1 })}
              title={t("bulk.removeCustom", { n: i + 1 })}
              onClick={() => onChange({ ...value, custom: value.custom.filter((_, j) => j !== i) })}
            >
              ✕
            </button>
          </div>
        ))}
        <button type="button" className="link" onClick={() => onChange({ ...value, custom: [...value.custom, { key: "", value: "" }] })}>
          {t("bulk.addCustom")}
        </button>
      </fieldset>
    </div>
  );
}
