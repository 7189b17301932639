import { describe, expect, it } from "vitest";
import type { AppError } from "../bindings/AppError";
import type { DuplicatePolicy } from "../bindings/DuplicatePolicy";
import type { JobProgress } from "../bindings/JobProgress";
import type { PreflightView } from "../bindings/PreflightView";
import type { RowView } from "../bindings/RowView";
import type { JobInfo } from "../bindings/JobInfo";
import type { RunResult } from "../bindings/RunResult";
import { setLocale, t } from "../i18n";
import {
  checkMessage,
  cleanPaths,
  createBlocker,
  filterRows,
  initialJobView,
  initialPreflight,
  jobReducer,
  preflightReducer,
  targetNeedsCheck,
  progressFigures,
  rowState,
  startLabel,
  splitPath,
  tasksToCreate,
  thumbsToFetch,
  worthNotifying,
} from "./create";

function row(idx: number, over: Partial<RowView> = {}): RowView {
  return {
    idx,
    source: { from: "file" },
    path: `/drop/img${idx}.png`,
    name: `img${idx}.png`,
    size: 100,
    kind: "image",
    format: "png",
    checks: [],
    skip: false,
    resources: 1,
    hasData: false,
    ...over,
  };
}

function view(rows: RowView[]): PreflightView {
  return {
    rows,
    summary: { new: 0, duplicates: 0, invalid: 0, skipped: 0 },
    warnings: [],
    hiddenSkipped: 0,
    needsBatchCheck: false,
  };
}

const dup = (i: number) => row(i, { checks: [{ check: "nameExistsInBatch" }] });
const empty = (i: number) => row(i, { kind: "empty", checks: [{ check: "empty" }], size: 0 });
const repeated = (i: number) => row(i, { checks: [{ check: "nameRepeatedInDrop" }] });
const existing = { kind: "existing", batchId: "b1" } as const;

describe("create: row states", () => {
  it("puts each row in exactly one state, like the Rust summary", () => {
    expect(rowState(row(0))).toBe("new");
    expect(rowState(dup(1))).toBe("duplicate");
    expect(rowState(empty(2))).toBe("invalid");
    expect(rowState(repeated(3))).toBe("invalid");
    expect(rowState({ ...empty(4), skip: true })).toBe("skipped");
    const rows = [row(0), dup(1), empty(2), { ...row(3), skip: true }];
    expect(filterRows(rows, "problems").map((r) => r.idx)).toEqual([1, 2]);
    expect(filterRows(rows, "skipped").map((r) => r.idx)).toEqual([3]);
    expect(filterRows(rows, "all")).toHaveLength(4);
  });

  it("turns every check into a message naming the detail", () => {
    setLocale("en");
    const m = checkMessage({ check: "dataInvalid", path: "data/annotations/0", message: "bad" });
    expect(t(m.key, m.vars)).toBe("Data invalid at data/annotations/0: bad");
    expect(t(checkMessage({ check: "empty" }).key)).toContain("0 bytes");
  });
});

