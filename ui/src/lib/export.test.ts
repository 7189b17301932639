import { afterEach, describe, expect, it } from "vitest";
import type { FormatChoice } from "../bindings/FormatChoice";
import type { Misfit } from "../bindings/Misfit";
import type { TaskFilter } from "../bindings/TaskFilter";
import { setLocale } from "../i18n";
import {
  DEFAULT_SPLIT,
  FORMATS,
  buildRecipe,
  checkSplit,
  defaultMapping,
  describeNormalised,
  describeScope,
  describeSplits,
  formatLabel,
  formatPurpose,
  misfitText,
  missingReason,
  parseSeed,
  recipeProblem,
  splitFields,
  type RecipeChoices,
  hexToRgb,
  initialFormat,
  nameAfterFormatChange,
  nameProblem,
  rgbToHex,
  initialPicks,
  initialRun,
  picksReducer,
  runReducer,
  scopeOf,
  withExtension,
  type RunState,
} from "./export";

const choice = (format: FormatChoice["format"], available = true): FormatChoice => ({
  format,
  available,
  misfit: null,
  extension: format === "yolo" ? ".zip" : format === "mask" ? null : ".json",
  defaultName: `lab_${format}_p_2026-01-01_10-00-00${format === "yolo" ? ".zip" : format === "mask" ? "" : ".json"}`,
});

const filter = (over: Partial<TaskFilter> = {}): TaskFilter => ({
  projectId: "p",
  batchIds: [],
  statuses: [],
  taskIds: [],
  names: [],
  nameLike: null,
  createdAt: { gt: null, gte: null, lt: null, lte: null },
  updatedAt: { gt: null, gte: null, lt: null, lte: null },
  optionalFields: [],
  data: [],
  properties: [],
  ...over,
});

afterEach(() => setLocale("en"));

describe("export file names", () => {
  it("gives the format's extension, swapping a wrong known one", () => {
    expect(withExtension("tasks", ".json")).toBe("tasks.json");
    expect(withExtension("tasks.json", ".json")).toBe("tasks.json");
    expect(withExtension("tasks.json", ".zip")).toBe("tasks.zip");
    expect(withExtension("labels.zip", null)).toBe("labels");
    expect(withExtension(" v1.2 ", ".zip")).toBe("v1.2.zip");
  });

  it("explains what is wrong with a name", () => {
    expect(nameProblem("", ".json")).toBe("empty");
    expect(nameProblem("..", null)).toBe("empty");
    expect(nameProblem("a/b.json", ".json")).toBe("path");
    expect(nameProblem("a\\b.json", ".json")).toBe("path");
    expect(nameProblem("a.zip", ".json")).toBe("extension");
    expect(nameProblem("a.json", ".json")).toBeNull();
    expect(nameProblem("masks", null)).toBeNull();
  });

  it("keeps the user's name when the format changes, else takes the new default", () => {
    const lab = choice("lab");
    const yolo = choice("yolo");
    expect(nameAfterFormatChange(lab.defaultName, lab.defaultName, yolo)).toBe(yolo.defaultName);
    expect(nameAfterFormatChange("", lab.defaultName, yolo)).toBe(yolo.defaultName);
    expect(nameAfterFormatChange("mine.json", lab.defaultName, yolo)).toBe("mine.zip");
    expect(nameAfterFormatChange("mine.zip", yolo.defaultName, choice("mask"))).toBe("mine");
  });

  it("starts on the preferred format when it fits, else the first that fits", () => {
    const formats = [choice("lab"), choice("kili"), choice("yolo"), choice("mask", false)];
    expect(initialFormat(formats, "yolo")).toBe("yolo");
    expect(initialFormat(formats, "mask")).toBe("lab");
    expect(initialFormat([choice("lab", false), choice("mask")], null)).toBe("mask");
    expect(initialFormat([choice("lab", false)], "lab")).toBeNull();
  });
});

