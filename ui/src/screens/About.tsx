// "About Lab Desk" (owner: ship): version, commit, licences of the bundled packages (searchable),
// and "Copy diagnostics" for support.
import { useEffect, useId, useMemo, useState } from "react";
import type { AboutInfo } from "../bindings/AboutInfo";
import type { AppError } from "../bindings/AppError";
import { ErrorBanner, Modal } from "../components/ui";
import { getLocale, useT } from "../i18n";
import { diagnosticsApi } from "../ipc/diagnostics";
import { toAppError } from "../ipc";
import { filterLicences } from "../lib/appSettings";

export function AboutDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const [info, setInfo] = useState<AboutInfo | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [query, setQuery] = useState("");
  const [report, setReport] = useState("");
  const [copyState, setCopyState] = useState<{ ok: boolean; text: string } | null>(null);
  const searchId = useId();
  const hintId = useId();

  useEffect(() => {
    let live = true;
    diagnosticsApi
      .about()
      .then((a) => live && setInfo(a))
      .catch((e) => live && setError(toAppError(e)));
    diagnosticsApi
      .report(getLocale())
      .then((r) => live && setReport(r.text))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);

  const shown = useMemo(() => filterLicences(info?.licences ?? [], query), [info, query]);

  const copy = async () => {
    try {
      const r = await diagnosticsApi.copy(getLocale());
      setReport(r.text);
      setCopyState({ ok: true, text: t("ship.copied") });
    } catch (e) {
      setCopyState({ ok: false, text: t("ship.copyFailed", { message: toAppError(e).message }) });
    }
  };

  return (
    <Modal title={t("ship.aboutTitle")} onClose={onClose}>
      <div className="ship-about" data-testid="about-dialog">
        <ErrorBanner error={error} />
        {!info && !error && <p role="status">{t("ship.loading")}</p>}
        {info && (
          <dl className="ship-facts">
            <dt>{t("ship.version")}</dt>
            <dd data-testid="about-version">{info.version}</dd>
            <dt>{t("ship.commit")}</dt>
            <dd data-testid="about-commit">
              <code>{info.commit}</code>
            </dd>
            <dt>{t("ship.tauri")}</dt>
            <dd>{info.tauriVersion}</dd>
            <dt>{t("ship.identifier")}</dt>
            <dd>
              <code>{info.identifier}</code>
            </dd>
          </dl>
        )}

        <section aria-labelledby={`${searchId}-diag`}>
          <h3 id={`${searchId}-diag`}>{t("ship.diagnostics")}</h3>
          <p className="muted small">{t("ship.diagnosticsIntro")}</p>
          <div className="ship-row">
            <button className="primary" onClick={() => void copy()} data-testid="copy-diagnostics">
              {t("ship.copyDiagnostics")}
            </button>
            {copyState && (
              <span role="status" className={copyState.ok ? "ship-ok" : "error"} data-testid="copy-status">
                {copyState.text}
              </span>
            )}
          </div>
          {report && (
            <pre className="ship-report" data-testid="diagnostics-text" tabIndex={0} aria-label={t("ship.diagnostics")}>
              {report}
            </pre>
          )}
        </section>

        {info && (
          <section aria-labelledby={`${searchId}-lic`}>
            <h3 id={`${searchId}-lic`}>{t("ship.licences")}</h3>
            <p className="muted small">{t("ship.licencesIntro")}</p>
            <label htmlFor={searchId}>{t("ship.licenceSearch")}</label>
            <input
              id={searchId}
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              aria-describedby={hintId}
              data-testid="licence-search"
            />
            <div className="hint" id={hintId}>
              {t("ship.licenceSearchHint")}
            </div>
            <p role="status" className="muted small" data-testid="licence-count">
              {t("ship.licenceCount", { count: shown.length })}
            </p>
            {shown.length === 0 ? (
              <p>{t("ship.licenceNone")}</p>
            ) : (
              <div className="ship-licences" tabIndex={0} role="region" aria-label={t("ship.licenceList")}>
                <table data-testid="licence-table">
                  <thead>
                    <tr>
                      <th scope="col">{t("ship.colName")}</th>
                      <th scope="col">{t("ship.colVersion")}</th>
                      <th scope="col">{t("ship.colLicence")}</th>
                      <th scope="col">{t("ship.colSource")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((e) => (
                      <tr key={`${e.source}:${e.name}:${e.version}`}>
                        <td>{e.name}</td>
                        <td>{e.version}</td>
                        <td>{e.licence}</td>
                        <td>{e.source === "npm" ? t("ship.sourceNpm") : t("ship.sourceCrate")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        )}
      </div>
    </Modal>
  );
}