describe("create: what blocks Create", () => {
  it("asks for files, a batch and fixes first", () => {
    expect(createBlocker(null, "refuse", existing)).toBe("create.block.empty");
    expect(createBlocker(view([row(0)]), "refuse", { kind: "existing", batchId: "" })).toBe("create.block.noBatch");
    expect(createBlocker(view([row(0)]), "refuse", { kind: "new", name: "  " })).toBe("create.block.noBatchName");
    expect(createBlocker(view([row(0), empty(1)]), "refuse", existing)).toBe("create.block.invalid");
    expect(createBlocker(view([row(0), { ...empty(1), skip: true }]), "refuse", existing)).toBeNull();
  });

  it("follows the duplicate policy", () => {
    const v = view([row(0), dup(1)]);
    expect(createBlocker(v, "refuse", existing)).toBe("create.block.refuse");
    expect(createBlocker(v, "skipExisting", existing)).toBeNull();
    expect(tasksToCreate(v, "skipExisting")).toBe(1);
    expect(tasksToCreate(v, "insertAnyway")).toBe(2);
    expect(createBlocker(view([dup(0)]), "skipExisting", existing)).toBe("create.block.nothing");
    // a name repeated in the drop only blocks when duplicates are refused or skipped
    const r = view([repeated(0), repeated(1)]);
    expect(createBlocker(r, "skipExisting", existing)).toBe("create.block.invalid");
    expect(createBlocker(r, "insertAnyway", existing)).toBeNull();
  });

  it("explains the refuse policy with what to do", () => {
    setLocale("en");
    expect(t("create.block.refuse")).toMatch(/Skip existing/);
    setLocale("fr");
    expect(t("create.block.refuse")).toMatch(/Ignorer les existants/);
    expect(t("create.summary", { new: 2, duplicates: 1, invalid: 0, skipped: 0 })).toBe(
      "2 nouvelles · 1 doublon · 0 invalide",
    );
    setLocale("en");
    expect(t("create.summary", { new: 5, duplicates: 1, invalid: 2, skipped: 1 })).toBe(
      "5 new · 1 duplicate · 2 invalid · 1 skipped",
    );
  });
});

describe("create: progress", () => {
  const p = (over: Partial<JobProgress["counts"]>, etaMs: number | null): JobProgress => ({
    jobId: "j",
    counts: { total: 10, pending: 10, done: 0, failed: 0, skipped: 0, bytesTotal: 0, bytesDone: 0, ...over },
    elapsedMs: 1000,
    etaMs,
    item: null,
    phase: null,
  });

  it("counts finished tasks and prefers bytes for the bar", () => {
    const f = progressFigures(p({ done: 3, failed: 1, skipped: 1, pending: 5 }, 4000));
    expect(f).toMatchObject({ finished: 5, total: 10, percent: 50, etaSeconds: 4 });
    const b = progressFigures(p({ done: 1, pending: 9, bytesTotal: 1000, bytesDone: 250 }, null));
    expect(b.percent).toBe(25);
    expect(b.etaSeconds).toBeNull();
  });

  it("notifies only after long jobs", () => {
    expect(worthNotifying(4999)).toBe(false);
    expect(worthNotifying(5000)).toBe(true);
  });
});

describe("create: lazy thumbnails and paths", () => {
  it("fetches only visible local images not known or in flight", () => {
    const rows = [row(0), row(1), row(2, { kind: "remote", path: null }), row(3), row(4)];
    const known = new Map<number, string | null>([[0, "data:"]]);
    expect(thumbsToFetch(rows, 0, 4, known, new Set([1]))).toEqual([3]);
    expect(thumbsToFetch(rows, 3, 5, known, new Set())).toEqual([3, 4]);
  });

  it("drops blank and repeated paths", () => {
    expect(cleanPaths([" /a ", "/b", "", "/a"])).toEqual(["/a", "/b"]);
  });
});

describe("the File column", () => {
  it("shows the file's name, and its folder apart", () => {
    expect(splitPath("/tmp/x/drop/ha-very-long-name.png")).toEqual({ name: "ha-very-long-name.png", folder: "/tmp/x/drop" });
    expect(splitPath("/a.png")).toEqual({ name: "a.png", folder: "/" });
    expect(splitPath("C:\\imgs\\b.jpg")).toEqual({ name: "b.jpg", folder: "C:\\imgs" });
    expect(splitPath("c.png")).toEqual({ name: "c.png", folder: "" });
  });
});