describe("export scope", () => {
  it("builds the scope from the filter or the distinct selected ids", () => {
    const f = filter({ statuses: ["complete"] });
    expect(scopeOf("filter", f, ["a"])).toEqual({ kind: "filter", filter: f });
    expect(scopeOf("selection", f, ["a", "b", "a"])).toEqual({ kind: "selection", ids: ["a", "b"] });
  });

  it("describes the tasks an export covered, in the current language", () => {
    expect(describeScope({ kind: "filter", filter: filter() })).toBe("All tasks");
    expect(
      describeScope({
        kind: "filter",
        filter: filter({ statuses: ["complete", "reviewed"], batchIds: ["b1", "b2"], nameLike: "^cat" }),
      }),
    ).toBe("status complete, reviewed · 2 batches · name like ^cat");
    expect(
      describeScope({ kind: "filter", filter: filter({ createdAt: { gt: null, gte: "2026-01-01 00:00:00", lt: null, lte: null } }) }),
    ).toBe("created ≥ 2026-01-01 00:00:00");
    expect(describeScope({ kind: "selection", ids: ["a"] })).toBe("1 selected task");
    setLocale("fr");
    expect(describeScope({ kind: "selection", ids: ["a", "b", "c"] })).toBe("3 tâches sélectionnées");
    expect(describeScope({ kind: "filter", filter: filter({ batchIds: ["b"] }) })).toBe("1 lot");
    expect(formatLabel("mask")).toContain("Masques");
  });
});

describe("semantic mapping colours", () => {
  it("converts between hex and RGB", () => {
    expect(hexToRgb("#ff8000")).toEqual([255, 128, 0]);
    expect(hexToRgb("0f0")).toEqual([0, 255, 0]);
    expect(hexToRgb("red")).toBeNull();
    expect(rgbToHex([255, 128, 0])).toBe("#ff8000");
    expect(rgbToHex([300, -1, 7.6])).toBe("#ff0008");
  });

  it("starts from each label's colour", () => {
    const m = defaultMapping([
      { id: "cat", name: "Cat", color: "#112233", bChannel: 1, list: "l" },
      { id: "dog", name: "Dog", color: null, bChannel: 2, list: "l" },
    ]);
    expect(m[0]).toEqual({ label: "cat", color: [17, 34, 51] });
    expect(m[1]?.label).toBe("dog");
    expect(m[1]?.color).toHaveLength(3);
  });
});

describe("formats", () => {
  it("offers the SDK's formats and the two training formats, each with a line saying what it is for", () => {
    expect(FORMATS).toEqual(["lab", "kili", "yolo", "mask", "coco", "yolo-dataset"]);
    const lines = FORMATS.map(formatPurpose);
    // a real sentence per format (not the key), all different
    for (const [i, l] of lines.entries()) {
      expect(l).not.toContain("export.purpose");
      expect(l.length, FORMATS[i]).toBeGreaterThan(20);
    }
    expect(new Set(lines).size).toBe(FORMATS.length);
    expect(formatPurpose("coco")).toContain("Detectron2");
    expect(formatPurpose("yolo-dataset")).toContain("Ultralytics");
    expect(formatLabel("yolo-dataset")).toContain(".zip");
    setLocale("fr");
    expect(formatPurpose("yolo-dataset")).toContain("entraînement");
    expect(formatLabel("yolo-dataset")).toContain("Jeu de données");
  });
});

