// The one place that calls `invoke`: commands reject with an AppError. ./index adds the notes
// (recent errors, offline banner) on top; ./diagnostics and ./locale, which those notes use, call
// the backend through `quiet` (so no module of ipc imports its own index).
import { invoke } from "@tauri-apps/api/core";
import type { AppError } from "../bindings/AppError";
import { translateMessage } from "../i18n";
import { commands, type CommandName } from "./commands";

/** The error with its message in the current language when the catalogue knows its key. */
function localized(e: AppError): AppError {
  if (!e.key) return e;
  const text = translateMessage({ key: e.key, params: e.params, detail: e.detail });
  return text === null ? e : { ...e, message: text };
}

export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "kind" in e && "message" in e;
}

/** Any thrown value as an AppError with a plain message, in the user's language when the
 *  backend named a catalogue message (`key`, `params`). */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return localized(e);
  const message = e instanceof Error ? e.message : String(e);
  return { kind: "internal", message };
}

/** Invokes `cmd`; rejects with the backend's AppError as sent (its English message and key). */
export async function invokeRaw<T>(cmd: CommandName, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw isAppError(e) ? e : toAppError(e);
  }
}

/** Invokes `cmd`; rejects with an AppError in the user's language. */
export async function invokeCommand<T>(cmd: CommandName, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

/** The commands without the notes of ./index (what the notes themselves use). */
export const quiet = commands(invokeCommand);
