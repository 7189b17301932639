// Activity: every change on record for the connected profile, each task's result, undo where
// the lab allows it — owner: activity.
import { useCallback, useEffect, useState } from "react";
import type { ActivityEntry } from "../bindings/ActivityEntry";
import type { ActivityKind } from "../bindings/ActivityKind";
import type { ActivityProgress } from "../bindings/ActivityProgress";
import type { ActivityResult } from "../bindings/ActivityResult";
import type { ActivityState } from "../bindings/ActivityState";
import type { AppError } from "../bindings/AppError";
import type { Retention } from "../bindings/Retention";
import type { UndoPlan } from "../bindings/UndoPlan";
import { ErrorBanner } from "../components/ui";
import { formatBytes, formatDateTime, formatNumber, useT } from "../i18n";
import { newJobId } from "../ipc";
import { activityApi } from "../ipc/activity";
import { dialogs } from "../ipc/dialogs";
import { settingsApi } from "../ipc/settings";
import {
  KINDS,
  STATES,
  describeChange,
  describeTarget,
  describeValues,
  kindLabel,
  lineLabel,
  reasonText,
  stateLabel,
} from "../lib/activity";

const PAGE = 100;
const LINES = 200;

export type OpenTasks = (projectId: string, projectName: string, taskIds: string[]) => void;

