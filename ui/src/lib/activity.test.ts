import { describe, expect, it } from "vitest";
import type { ActivityEntry } from "../bindings/ActivityEntry";
import { setLocale } from "../i18n";
import { describeChange, describeTarget, describeValues } from "./activity";

function entry(change: ActivityEntry["change"], target: ActivityEntry["target"] = { kind: "selection", count: 2 }): ActivityEntry {
  return {
    id: 7,
    startedAt: "2026-12-03T10:00:00.000Z",
    finishedAt: null,
    actor: { profile: "Local sandbox", accessId: "demo", endpoint: "http://127.0.0.1:1/", source: "window" },
    kind: change.kind,
    projectId: "p",
    projectName: "Rectangles",
    target,
    change,
    state: "done",
    total: 2,
    succeeded: 2,
    failed: 0,
    skipped: 0,
    message: null,
    undoOf: null,
    undo: { kind: "undoable" },
  };
}

describe("activity words", () => {
  it("describes values before and after, a removed value as none", () => {
    setLocale("en");
    expect(describeValues({ score: 1, custom: { team: null, level: 3 } })).toBe("score 1, team none, level 3");
    expect(describeValues({ score: null })).toBe("score none");
    expect(describeValues({ status: "to-review" })).toMatch(/^status /);
    expect(describeValues(null)).toBe("");
    // numbers in the user's language, no digit lost
    expect(describeValues({ score: 0.12345 })).toBe("score 0.12345");
    expect(describeValues({ score: 12000.5 })).toBe("score 12,000.5");
    setLocale("fr");
    expect(describeValues({ score: 0.12345 })).toBe("score 0,12345");
    setLocale("en");
  });

  it("describes each kind of change in English and French", () => {
    setLocale("en");
    expect(describeChange(entry({ kind: "properties", score: 7, custom: { team: "z" } }))).toBe("Set score 7, team z");
    expect(describeChange(entry({ kind: "redo", reset: true }))).toBe("Sent to redo, reset to the initial data");
    expect(describeChange(entry({ kind: "create", batchId: "b1", batchName: "", newBatch: true, jobId: null }))).toBe(
      "Created in the new batch “b1”",
    );
    expect(describeTarget(entry({ kind: "review" }, { kind: "selection", count: 1 }))).toBe("1 task picked one by one");
    setLocale("fr");
    expect(describeChange(entry({ kind: "restore", of: 3 }))).toBe("Annulation de la n°\u00a03");
    expect(describeTarget(entry({ kind: "review" }, { kind: "entry", entry: 3 }))).toBe("Les tâches de l’entrée n°\u00a03");
    setLocale("en");
  });
});