describe("the start button says what it will send, or what stops it", () => {
  it("counts invalid rows and names already in the batch, then the tasks once they are skipped", () => {
    const bad: RowView["checks"][number] = { check: "empty" };
    const dup: RowView["checks"][number] = { check: "nameExistsInBatch" };
    const rows: RowView[] = [row(0), row(1, { checks: [bad] }), row(2, { checks: [bad] }), row(3, { checks: [dup] })];
    const view = { rows } as PreflightView;
    const label = (p: DuplicatePolicy) => {
      const l = startLabel(view, p, createBlocker(view, p, { kind: "existing", batchId: "b" }));
      return t(l.key, l.vars);
    };
    setLocale("en");
    expect(label("refuse")).toBe("Create: 2 invalid rows to fix or skip first");
    // before the batch is chosen too (the line under the table asks for the batch)
    const noBatch = createBlocker(view, "refuse", { kind: "existing", batchId: "" });
    expect(noBatch).toBe("create.block.noBatch");
    const early = startLabel(view, "refuse", noBatch);
    expect(t(early.key, early.vars)).toBe("Create: 2 invalid rows to fix or skip first");
    setLocale("fr");
    expect(t(early.key, early.vars)).toBe("Créer\u00a0: 2 lignes invalides à corriger ou ignorer d’abord");
    setLocale("en");
    rows[1] = row(1, { checks: [bad], skip: true });
    rows[2] = row(2, { checks: [bad], skip: true });
    expect(label("refuse")).toBe("Create: 1 name is already in the batch");
    expect(label("skipExisting")).toBe("Create 1 task");
    expect(label("insertAnyway")).toBe("Create 2 tasks");
    setLocale("fr");
    expect(label("refuse")).toBe("Créer\u00a0: 1 nom est déjà dans le lot");
    setLocale("en");
  });
});

describe("a file that is not an image says why in the user's language", () => {
  it("names the format, the extension or the kind of file", () => {
    const say = (c: RowView["checks"][number]) => {
      const m = checkMessage(c);
      return t(m.key, m.vars);
    };
    setLocale("en");
    expect(say({ check: "unsupported", file: { reason: "notAnImage" } })).toBe(
      "Not an image (PNG, JPEG, WebP, GIF, BMP, TIFF or AVIF): skip it",
    );
    expect(say({ check: "unsupported", file: { reason: "imageFormat", format: "AVIF" } })).toBe(
      "AVIF images are not taken: convert it to PNG, JPEG, WebP, GIF, BMP, TIFF or AVIF, or skip it",
    );
    setLocale("fr");
    expect(say({ check: "unsupported", file: { reason: "notAnImage" } })).toBe(
      "Pas une image (PNG, JPEG, WebP, GIF, BMP, TIFF ou AVIF)\u00a0: ignorez-la",
    );
    expect(say({ check: "unsupported", file: { reason: "notThatImage", ext: "png" } })).toBe(
      "Le nom finit par .png mais le contenu n’est pas une image connue (fichier abîmé ou renommé\u00a0?)",
    );
    setLocale("en");
  });
});

describe("the upload view's job", () => {
  const counts = { total: 2, pending: 0, done: 2, failed: 0, skipped: 0, bytesTotal: 0, bytesDone: 0 };
  const info = (id: string): JobInfo => ({
    job: { id, projectId: "p", batchId: "b", createdAt: "", policy: "refuse", state: "done", counts },
    label: { profileId: "", profileName: "", projectName: "P", batchName: "Week", leftOut: null },
  });
  const result = (id: string): RunResult => ({ info: info(id), finishedNow: 2, stopped: null });
  const progress = (jobId: string): JobProgress => ({ jobId, counts, elapsedMs: 5, etaMs: 0, item: null, phase: "creating" });

  it("follows a run: progress names the job, the result and then its items arrive, the end clears the stop asked", () => {
    let s = jobReducer(initialJobView(null), { type: "run" });
    expect(s.running).toBe(true);
    s = jobReducer(s, { type: "progress", progress: progress("j1") });
    expect([s.jobId, s.progress?.phase]).toEqual(["j1", "creating"]);
    s = jobReducer(s, { type: "stopping", how: "pause" });
    expect(s.stopping).toBe("pause");
    s = jobReducer(s, { type: "finished", result: result("j1") });
    expect([s.result?.finishedNow, s.info?.label.batchName, s.jobId]).toEqual([2, "Week", "j1"]);
    s = jobReducer(s, { type: "items", items: [{ idx: 0, name: "a.png", status: "done", taskId: "t", error: null, attempts: 1 }] });
    s = jobReducer(s, { type: "ended" });
    expect([s.running, s.stopping, s.items.length]).toEqual([false, null, 1]);
  });

  it("a new run clears the last result and error; a stop asked when nothing runs is ignored", () => {
    let s = jobReducer(initialJobView("j2"), { type: "failed", error: { kind: "unreachable", message: "offline" } });
    s = jobReducer(jobReducer(s, { type: "finished", result: result("j2") }), { type: "ended" });
    expect(jobReducer(s, { type: "stopping", how: "cancel" })).toBe(s);
    const again = jobReducer(s, { type: "run" });
    expect([again.result, again.error, again.running, again.jobId]).toEqual([null, null, true, "j2"]);
  });
});

