// Small shared building blocks.
import { useEffect, useId, useRef, type ReactNode } from "react";
import type { AppError } from "../bindings/AppError";
import { formatDateTime, t, useT } from "../i18n";

export function ErrorBanner({ error, onRetry }: { error: AppError | null; onRetry?: () => void }) {
  const tr = useT();
  if (!error) return null;
  return (
    <div className="banner error" role="alert">
      <strong>{titleFor(error)}</strong> {error.message}
      {onRetry && (
        <>
          {" "}
          <button className="link" onClick={onRetry}>
            {tr("common.retry")}
          </button>
        </>
      )}
    </div>
  );
}

export function titleFor(e: AppError): string {
  switch (e.kind) {
    case "wrongCredentials":
      return t("ui.error.wrongCredentials");
    case "expired":
      return t("ui.error.expired");
    case "unreachable":
      return t("ui.error.unreachable");
    case "keychain":
      return t("ui.error.keychain");
    case "forbidden":
      return t("ui.error.forbidden");
    case "notFound":
      return t("ui.error.notFound");
    case "badInput":
      return t("ui.error.badInput");
    case "server":
      return t("ui.error.server");
    case "cancelled":
      return t("ui.error.cancelled");
    case "notConnected":
      return t("ui.error.notConnected");
    default:
      return t("ui.error.other");
  }
}

export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string;
  error?: string | null;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-err` : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      {hint && (
        <div className="hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && (
        <div className="error" id={errId} role="status">
          {error}
        </div>
      )}
    </div>
  );
}

/**
 * A modal dialog (native <dialog>: the rest of the window is inert, Tab stays inside, Escape
 * closes). Focus goes back to the control that opened it when it closes.
 */
export function Modal({
  title,
  onClose,
  children,
  footer,
  labelledBy,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  labelledBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const headId = useId();
  const tr = useT();
  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      // give focus back to the control that opened the dialog (when it is still there)
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={labelledBy ?? headId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className="dlg-head">
        <h2 id={headId}>{title}</h2>
        <span className="spacer" />
        <button onClick={onClose} aria-label={tr("common.close")} title={tr("common.close")}>
          ✕
        </button>
      </div>
      <div className="dlg-body">{children}</div>
      {footer && <div className="dlg-foot">{footer}</div>}
    </dialog>
  );
}

export function StatusBadge({ status }: { status: string }) {
  useT();
  return <span className={`status status-${status}`}>{statusLabel(status)}</span>;
}

export function statusLabel(s: string): string {
  switch (s) {
    case "pending":
      return t("ui.status.pending");
    case "complete":
      return t("ui.status.complete");
    case "to-review":
      return t("ui.status.toReview");
    case "reviewed":
      return t("ui.status.reviewed");
    case "configuring":
      return t("ui.status.configuring");
    default:
      return s;
  }
}

export function formatDate(s: string | null | undefined): string {
  if (!s) return "";
  return formatDateTime(s) || s;
}
