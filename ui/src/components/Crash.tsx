// The last line of defence: a screen that throws while drawing shows what happened and a way
// back instead of a blank window (the error goes to the recent-errors log for support).
import { Component, type ErrorInfo, type ReactNode } from "react";
import { t } from "../i18n";
import { noteCallError } from "../ipc/diagnostics";

export class CrashGuard extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    noteCallError("render", { kind: "internal", message: `${error.message}${info.componentStack ?? ""}`.slice(0, 2000) });
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main className="main" role="alert" data-testid="crash">
        <h1>{t("crash.title")}</h1>
        <p>{t("crash.body")}</p>
        <p className="mono small">{this.state.error.message}</p>
        <button className="primary" onClick={() => this.setState({ error: null })}>
          {t("crash.retry")}
        </button>{" "}
        <button onClick={() => window.location.reload()}>{t("crash.reload")}</button>
      </main>
    );
  }
}