describe("YOLO dataset split", () => {
  it("accepts train / val and an optional test share, sending test only when above 0", () => {
    const a = checkSplit({ train: "80", val: "20", test: "0" });
    expect(a).toEqual({
      ok: true,
      shares: [80, 20],
      normalised: [
        { name: "train", share: 0.8 },
        { name: "val", share: 0.2 },
      ],
    });
    const b = checkSplit({ train: "70", val: "20", test: "10" });
    expect(b.ok && b.shares).toEqual([70, 20, 10]);
    expect(b.ok && b.normalised.map((n) => n.name)).toEqual(["train", "val", "test"]);
    // an empty field counts as 0; a decimal comma is read
    expect(checkSplit({ train: "0,9", val: "0.1", test: "" })).toMatchObject({ ok: true, shares: [0.9, 0.1] });
    // val may be 0: everything in train
    expect(checkSplit({ train: "100", val: "0", test: "0" })).toMatchObject({ ok: true, shares: [100, 0] });
  });

  it("normalises shares that do not sum to 100", () => {
    const c = checkSplit({ train: "3", val: "1", test: "0" });
    expect(c.ok && c.normalised.map((n) => n.share)).toEqual([0.75, 0.25]);
    const d = checkSplit({ train: "60", val: "30", test: "30" });
    expect(d.ok && d.normalised.map((n) => n.share)).toEqual([0.5, 0.25, 0.25]);
    expect(d.ok && describeNormalised(d.normalised)).toBe("train 50% · val 25% · test 25%");
    const e = checkSplit({ train: "2", val: "1", test: "0" });
    expect(e.ok && describeNormalised(e.normalised)).toBe("train 66.7% · val 33.3%");
    setLocale("fr");
    // French puts a (narrow, depending on the ICU data) no-break space before "%"
    expect(d.ok && describeNormalised(d.normalised)).toMatch(/^train 50[\u00a0\u202f]% · val 25[\u00a0\u202f]% · test 25[\u00a0\u202f]%$/);
  });

  it("refuses a train share of 0, negative shares and what is not a number", () => {
    expect(checkSplit({ train: "0", val: "100", test: "0" })).toEqual({ ok: false, problem: "train" });
    expect(checkSplit({ train: "", val: "50", test: "50" })).toEqual({ ok: false, problem: "train" });
    expect(checkSplit({ train: "80", val: "-20", test: "0" })).toEqual({ ok: false, problem: "negative" });
    expect(checkSplit({ train: "-1", val: "1", test: "0" })).toEqual({ ok: false, problem: "negative" });
    expect(checkSplit({ train: "80", val: "20", test: "-5" })).toEqual({ ok: false, problem: "negative" });
    for (const bad of ["abc", "1e3", "Infinity", "NaN", "0x10", "1.2.3"]) {
      expect(checkSplit({ train: bad, val: "20", test: "0" }), bad).toEqual({ ok: false, problem: "number" });
    }
  });

  it("fills the fields from a recipe's shares, the default 80 / 20 when it has none", () => {
    expect(splitFields([])).toEqual(DEFAULT_SPLIT);
    expect(splitFields([70, 20, 10])).toEqual({ train: "70", val: "20", test: "10" });
    expect(splitFields([0.8, 0.2])).toEqual({ train: "0.8", val: "0.2", test: "0" });
    // round trip: the fields give back the shares
    const c = checkSplit(splitFields([70, 20, 10]));
    expect(c.ok && c.shares).toEqual([70, 20, 10]);
  });

  it("reads the seed as a whole number from 0", () => {
    expect(parseSeed("42")).toBe(42);
    expect(parseSeed(" 7 ")).toBe(7);
    expect(parseSeed("")).toBe(0);
    expect(parseSeed("-1")).toBeNull();
    expect(parseSeed("1.5")).toBeNull();
    expect(parseSeed("abc")).toBeNull();
    expect(parseSeed("99999999999999999999")).toBeNull();
  });

  it("describes the tasks per split of a done export", () => {
    expect(
      describeSplits([
        ["train", 48],
        ["val", 12],
      ]),
    ).toBe("train 48 · val 12");
    expect(describeSplits([["train", 1200]])).toBe("train 1,200");
    expect(describeSplits([])).toBe("");
  });
});

