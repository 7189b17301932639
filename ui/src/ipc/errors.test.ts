import { afterEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke, Channel: vi.fn() }));

const { call, toAppError } = await import("./index");

afterEach(() => setLocale("en"));

describe("errors from the backend", () => {
  const unreachable = {
    kind: "unreachable",
    message: "Lab Desk could not reach lab.example. Check the endpoint address and your network, then try again.",
    key: "err.unreachable",
    params: { host: "lab.example" },
  };

  it("are shown in the user's language when the catalogue knows their key", () => {
    setLocale("fr");
    const e = toAppError(unreachable);
    expect(e.kind).toBe("unreachable");
    expect(e.message).toBe(
      "Lab Desk n’a pas pu joindre lab.example. Vérifiez l’adresse du serveur et votre réseau, puis réessayez.",
    );
    setLocale("en");
    expect(toAppError(unreachable).message).toBe(unreachable.message);
  });

  it("word the message inside a file or a task in the same language", () => {
    const inFile = {
      kind: "badInput",
      message: "tasks.csv: CSV line 3, column `score`: \"high\" is not a number",
      key: "err.inFile",
      params: { path: "tasks.csv" },
      detail: { key: "err.csvScoreNotNumber", params: { line: "3", value: "high" } },
    } as const;
    setLocale("fr");
    expect(toAppError(inFile).message).toBe("tasks.csv\u00a0: CSV, ligne 3, colonne `score`\u00a0: «\u00a0high\u00a0» n’est pas un nombre.");
    setLocale("en");
    expect(toAppError(inFile).message).toBe(inFile.message);
    // an inner key the catalogue does not know: the backend's English, whole
    setLocale("fr");
    const unknown = { ...inFile, detail: { key: "err.fromTheFuture" } };
    expect(toAppError(unknown).message).toBe(inFile.message);
  });

  it("keep the backend's message for a key the catalogue does not have, or no key", () => {
    setLocale("fr");
    expect(toAppError({ kind: "server", message: "as sent", key: "err.fromTheFuture" }).message).toBe("as sent");
    expect(toAppError({ kind: "badInput", message: "plain" }).message).toBe("plain");
    expect(toAppError(new Error("boom"))).toEqual({ kind: "internal", message: "boom" });
  });

  it("reach the caller and the offline banner translated, the recent-errors log in English", async () => {
    setLocale("fr");
    invoke.mockImplementation((cmd: string) =>
      cmd === "list_projects" ? Promise.reject(unreachable) : Promise.resolve(null),
    );
    await expect(call("list_projects")).rejects.toMatchObject({
      kind: "unreachable",
      message: expect.stringContaining("n’a pas pu joindre lab.example") as unknown,
    });
    expect(invoke).toHaveBeenCalledWith("record_error", {
      kind: "unreachable",
      message: `list_projects: ${unreachable.message}`,
    });
    const { connectivity } = await import("./diagnostics");
    expect(connectivity().offline).toBe(true);
    expect(connectivity().message).toContain("n’a pas pu joindre lab.example");
  });
});

describe("a create job stopped by a backend error", () => {
  it("says why in the user's language", async () => {
    const { localizedStop } = await import("./create");
    setLocale("fr");
    const r = localizedStop({
      stopped: { kind: "expired", message: "Your session has expired.", key: "err.expired" },
    } as Parameters<typeof localizedStop>[0]);
    expect(r.stopped?.message).toBe(
      "Votre session a expiré ou votre clé a été révoquée. Reconnectez-vous depuis l’écran de connexion.",
    );
  });
});

describe("a job item's error kept as data", async () => {
  const { errorText } = await import("../i18n");
  const skipped = {
    kind: "validation" as const,
    message: "A task with this name is already in the batch",
    catalogue: { key: "err.nameInBatch" },
  };

  it("is worded in the user's language from its catalogue message", () => {
    setLocale("fr");
    expect(errorText(skipped)).toBe("Une tâche de ce nom existe déjà dans le lot.");
    setLocale("en");
    expect(errorText(skipped)).toBe(skipped.message);
  });

  it("keeps its English when it has no catalogue message or one the window does not know", () => {
    setLocale("fr");
    expect(errorText({ kind: "server", message: "HTTP 502" })).toBe("HTTP 502");
    expect(errorText({ ...skipped, catalogue: { key: "err.fromANewerLab" } })).toBe(skipped.message);
  });
});
