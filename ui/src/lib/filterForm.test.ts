import { describe, expect, it } from "vitest";
import { activeFilterCount, emptyForm, parseList, parseLines, regexError, toServerDate, toTaskFilter, validateForm } from "./filterForm";

describe("filter form", () => {
  it("parses pasted id lists with any separator and drops repeats", () => {
    expect(parseList("a, b\nc;d\t a  ")).toEqual(["a", "b", "c", "d"]);
    expect(parseList("  ")).toEqual([]);
  });

  it("keeps spaces inside names (one per line)", () => {
    expect(parseLines("img 1.png\n\n img 2.png \nimg 1.png")).toEqual(["img 1.png", "img 2.png"]);
  });

  it("validates the name pattern as you type", () => {
    expect(regexError("")).toBeNull();
    expect(regexError("^img_\\d+")).toBeNull();
    expect(regexError("img_(")).toMatch(/not valid/);
  });

  it("converts datetime-local values to the server format", () => {
    expect(toServerDate("2022-09-19T08:30")).toBe("2022-09-19 08:30:00");
    expect(toServerDate("2022-09-19T08:30:15")).toBe("2022-09-19 08:30:15");
    expect(toServerDate("2022-09")).toBeNull();
  });

  it("builds the SDK filter with every field", () => {
    const f = {
      ...emptyForm(),
      batchIds: ["b1"],
      statuses: ["complete"],
      names: "n 1\nn2",
      taskIds: "a b",
      nameLike: "x.*",
      data: [{ key: "comment", value: "urgent" }, { key: "", value: "" }],
      properties: [{ key: "score", value: "3" }],
      createdFrom: { op: ">=" as const, value: "2022-01-01T00:00" },
      createdTo: { op: "<" as const, value: "2023-01-01T00:00" },
      updatedFrom: { op: ">" as const, value: "2022-06-01T10:00" },
      optionalFields: ["data", "jobs"],
    };
    const t = toTaskFilter("p", f);
    expect(t).toEqual({
      projectId: "p",
      batchIds: ["b1"],
      statuses: ["complete"],
      taskIds: ["a", "b"],
      names: ["n 1", "n2"],
      nameLike: "x.*",
      createdAt: { gt: null, gte: "2022-01-01 00:00:00", lt: "2023-01-01 00:00:00", lte: null },
      updatedAt: { gt: "2022-06-01 10:00:00", gte: null, lt: null, lte: null },
      optionalFields: ["data", "jobs"],
      data: [["comment", "urgent"]],
      properties: [["score", "3"]],
    });
    expect(activeFilterCount(f)).toBe(9);
  });

  it("reports reversed date ranges, bad patterns and values without keys", () => {
    const f = {
      ...emptyForm(),
      nameLike: "[",
      createdFrom: { op: ">=" as const, value: "2023-01-01T00:00" },
      createdTo: { op: "<=" as const, value: "2022-01-01T00:00" },
      data: [{ key: "", value: "x" }],
    };
    const e = validateForm(f);
    expect(Object.keys(e).sort()).toEqual(["createdTo", "data.0", "nameLike"]);
    expect(validateForm(emptyForm())).toEqual({});
  });
});
