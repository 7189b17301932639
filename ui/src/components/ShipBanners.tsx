// The offline banner (with Retry) and the one-time "settings were reset" notice (owner: ship).
import { useState } from "react";
import { useT } from "../i18n";
import { checkNow, OFFLINE_CHECK_MS, useConnectivity } from "../ipc/diagnostics";

export function OfflineBanner() {
  const t = useT();
  const c = useConnectivity();
  if (!c.offline) return null;
  return (
    <div className="banner error ship-offline" role="alert" data-testid="offline-banner">
      <strong>{t("ship.offlineTitle")}</strong> {t("ship.offlineText", { message: c.message, seconds: OFFLINE_CHECK_MS / 1000 })}{" "}
      <button onClick={() => void checkNow()} disabled={c.checking} data-testid="offline-retry">
        {c.checking ? t("ship.offlineChecking") : t("ship.offlineRetry")}
      </button>
    </div>
  );
}

export function StartupNotice({ notice }: { notice: string | null | undefined }) {
  const t = useT();
  const [open, setOpen] = useState(true);
  if (!notice || !open) return null;
  return (
    <div className="banner ship-notice" role="status" data-testid="settings-notice">
      <strong>{t("ship.settingsReset")}</strong> {notice}{" "}
      <button className="link" onClick={() => setOpen(false)}>
        {t("ship.dismiss")}
      </button>
    </div>
  );
}
