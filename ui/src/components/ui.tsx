// Small shared building blocks.
import { useEffect, useId, useRef, type ReactNode } from "react";
import type { AppError } from "../bindings/AppError";

export function ErrorBanner({ error, onRetry }: { error: AppError | null; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div className="banner error" role="alert">
      <strong>{titleFor(error)}</strong> {error.message}
      {onRetry && (
        <>
          {" "}
          <button className="link" onClick={onRetry}>
            Try again
          </button>
        </>
      )}
    </div>
  );
}

export function titleFor(e: AppError): string {
  switch (e.kind) {
    case "wrongCredentials":
      return "Wrong credentials.";
    case "expired":
      return "Session expired.";
    case "unreachable":
      return "Cannot reach the server.";
    case "keychain":
      return "Keychain problem.";
    case "forbidden":
      return "Not allowed.";
    case "notFound":
      return "Not found.";
    case "badInput":
      return "Please check your input.";
    case "server":
      return "Server problem.";
    case "cancelled":
      return "Cancelled.";
    case "notConnected":
      return "Not connected.";
    default:
      return "Something went wrong.";
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

/** A modal dialog (native <dialog>: focus trap and Escape for free). */
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
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
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
        <button onClick={onClose} aria-label="Close">
          ✕
        </button>
      </div>
      <div className="dlg-body">{children}</div>
      {footer && <div className="dlg-foot">{footer}</div>}
    </dialog>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{statusLabel(status)}</span>;
}

export function statusLabel(s: string): string {
  switch (s) {
    case "pending":
      return "Pending";
    case "complete":
      return "Complete";
    case "to-review":
      return "To review";
    case "reviewed":
      return "Reviewed";
    case "configuring":
      return "Configuring";
    default:
      return s;
  }
}

export function formatDate(s: string | null | undefined): string {
  if (!s) return "";
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