describe("export recipe", () => {
  const base = (over: Partial<RecipeChoices> = {}): RecipeChoices => ({
    projectId: "p",
    scope: { kind: "selection", ids: ["t1"] },
    format: "lab",
    folder: "/out",
    fileName: " tasks.json ",
    replaceExtension: true,
    mapping: [{ label: "cat", color: [1, 2, 3] }],
    inputId: null,
    images: true,
    split: { train: "70", val: "20", test: "10" },
    seed: "9",
    ...over,
  });

  it("gives lab, kili and yolo none of the other formats' options", () => {
    for (const format of ["lab", "kili", "yolo"] as const) {
      expect(buildRecipe(base({ format }))).toEqual({
        projectId: "p",
        scope: { kind: "selection", ids: ["t1"] },
        format,
        folder: "/out",
        fileName: "tasks.json",
        replaceExtension: false,
        semanticMapping: [],
        inputId: null,
        images: false,
        split: [],
        seed: 0,
      });
    }
  });

  it("keeps the mask options for masks only", () => {
    const r = buildRecipe(base({ format: "mask", fileName: "masks", inputId: "img" }));
    expect(r).toMatchObject({
      format: "mask",
      fileName: "masks",
      replaceExtension: true,
      semanticMapping: [{ label: "cat", color: [1, 2, 3] }],
      inputId: "img",
      images: false,
      split: [],
      seed: 0,
    });
    expect(buildRecipe(base({ format: "mask", mapping: null }))?.semanticMapping).toEqual([]);
  });

  it("sends COCO's images choice", () => {
    expect(buildRecipe(base({ format: "coco" }))).toMatchObject({ format: "coco", images: true, split: [], seed: 0, replaceExtension: false });
    expect(buildRecipe(base({ format: "coco", images: false }))?.images).toBe(false);
  });

  it("sends the YOLO dataset's shares as typed and its seed", () => {
    expect(buildRecipe(base({ format: "yolo-dataset", fileName: "ds.zip" }))).toMatchObject({
      format: "yolo-dataset",
      fileName: "ds.zip",
      images: false,
      split: [70, 20, 10],
      seed: 9,
      semanticMapping: [],
      replaceExtension: false,
    });
    expect(buildRecipe(base({ format: "yolo-dataset", split: DEFAULT_SPLIT, seed: "" }))).toMatchObject({ split: [80, 20], seed: 0 });
  });

  it("makes no YOLO dataset recipe from a wrong split or seed, and says why", () => {
    const wrongSplit = base({ format: "yolo-dataset", split: { train: "0", val: "1", test: "0" } });
    expect(buildRecipe(wrongSplit)).toBeNull();
    expect(recipeProblem(wrongSplit)).toBe("train");
    const wrongSeed = base({ format: "yolo-dataset", seed: "-3" });
    expect(buildRecipe(wrongSeed)).toBeNull();
    expect(recipeProblem(wrongSeed)).toBe("seed");
    // the same fields do not matter for another format
    expect(recipeProblem({ ...wrongSplit, format: "coco" })).toBeNull();
    expect(buildRecipe({ ...wrongSeed, format: "lab" })?.seed).toBe(0);
  });
});

describe("missing image reasons", () => {
  it("are written from the kind and its detail, in the user's language", () => {
    setLocale("en");
    expect(missingReason({ kind: "downloadFailed", detail: "https://x/a.png: 404" })).toBe(
      "its image could not be downloaded (https://x/a.png: 404)",
    );
    setLocale("fr");
    expect(missingReason({ kind: "linkOnly", detail: "resource://b/a.png" })).toBe(
      "son image resource://b/a.png est un lien interne au lab qui ne peut pas être téléchargé, et cet ordinateur n’en a pas de copie",
    );
    setLocale("en");
  });
});

describe("why a format does not fit, in the app's words", () => {
  it("names project types, never their ids, in English and French", () => {
    setLocale("en");
    const m: Misfit = { kind: "projectType", projectType: "iat-rectangle", supported: ["iat-segmentation"] };
    const en = misfitText(m);
    expect(en).toBe("it writes Image: segmentation projects only; this one is Image: rectangles.");
    const many = misfitText({ kind: "formInput", inputType: "tool-iat-graph", supported: ["iat-rectangle", "iat-polygon"] });
    expect(many).toBe("the form’s image tool is Image: graph; it writes Image: rectangles and Image: polygons.");
    setLocale("fr");
    expect(misfitText(m)).toBe("il n’écrit que les projets Image\u00a0: segmentation\u00a0; celui-ci est Image\u00a0: rectangles.");
    expect(misfitText({ kind: "sequences" })).toMatch(/^il ne gère pas les séquences/);
    setLocale("en");
  });
});