describe("the pre-flight panel's state", () => {
  const view = (n: number): PreflightView =>
    ({ rows: Array.from({ length: n }, (_, i) => row(i)) }) as unknown as PreflightView;
  const err: AppError = { kind: "unreachable", message: "down" };

  it("a project without batches can only receive a new batch", () => {
    const none = preflightReducer(initialPreflight(), { type: "batches", batches: [] });
    expect(none.target).toEqual({ kind: "new", name: "" });
    const some = preflightReducer(initialPreflight(), {
      type: "batches",
      batches: [{ id: "b1", name: "B1" } as never],
    });
    expect(some.target).toEqual({ kind: "existing", batchId: "" });
    expect(some.batches).toHaveLength(1);
  });

  it("a new table clears the error; a failure keeps the table", () => {
    let s = preflightReducer(initialPreflight(), { type: "failed", error: err });
    expect(s.error).toEqual(err);
    s = preflightReducer(s, { type: "view", view: view(3) });
    expect(s.error).toBeNull();
    expect(s.view?.rows).toHaveLength(3);
    s = preflightReducer(s, { type: "failed", error: err });
    expect(s.view?.rows).toHaveLength(3);
    expect(s.error).toEqual(err);
  });

  it("busy goes back to idle, and clearing forgets the table and its thumbnails", () => {
    let s = preflightReducer(initialPreflight(), { type: "busy", busy: "scan" });
    expect(s.busy).toBe("scan");
    s = preflightReducer(s, { type: "view", view: view(2) });
    s = preflightReducer(s, { type: "thumbs", thumbs: [{ idx: 0, url: "a" }, { idx: 1, url: null }] });
    s = preflightReducer(s, { type: "thumbs", thumbs: [{ idx: 0, url: "b" }] });
    expect([...s.thumbs.entries()]).toEqual([[0, "b"], [1, null]]);
    s = preflightReducer(s, { type: "idle" });
    expect(s.busy).toBeNull();
    s = preflightReducer(s, { type: "cleared" });
    expect(s.view).toBeNull();
    expect(s.thumbs.size).toBe(0);
  });

  it("an unchanged drag or scroll keeps the same state (no render)", () => {
    const s = initialPreflight();
    expect(preflightReducer(s, { type: "dragOver", over: false })).toBe(s);
    expect(preflightReducer(s, { type: "scroll", top: 0, height: 480 })).toBe(s);
    expect(preflightReducer(s, { type: "scroll", top: 56, height: 480 }).scroll).toEqual({ top: 56, height: 480 });
    expect(preflightReducer(s, { type: "dragOver", over: true }).dragOver).toBe(true);
  });

  it("a target change checks again when a batch is picked or a new batch is chosen", () => {
    const existing = { kind: "existing", batchId: "" } as const;
    expect(targetNeedsCheck(existing, { kind: "existing", batchId: "b1" })).toBe(true);
    expect(targetNeedsCheck(existing, { kind: "existing", batchId: "" })).toBe(false);
    expect(targetNeedsCheck(existing, { kind: "new", name: "" })).toBe(true);
    // typing the new batch's name does not check at each key
    expect(targetNeedsCheck({ kind: "new", name: "a" }, { kind: "new", name: "ab" })).toBe(false);
  });
});
