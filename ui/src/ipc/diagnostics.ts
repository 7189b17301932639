// About, "Copy diagnostics", error reporting and the offline state behind the banner (owner: ship).
import { useSyncExternalStore } from "react";
import type { AppError } from "../bindings/AppError";
import type { DiagnosticsReport } from "../bindings/DiagnosticsReport";
import { quiet, toAppError } from "./core";

export const diagnosticsApi = {
  about: quiet.aboutInfo,
  report: (locale: string): Promise<DiagnosticsReport> => quiet.diagnosticsReport(locale, navigator.userAgent),
  /** Puts the report on the system clipboard and returns it. */
  copy: (locale: string): Promise<DiagnosticsReport> => quiet.copyDiagnostics(locale, navigator.userAgent),
  checkEndpoint: quiet.checkEndpoint,
};

// ---------- offline state ----------

export type Connectivity = { offline: boolean; message: string; checking: boolean; epoch: number };

/** While offline, how often the endpoint is checked in the background. */
export const OFFLINE_CHECK_MS = 10_000;

let state: Connectivity = { offline: false, message: "", checking: false, epoch: 0 };
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function set(next: Partial<Connectivity>): void {
  state = { ...state, ...next };
  for (const l of listeners) l();
}

function goOnline(): void {
  if (timer !== null) {
    clearInterval(timer);
    timer = null;
  }
  if (state.offline) set({ offline: false, message: "", checking: false, epoch: state.epoch + 1 });
}

function goOffline(message: string): void {
  set({ offline: true, message });
  if (timer === null) {
    timer = setInterval(() => {
      if (!state.checking) void checkNow(false);
    }, OFFLINE_CHECK_MS);
  }
}

/** Checks the endpoint now; back online when it answers. */
export async function checkNow(userAsked = true): Promise<boolean> {
  if (userAsked) set({ checking: true });
  try {
    await diagnosticsApi.checkEndpoint();
    set({ checking: false });
    goOnline();
    return true;
  } catch (e) {
    const err = toAppError(e);
    set({ checking: false });
    if (err.kind === "unreachable") goOffline(err.message);
    return false;
  }
}

const QUIET = new Set(["record_error", "check_endpoint", "cancel_job"]);
const ABOUT_A_DRAFT = new Set(["test_connection", "add_profile", "update_profile"]);

/** Called by the IPC layer with every failed command: notes it (in English, for support) and
 *  detects "offline" (the banner in the user's language). */
export function noteCallError(cmd: string, err: AppError): void {
  if (QUIET.has(cmd) || err.kind === "cancelled") return;
  void quiet.recordError(err.kind, `${cmd}: ${err.message}`).catch(() => undefined);
  // A profile being tested or edited names its own endpoint: its failure says nothing about the
  // connection the app is using (and going "offline" would reset the form showing the error).
  if (err.kind === "unreachable" && !ABOUT_A_DRAFT.has(cmd)) goOffline(toAppError(err).message);
}

/** Called by the IPC layer with every command that worked. */
export function noteCallOk(cmd: string): void {
  if (cmd === "connect" || cmd === "disconnect") goOnline();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function snapshot(): Connectivity {
  return state;
}

/** The current offline state (for plain code and tests; components use `useConnectivity`). */
export function connectivity(): Connectivity {
  return state;
}

/** The offline state; `epoch` goes up each time the connection comes back. */
export function useConnectivity(): Connectivity {
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}