describe("the dialog's choices", () => {
  it("start from the defaults, or from the recipe run again", () => {
    const fresh = initialPicks();
    expect(fresh).toMatchObject({ format: null, folder: null, name: null, mapOn: false, mapping: null, seed: "0" });
    const recipe = buildRecipe({
        projectId: "p",
        scope: { kind: "filter", filter: filter() },
        format: "mask",
        folder: "/out",
        fileName: "masks",
        replaceExtension: false,
        mapping: [{ label: "car", color: [1, 2, 3] }],
        inputId: null,
        images: false,
        split: DEFAULT_SPLIT,
        seed: "7",
      });
    if (!recipe) throw new Error("a mask recipe is built");
    const again = initialPicks(recipe);
    expect(again).toMatchObject({ format: "mask", folder: "/out", name: "masks", mapOn: true, seed: "0" });
    expect(again.mapping).toEqual([{ label: "car", color: [1, 2, 3] }]);
  });

  it("follow a format change: a typed name keeps its stem, the default follows, an unavailable format is ignored", () => {
    const typed = { ...initialPicks(), format: "lab" as const, name: "week-1.json" };
    const yolo = picksReducer(typed, { type: "format", next: choice("yolo"), previousDefault: choice("lab").defaultName });
    expect([yolo.format, yolo.name]).toEqual(["yolo", "week-1.zip"]);
    const byDefault = picksReducer({ ...typed, name: null }, { type: "format", next: choice("yolo"), previousDefault: null });
    expect([byDefault.format, byDefault.name]).toEqual(["yolo", null]);
    expect(picksReducer(typed, { type: "format", next: choice("mask", false), previousDefault: null })).toBe(typed);
  });

  it("change one share of the split and one label's colour", () => {
    const s = picksReducer(initialPicks(), { type: "split", share: "test", value: "10" });
    expect(s.split).toEqual({ ...DEFAULT_SPLIT, test: "10" });
    const base = [
      { label: "car", color: [1, 1, 1] as [number, number, number] },
      { label: "bus", color: [2, 2, 2] as [number, number, number] },
    ];
    const m = picksReducer(initialPicks(), { type: "color", base, label: "car", color: [9, 9, 9] });
    expect(m.mapping).toEqual([base[1], { label: "car", color: [9, 9, 9] }]);
  });
});

describe("a run of the dialog", () => {
  type S = RunState<number, string, string>;
  const step = (s: S, ...actions: Parameters<typeof runReducer<number, string, string>>[1][]) =>
    actions.reduce((acc, a) => runReducer(acc, a), s);

  it("goes setup → running → done, and back with 'export another'", () => {
    const s0 = { ...initialRun<number, string, string>(), error: "an old error", notice: "an old notice" };
    const running = step(s0, { type: "start" });
    expect(running).toEqual({ step: "running", progress: null, outcome: null, error: null, notice: null });
    const done = step(running, { type: "progress", progress: 3 }, { type: "done", outcome: "written" });
    expect([done.step, done.progress, done.outcome]).toEqual(["done", 3, "written"]);
    expect(step(done, { type: "another" })).toMatchObject({ step: "setup", outcome: null });
  });

  it("returns to the form with the error, or with a notice when cancelled", () => {
    const running = step(initialRun(), { type: "start" });
    expect(step(running, { type: "failed", error: "disk full" })).toMatchObject({ step: "setup", error: "disk full" });
    expect(step(running, { type: "cancelled", notice: "Cancelled" })).toMatchObject({ step: "setup", notice: "Cancelled", error: null });
  });

  it("ignores progress that arrives after the run ended, and shows other errors where it is", () => {
    const done = step(initialRun(), { type: "start" }, { type: "done", outcome: "x" });
    expect(step(done, { type: "progress", progress: 9 })).toBe(done);
    expect(step(done, { type: "error", error: "cannot open the folder" })).toMatchObject({ step: "done", error: "cannot open the folder" });
  });
});
