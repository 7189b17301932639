// Bulk action: choose → preview (count and sample) → confirm → progress with cancel → results.
import { useRef, useState } from "react";
import type { AppError } from "../bindings/AppError";
import type { BulkPreview } from "../bindings/BulkPreview";
import type { BulkProgress } from "../bindings/BulkProgress";
import type { BulkResult } from "../bindings/BulkResult";
import type { BulkTarget } from "../bindings/BulkTarget";
import { ErrorBanner, Modal, StatusBadge } from "../components/ui";
import { ACTION_TITLES, buildAction, resultCsv, resultText, type ActionKind, type PropertiesInput } from "../lib/bulk";
import { api, newJobId } from "../ipc";

type Step = "choose" | "preview" | "running" | "done";

export function BulkDialog({
  kind,
  projectId,
  selectedIds,
  filterTarget,
  matchingCount,
  nameOf,
  onClose,
  onFinished,
}: {
  kind: ActionKind;
  projectId: string;
  selectedIds: string[];
  filterTarget: BulkTarget;
  matchingCount: number | null;
  nameOf: (id: string) => string;
  onClose: () => void;
  onFinished: () => void;
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
  // names as they were when the dialog opened (the table reloads when the action ends)
  const [names] = useState(() => nameOf);

  const target: BulkTarget = scope === "selection" ? { kind: "selection", ids: selectedIds } : filterTarget;
  const title = ACTION_TITLES[kind];

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
      const r = await api.runBulk(id, { projectId, target, action }, setProgress);
      setResult(r);
      setStep("done");
      onFinished();
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
    setNotice("Results copied to the clipboard.");
  }

  async function saveCsv() {
    if (!result) return;
    try {
      const path = await api.saveCsv(`labdesk-${kind}-results`, resultCsv(result, names));
      setNotice(`Saved as ${path}`);
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
        <button onClick={close}>Cancel</button>
        <button className="primary" onClick={() => void doPreview()} disabled={busy}>
          {busy ? "Checking…" : "Preview"}
        </button>
      </>
    ) : step === "preview" ? (
      <>
        <button onClick={() => setStep("choose")}>Back</button>
        <button className="primary" onClick={() => void run()} disabled={!preview || preview.count === 0} data-testid="confirm-bulk">
          {preview ? `${title}: ${preview.count} task${preview.count === 1 ? "" : "s"}` : title}
        </button>
      </>
    ) : step === "running" ? (
      <button onClick={() => job.current && void api.cancelJob(job.current)}>Cancel</button>
    ) : (
      <>
        <button onClick={() => void copy()}>Copy results</button>
        <button onClick={() => void saveCsv()}>Save as CSV</button>
        <button className="primary" onClick={onClose}>
          Close
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
                Which tasks?
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
                  ? "Selected tasks (none selected: tick rows in the table first)"
                  : `The ${selectedIds.length} selected task${selectedIds.length === 1 ? "" : "s"}`}
              </label>
              <label>
                <input type="radio" name="scope" value="filter" checked={scope === "filter"} onChange={() => setScope("filter")} />{" "}
                Everything matching the current filter{matchingCount !== null ? ` (${matchingCount})` : ""}
              </label>
            </fieldset>
            {kind === "properties" && <PropertiesForm value={props} onChange={setProps} />}
            {kind === "redo" && (
              <fieldset style={{ border: "none", padding: 0, marginTop: "0.8rem" }}>
                <legend style={{ fontWeight: 600 }}>What happens to the work already done?</legend>
                <label>
                  <input type="radio" name="redo" value="keep" checked={!reset} onChange={() => setReset(false)} /> Keep it: the
                  annotator continues from the current state
                </label>
                <label>
                  <input type="radio" name="redo" value="reset" checked={reset} onChange={() => setReset(true)} /> Reset it: go
                  back to the initial data
                </label>
                {reset && (
                  <div className="banner warn" role="alert">
                    Resetting erases the annotations made on these tasks. This cannot be undone.
                  </div>
                )}
              </fieldset>
            )}
            {kind === "review" && <p>The tasks are sent to review (status “To review”).</p>}
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
              <strong>{preview.count}</strong> task{preview.count === 1 ? "" : "s"} will be changed
              {kind === "redo" && (reset ? " and reset to their initial data" : " (work kept)")}.
            </p>
            {kind === "redo" && reset && (
              <div className="banner warn" role="alert">
                Resetting erases the annotations made on these tasks. This cannot be undone.
              </div>
            )}
            {preview.sample.length > 0 && (
              <>
                <p className="muted">For example:</p>
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
              {progress?.phase === "listing" ? "Finding the matching tasks…" : "Working…"}{" "}
              {progress ? `${progress.done + (progress.phase === "changing" ? progress.failed : 0)} / ${progress.total}` : ""}
            </p>
            <div className="progress" aria-hidden="true">
              <div style={{ width: `${progress && progress.total ? (100 * (progress.done + progress.failed)) / progress.total : 0}%` }} />
            </div>
          </div>
        )}
        {step === "done" && result && (
          <>
            <p role="status" data-testid="bulk-summary">
              {result.cancelled ? "Stopped. " : "Finished. "}
              <span className="ok-text">{result.succeeded} done</span>
              {result.failed > 0 && (
                <>
                  , <span className="fail-text">{result.failed} failed</span>
                </>
              )}
              .
            </p>
            <div className="result-list">
              <table className="simple" data-testid="bulk-results">
                <thead>
                  <tr>
                    <th scope="col">Task</th>
                    <th scope="col">Result</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rows.map((r) => (
                    <tr key={r.taskId}>
                      <td>{names(r.taskId) || r.taskId}</td>
                      <td className={r.ok ? "ok-text" : "fail-text"}>{r.status}</td>
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

function PropertiesForm({ value, onChange }: { value: PropertiesInput; onChange: (v: PropertiesInput) => void }) {
  return (
    <div style={{ marginTop: "0.8rem" }}>
      <div className="field">
        <label htmlFor="bulk-score">Score</label>
        <input
          id="bulk-score"
          name="score"
          type="number"
          step="any"
          value={value.score}
          onChange={(e) => onChange({ ...value, score: e.target.value })}
        />
        <div className="hint">Leave empty to keep each task’s score.</div>
      </div>
      <fieldset style={{ border: "none", padding: 0 }}>
        <legend style={{ fontWeight: 600 }}>Custom properties</legend>
        {value.custom.map((r, i) => (
          <div className="row" key={i} style={{ margin: "0.25rem 0" }}>
            <input
              type="text"
              name="custom-key"
              aria-label={`Custom property ${i + 1} name`}
              placeholder="name"
              value={r.key}
              onChange={(e) => onChange({ ...value, custom: value.custom.map((c, j) => (j === i ? { ...c, key: e.target.value } : c)) })}
            />
            <input
              type="text"
              name="custom-value"
              aria-label={`Custom property ${i + 1} value`}
              placeholder="value"
              value={r.value}
              onChange={(e) =>
                onChange({ ...value, custom: value.custom.map((c, j) => (j === i ? { ...c, value: e.target.value } : c)) })
              }
            />
            <button
              type="button"
              aria-label={`Remove custom property ${i + 1}`}
              onClick={() => onChange({ ...value, custom: value.custom.filter((_, j) => j !== i) })}
            >
              ✕
            </button>
          </div>
        ))}
        <button type="button" className="link" onClick={() => onChange({ ...value, custom: [...value.custom, { key: "", value: "" }] })}>
          + Add a custom property
        </button>
      </fieldset>
    </div>
  );
}
