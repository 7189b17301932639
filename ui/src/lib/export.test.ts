import { afterEach, describe, expect, it } from "vitest";
import type { FormatChoice } from "../bindings/FormatChoice";
import type { TaskFilter } from "../bindings/TaskFilter";
import { setLocale } from "../i18n";
import {
  defaultMapping,
  describeScope,
  formatLabel,
  hexToRgb,
  initialFormat,
  nameAfterFormatChange,
  nameProblem,
  rgbToHex,
  scopeOf,
  withExtension,
} from "./export";

const choice = (format: FormatChoice["format"], available = true): FormatChoice => ({
  format,
  available,
  reason: available ? null : "no",
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