export function ActivityScreen({ onOpenTasks, initialEntry }: { onOpenTasks: OpenTasks; initialEntry?: number }) {
  const t = useT();
  const [search, setSearch] = useState("");
  const [kind, setKind] = useState<ActivityKind | "">("");
  const [state, setState] = useState<ActivityState | "">("");
  const [entries, setEntries] = useState<ActivityEntry[] | null>(null);
  const [more, setMore] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [size, setSize] = useState<number | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [openId, setOpenId] = useState<number | null>(initialEntry ?? null);
  const [reload, setReload] = useState(0);

  const query = useCallback(
    (beforeId: number | null) => ({
      accessId: null,
      projectId: null,
      kinds: kind ? [kind] : [],
      states: state ? [state] : [],
      text: search.trim() || null,
      since: null,
      until: null,
      beforeId,
      limit: PAGE,
    }),
    [kind, state, search],
  );

  useEffect(() => {
    let live = true;
    const timer = window.setTimeout(async () => {
      try {
        const page = await activityApi.list(query(null));
        if (!live) return;
        setEntries(page.entries);
        setMore(page.entries.length === PAGE);
        setNotice(page.notice);
        setSize(page.sizeBytes);
        setError(null);
      } catch (e) {
        if (live) setError(e as AppError);
      }
    }, 200);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [query, reload]);

  async function older() {
    const last = entries?.[entries.length - 1];
    if (!entries || !last) return;
    try {
      const page = await activityApi.list(query(last.id));
      setEntries(entries.concat(page.entries));
      setMore(page.entries.length === PAGE);
    } catch (e) {
      setError(e as AppError);
    }
  }

  const filtered = search.trim() !== "" || kind !== "" || state !== "";

  return (
    <div className="stack activity" data-testid="activity-screen">
      <h1>{t("activity.title")}</h1>
      <p className="muted">{t("activity.intro")}</p>
      {notice && (
        <div className="banner warn" role="status">
          {t("activity.damaged")} <span className="muted small">{notice}</span>
        </div>
      )}
      <div className="row" role="search">
        <label className="sr-only" htmlFor="act-search">
          {t("activity.search")}
        </label>
        <input
          id="act-search"
          type="search"
          data-testid="activity-search"
          placeholder={t("activity.searchPlaceholder")}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className="activity-search"
        />
        <label htmlFor="act-kind">{t("activity.kind")}</label>
        <select id="act-kind" data-testid="activity-kind" value={kind} onChange={(e) => setKind(e.target.value as ActivityKind | "")}>
          <option value="">{t("activity.anyKind")}</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {kindLabel(k)}
            </option>
          ))}
        </select>
        <label htmlFor="act-state">{t("activity.state")}</label>
        <select id="act-state" value={state} onChange={(e) => setState(e.target.value as ActivityState | "")}>
          <option value="">{t("activity.anyState")}</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {stateLabel(s)}
            </option>
          ))}
        </select>
      </div>
      <ErrorBanner error={error} onRetry={() => setReload((n) => n + 1)} />
      <div className="activity-split">
        <div className="activity-list">
          {entries === null && !error && (
            <p className="muted" role="status">
              {t("activity.loading")}
            </p>
          )}
          {entries && entries.length === 0 && (
            <p className="muted" role="status" data-testid="activity-empty">
              {filtered ? t("activity.noMatch") : t("activity.none")}
            </p>
          )}
          {entries && entries.length > 0 && (
            <div className="result-list" role="region" aria-label={t("activity.entriesRegion")} tabIndex={0}>
              <table className="simple" data-testid="activity-entries">
                <thead>
                  <tr>
                    <th scope="col">{t("activity.colEntry")}</th>
                    <th scope="col">{t("activity.colWhen")}</th>
                    <th scope="col">{t("activity.colWhat")}</th>
                    <th scope="col">{t("activity.colProject")}</th>
                    <th scope="col">{t("activity.colTasks")}</th>
                    <th scope="col">{t("activity.colState")}</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e) => (
                    <tr
                      key={e.id}
                      className={`clickable${openId === e.id ? " selected" : ""}`}
                      aria-selected={openId === e.id}
                      onClick={() => setOpenId(e.id)}
                      data-entry-id={e.id}
                    >
                      <td>
                        <button
                          className="link"
                          onClick={(ev) => {
                            ev.stopPropagation();
                            setOpenId(e.id);
                          }}
                        >
                          #{e.id}
                        </button>
                      </td>
                      <td className="nowrap">{formatDateTime(e.startedAt)}</td>
                      <td>
                        <strong>{kindLabel(e.kind)}</strong> · {describeChange(e)}
                      </td>
                      <td>{e.projectName ?? e.projectId}</td>
                      <td className="nowrap">
                        {t("activity.tasksCount", { done: formatNumber(e.succeeded), total: formatNumber(e.total) })}
                        {e.failed > 0 && (
                          <>
                            {" "}
                            <span className="fail-text">({t("activity.failedCount", { count: e.failed })})</span>
                          </>
                        )}
                      </td>
                      <td>
                        <span className={`status activity-${e.state}`}>{stateLabel(e.state)}</span>
                        {e.undo.kind === "undone" && <span className="muted small"> · {t("activity.undone")}</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {more && (
            <button onClick={() => void older()} data-testid="activity-older">
              {t("activity.older")}
            </button>
          )}
          <RetentionForm size={size} onSaved={() => setReload((n) => n + 1)} />
        </div>
        {openId !== null && (
          <EntryPanel
            key={openId}
            id={openId}
            onClose={() => setOpenId(null)}
            onShow={(id) => setOpenId(id)}
            onChanged={() => setReload((n) => n + 1)}
            onOpenTasks={onOpenTasks}
          />
        )}
      </div>
    </div>
  );
}

function EntryPanel({
  id,
  onClose,
  onShow,
  onChanged,
  onOpenTasks,
}: {
  id: number;
  onClose: () => void;
  onShow: (id: number) => void;
  onChanged: () => void;
  onOpenTasks: OpenTasks;
}) {
  const t = useT();
  const [entry, setEntry] = useState<ActivityEntry | null>(null);
  const [lines, setLines] = useState<ActivityResult[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const [e, r] = await Promise.all([activityApi.entry(id), activityApi.results(id, 0, LINES)]);
        if (!live) return;
        setEntry(e);
        setLines(r.rows);
        setTotal(r.total);
      } catch (e) {
        if (live) setError(e as AppError);
      }
    })();
    return () => {
      live = false;
    };
  }, [id]);

  async function moreLines() {
    try {
      const r = await activityApi.results(id, lines.length, LINES);
      setLines(lines.concat(r.rows));
      setTotal(r.total);
    } catch (e) {
      setError(e as AppError);
    }
  }

  async function saveCsv() {
    setSaved(null);
    try {
      const path = await dialogs.saveFile(t("activity.saveCsvTitle"), `activity-${id}.csv`, "csv");
      if (!path) return;
      setSaved(await activityApi.exportCsv(id, path));
    } catch (e) {
      setError(e as AppError);
    }
  }

  async function openTasks() {
    if (!entry) return;
    try {
      const all = await activityApi.results(id, 0, 100000);
      const ids = all.rows.map((r) => r.taskId).filter((x) => x !== "");
      onOpenTasks(entry.projectId, entry.projectName ?? entry.projectId, ids);
    } catch (e) {
      setError(e as AppError);
    }
  }

  const hasTasks = entry !== null && entry.kind !== "export" && entry.kind !== "deleteBatch" && total > 0;

  return (
    <section className="activity-detail panel" aria-labelledby="act-detail-title" data-testid="activity-detail">
      <div className="row">
        <h2 id="act-detail-title">{t("activity.detailTitle", { entry: id })}</h2>
        <span className="spacer" />
        <button onClick={onClose} aria-label={t("activity.close")} title={t("activity.close")}>
          ✕
        </button>
      </div>
      <ErrorBanner error={error} />
      {entry && (
        <>
          <p>
            <strong>{kindLabel(entry.kind)}</strong> · {describeChange(entry)}
          </p>
          <dl className="facts">
            <dt>{t("activity.colProject")}</dt>
            <dd>{entry.projectName ?? entry.projectId}</dd>
            <dt>{t("activity.by")}</dt>
            <dd>
              {entry.actor.source === "window"
                ? t("activity.byWindow", { profile: entry.actor.profile })
                : t("activity.byCli", { profile: entry.actor.profile })}
            </dd>
            <dt>{t("activity.started")}</dt>
            <dd>{formatDateTime(entry.startedAt)}</dd>
            {entry.finishedAt && (
              <>
                <dt>{t("activity.finished")}</dt>
                <dd>{formatDateTime(entry.finishedAt)}</dd>
              </>
            )}
            <dt>{t("activity.target")}</dt>
            <dd>{describeTarget(entry)}</dd>
            <dt>{t("activity.result")}</dt>
            <dd data-testid="activity-counts">
              <span className={`status activity-${entry.state}`}>{stateLabel(entry.state)}</span>{" "}
              {t("activity.resultLine", {
                done: formatNumber(entry.succeeded),
                failed: formatNumber(entry.failed),
                skipped: formatNumber(entry.skipped),
                total: formatNumber(entry.total),
              })}
            </dd>
            {entry.change.kind === "export" && entry.change.path && (
              <>
                <dt>{t("activity.file")}</dt>
                <dd className="mono small">{entry.change.path}</dd>
              </>
            )}
            {entry.message && (
              <>
                <dt>{t("activity.note")}</dt>
                <dd>{entry.message}</dd>
              </>
            )}
          </dl>
          <UndoSection
            entry={entry}
            onShow={onShow}
            onUndone={(newId) => {
              onChanged();
              onShow(newId);
            }}
          />
          <div className="row">
            {hasTasks && (
              <button onClick={() => void openTasks()} data-testid="activity-open-tasks">
                {t("activity.openTasks")}
              </button>
            )}
            <button onClick={() => void saveCsv()} data-testid="activity-save-csv">
              {t("activity.saveCsv")}
            </button>
            {saved && (
              <span className="muted small" role="status">
                {t("activity.savedAs", { path: saved })}
              </span>
            )}
          </div>
          {lines.length > 0 && (
            <div className="result-list" role="region" aria-label={t("activity.linesRegion")} tabIndex={0}>
              <table className="simple" data-testid="activity-lines">
                <thead>
                  <tr>
                    <th scope="col">{t("activity.colTask")}</th>
                    <th scope="col">{t("activity.colResult")}</th>
                    <th scope="col">{t("activity.colChange")}</th>
                    <th scope="col">{t("activity.colMessage")}</th>
                  </tr>
                </thead>
                <tbody>
                  {lines.map((l) => (
                    <tr key={l.seq} data-task-id={l.taskId}>
                      <td>
                        {l.taskName ?? l.taskId}
                        {l.taskName && l.taskId && <div className="muted small mono">{l.taskId}</div>}
                      </td>
                      <td className={l.status === "failed" ? "fail-text" : l.status === "ok" ? "ok-text" : "muted"}>
                        {lineLabel(l.status)}
                      </td>
                      <td className="small">
                        {l.after !== null
                          ? `${describeValues(l.before)} → ${describeValues(l.after)}`
                          : l.before !== null
                            ? // not written: its value then (and, when the outcome is not known, "?")
                              `${describeValues(l.before)}${l.status === "pending" ? " → ?" : ""}`
                            : ""}
                      </td>
                      <td className="small">
                        {entry.kind === "restore" && l.status === "skipped"
                          ? t("activity.leftAlone")
                          : (l.message ?? "")}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {lines.length < total && (
            <button onClick={() => void moreLines()}>
              {t("activity.moreLines", { shown: formatNumber(lines.length), total: formatNumber(total) })}
            </button>
          )}
        </>
      )}
    </section>
  );
}

function UndoSection({
  entry,
  onShow,
  onUndone,
}: {
  entry: ActivityEntry;
  onShow: (id: number) => void;
  onUndone: (newId: number) => void;
}) {
  const t = useT();
  const [plan, setPlan] = useState<UndoPlan | null>(null);
  const [checking, setChecking] = useState(false);
  const [include, setInclude] = useState<Set<string>>(new Set());
  const [progress, setProgress] = useState<ActivityProgress | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  const u = entry.undo;
  if (u.kind === "undone") {
    return (
      <div className="undo-box" data-testid="activity-undo">
        <h3>{t("activity.undoTitle")}</h3>
        <p>
          {t("activity.undoneBy", { entry: u.by })}{" "}
          <button className="link" onClick={() => onShow(u.by)}>
            {t("activity.showEntry", { entry: u.by })}
          </button>
        </p>
      </div>
    );
  }
  if (u.kind === "no") {
    return (
      <div className="undo-box" data-testid="activity-undo">
        <h3>{t("activity.undoTitle")}</h3>
        <p data-testid="activity-not-undoable">{reasonText(u.reason)}</p>
      </div>
    );
  }

  async function check() {
    setChecking(true);
    setError(null);
    try {
      setPlan(await activityApi.planUndo(entry.id));
      setInclude(new Set());
    } catch (e) {
      setError(e as AppError);
    } finally {
      setChecking(false);
    }
  }

  async function run() {
    setRunning(true);
    setError(null);
    try {
      const done = await activityApi.undo(newJobId(), entry.id, [...include], setProgress);
      onUndone(done.entry.id);
    } catch (e) {
      setError(e as AppError);
    } finally {
      setRunning(false);
    }
  }

  const count = plan ? (plan.batch ? plan.batch.nowInBatch : plan.ready + include.size) : 0;

  return (
    <div className="undo-box" data-testid="activity-undo">
      <h3>{t("activity.undoTitle")}</h3>
      {!plan && (
        <>
          <p>{t("activity.undoable")}</p>
          <button onClick={() => void check()} disabled={checking} data-testid="activity-check-undo">
            {checking ? t("activity.checking") : t("activity.checkUndo")}
          </button>
        </>
      )}
      <ErrorBanner error={error} />
      {plan && plan.batch && (
        <>
          <p className="banner warn" role="alert" data-testid="activity-batch-plan">
            {t("activity.batchPlan", {
              batch: plan.batch.batchName,
              count: plan.batch.nowInBatch,
              created: formatNumber(plan.batch.created),
            })}
          </p>
          {plan.batch.nowInBatch > plan.batch.created && <p className="fail-text">{t("activity.batchMore")}</p>}
        </>
      )}
      {plan && !plan.batch && (
        <>
          <p data-testid="activity-plan">{t("activity.planReady", { count: plan.ready })}</p>
          {plan.notChanged > 0 && <p className="muted">{t("activity.planNotChanged", { count: plan.notChanged })}</p>}
          {plan.conflicts.length > 0 && (
            <>
              <h4 data-testid="activity-conflicts-title">{t("activity.conflictsTitle", { count: plan.conflicts.length })}</h4>
              <p className="muted small">{t("activity.conflictsHelp")}</p>
              <div className="result-list" tabIndex={0} role="region" aria-label={t("activity.conflictsTitle", { count: plan.conflicts.length })}>
                <table className="simple" data-testid="activity-conflicts">
                  <thead>
                    <tr>
                      <th scope="col">{t("activity.colInclude")}</th>
                      <th scope="col">{t("activity.colTask")}</th>
                      <th scope="col">{t("activity.colNow")}</th>
                      <th scope="col">{t("activity.colWrote")}</th>
                      <th scope="col">{t("activity.colBefore")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {plan.conflicts.map((c) => (
                      <tr key={c.taskId} data-task-id={c.taskId}>
                        <td>
                          <input
                            type="checkbox"
                            disabled={c.reason === "gone"}
                            checked={include.has(c.taskId)}
                            aria-label={t("activity.includeTask", { task: c.taskName ?? c.taskId })}
                            onChange={(ev) => {
                              const next = new Set(include);
                              if (ev.target.checked) next.add(c.taskId);
                              else next.delete(c.taskId);
                              setInclude(next);
                            }}
                          />
                        </td>
                        <td>{c.taskName ?? c.taskId}</td>
                        <td className="small">{c.reason === "gone" ? t("activity.conflictGone") : describeValues(c.current)}</td>
                        <td className="small">{describeValues(c.recorded)}</td>
                        <td className="small">{describeValues(c.before)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      )}
      {plan && (
        <div className="row">
          <button
            className={plan.batch ? "danger" : "primary"}
            disabled={running || count === 0}
            onClick={() => void run()}
            data-testid="activity-do-undo"
          >
            {plan.batch ? t("activity.doDelete", { count }) : t("activity.doUndo", { count })}
          </button>
          <button onClick={() => setPlan(null)} disabled={running}>
            {t("activity.cancel")}
          </button>
          {running && (
            <span role="status" aria-live="polite">
              {t("activity.undoing")} {progress ? `${formatNumber(progress.done)} / ${formatNumber(progress.total)}` : ""}
            </span>
          )}
        </div>
      )}
    </div>
  );
}

function RetentionForm({ size, onSaved }: { size: number | null; onSaved: () => void }) {
  const t = useT();
  const [r, setR] = useState<Retention | null>(null);
  const [mib, setMib] = useState("");
  const [days, setDays] = useState("");
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    settingsApi.get().then(
      (s) => {
        setR(s.activityRetention);
        setMib(String(s.activityRetention.maxMib));
        setDays(s.activityRetention.maxDays === null ? "" : String(s.activityRetention.maxDays));
      },
      (e: AppError) => setError(e),
    );
  }, []);

  async function save() {
    setError(null);
    setSaved(false);
    try {
      const next: Retention = {
        maxMib: Number(mib),
        maxDays: days.trim() === "" ? null : Number(days),
      };
      const s = await settingsApi.update({ activityRetention: next });
      setR(s.activityRetention);
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(e as AppError);
    }
  }

  if (!r) return <ErrorBanner error={error} />;
  return (
    <details className="retention" data-testid="activity-retention">
      <summary>
        {t("activity.retention")}
        {size !== null && <span className="muted small"> · {t("activity.usage", { size: formatBytes(size) })}</span>}
      </summary>
      <p className="muted small">{t("activity.retentionHelp")}</p>
      <div className="row">
        <label htmlFor="act-mib">{t("activity.maxMib")}</label>
        <input id="act-mib" type="number" min={1} max={10240} value={mib} onChange={(e) => setMib(e.target.value)} style={{ width: 90 }} />
        <label htmlFor="act-days">{t("activity.maxDays")}</label>
        <input id="act-days" type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} style={{ width: 90 }} />
        <button onClick={() => void save()}>{t("activity.saveRetention")}</button>
      </div>
      <ErrorBanner error={error} />
      {saved && size !== null && (
        <p className="muted small" role="status">
          {t("activity.retentionSaved", { size: formatBytes(size) })}
        </p>
      )}
    </details>
  );
}
