import { describe, expect, it } from "vitest";
import type { TaskRow } from "../bindings/TaskRow";
import { buildAction, parseValue, resultCsv } from "./bulk";
import { toCsv } from "./csv";
import { NOTHING, allOrNothing, covers, isSelected, selectedCount, sliceKey, toggled, wantedRange, withAll, type RowSlice, type Selection } from "./rows";
import { moveTarget, scrollToRow, visibleRange } from "./virtual";

const row = (name: string, score: number | null, status = "pending"): TaskRow => ({
  id: `id-${name}`,
  name,
  status,
  batchId: "b",
  createdAt: "",
  updatedAt: "",
  lastAnnotator: null,
  score,
});

describe("virtual list", () => {
  it("renders only what is on screen for 100k rows", () => {
    const r = visibleRange(100_000, 32, 32 * 50_000, 640, 8);
    expect(r.start).toBe(50_000 - 8);
    expect(r.end).toBe(50_000 + 21 + 8);
    expect(r.end - r.start).toBeLessThan(40);
    expect(r.totalHeight).toBe(3_200_000);
    expect(visibleRange(0, 32, 0, 640)).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
  });

  it("scrolls just enough to show a row", () => {
    expect(scrollToRow(0, 32, 100, 320)).toBe(0);
    expect(scrollToRow(20, 32, 0, 320)).toBe(21 * 32 - 320);
    expect(scrollToRow(5, 32, 0, 320)).toBe(0);
  });
});

describe("list keys", () => {
  it("move by one, by a line of cells, by a page, to the ends", () => {
    expect(moveTarget("ArrowDown", -1, 10, 4, 8, true)).toBe(0);
    expect(moveTarget("ArrowDown", 1, 10, 4, 8, true)).toBe(5);
    expect(moveTarget("ArrowUp", 5, 10, 1, 8, false)).toBe(4);
    expect(moveTarget("ArrowRight", 5, 10, 1, 8, false)).toBeNull();
    expect(moveTarget("ArrowRight", 5, 10, 4, 8, true)).toBe(6);
    expect(moveTarget("PageDown", 2, 100, 1, 8, false)).toBe(10);
    expect(moveTarget("End", 2, 100, 1, 8, false)).toBe(99);
    expect(moveTarget("x", 2, 100, 1, 8, false)).toBeNull();
  });
});

describe("rows read by range", () => {
  const slice = (start: number, n: number, count: number, key = "s|"): RowSlice => ({
    key,
    start,
    rows: Array.from({ length: n }, (_, i) => row(`r${start + i}`, null)),
    count,
  });

  it("reads the window and a screenful each side", () => {
    expect(wantedRange(100, 130, 1000)).toEqual({ start: 70, end: 160 });
    expect(wantedRange(0, 30, 40)).toEqual({ start: 0, end: 40 });
  });

  it("keeps a slice while it covers the window", () => {
    expect(covers(slice(70, 90, 1000), "s|", 100, 130, 1000, false)).toBe(true);
    expect(covers(slice(70, 90, 1000), "s|", 150, 180, 1000, false)).toBe(false);
    // another search or order
    expect(covers(slice(70, 90, 1000, "s|name:asc"), "s|", 100, 130, 1000, false)).toBe(false);
    expect(covers(null, "s|", 0, 10, 10, false)).toBe(false);
  });

  it("reads again when rows arrived: anywhere when sorted, after the end otherwise", () => {
    expect(covers(slice(0, 40, 40), "s|", 0, 30, 140, false)).toBe(true);
    expect(covers(slice(0, 40, 40), "s|", 20, 50, 140, false)).toBe(false);
    expect(covers(slice(0, 40, 40, "s|name:asc"), "s|name:asc", 0, 30, 140, true)).toBe(false);
  });

  it("keys a slice by search and order", () => {
    expect(sliceKey("a", null)).not.toBe(sliceKey("a", { column: "name", dir: "asc" }));
    expect(sliceKey("a", { column: "name", dir: "asc" })).not.toBe(sliceKey("a", { column: "name", dir: "desc" }));
  });
});

describe("selection", () => {
  it("ticks ids, or everything but the unticked ones", () => {
    let s: Selection = NOTHING;
    s = toggled(s, "a");
    expect(isSelected(s, "a") && !isSelected(s, "b")).toBe(true);
    expect(selectedCount(s, 100)).toBe(1);
    s = allOrNothing(s);
    expect(s.all && isSelected(s, "b")).toBe(true);
    s = toggled(s, "b");
    expect(isSelected(s, "b")).toBe(false);
    expect(selectedCount(s, 100)).toBe(99);
    s = withAll(s, ["b", "c"]);
    expect(isSelected(s, "b") && selectedCount(s, 100) === 100).toBe(true);
    expect(allOrNothing({ all: true, ids: new Set() })).toEqual(NOTHING);
    expect(selectedCount(withAll(NOTHING, ["x", "y", "x"]), 10)).toBe(2);
  });
});

describe("csv", () => {
  it("quotes what needs quoting", () => {
    expect(toCsv(["a", "b"], [["x,y", 'say "hi"'], [null, 3]])).toBe('a,b\r\n"x,y","say ""hi"""\r\n,3\r\n');
  });
  it("exports results with names", () => {
    const csv = resultCsv(
      {
        rows: [
          { taskId: "t1", ok: true, status: "done", message: "" },
          { taskId: "t2", ok: false, status: "failed", message: "Not found" },
        ],
        succeeded: 1,
        failed: 1,
        cancelled: false,
      },
      (id) => (id === "t1" ? "one.png" : ""),
    );
    expect(csv).toBe("task_id,task_name,result,message\r\nt1,one.png,done,\r\nt2,,failed,Not found\r\n");
  });
});

describe("bulk actions", () => {
  it("keeps types of custom values", () => {
    expect(parseValue("3")).toBe(3);
    expect(parseValue("true")).toBe(true);
    expect(parseValue("team a")).toBe("team a");
    expect(parseValue("007x")).toBe("007x");
  });

  it("builds properties updates and refuses empty ones", () => {
    expect(buildAction("properties", { score: "", custom: [] }, false)).toMatch(/score or at least one/);
    expect(buildAction("properties", { score: "abc", custom: [] }, false)).toMatch(/number/);
    expect(buildAction("properties", { score: "4", custom: [{ key: "team", value: "a" }] }, false)).toEqual({
      kind: "properties",
      score: 4,
      custom: { team: "a" },
    });
    expect(buildAction("properties", { score: "", custom: [{ key: "a", value: "1" }, { key: "a", value: "2" }] }, false)).toMatch(
      /twice/,
    );
    expect(buildAction("redo", { score: "", custom: [] }, true)).toEqual({ kind: "redo", reset: true });
    expect(buildAction("review", { score: "", custom: [] }, false)).toEqual({ kind: "review" });
  });
});
