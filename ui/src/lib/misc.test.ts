import { describe, expect, it } from "vitest";
import type { TaskRow } from "../bindings/TaskRow";
import { buildAction, parseValue, resultCsv } from "./bulk";
import { toCsv } from "./csv";
import { sortRows } from "./sort";
import { scrollToRow, visibleRange } from "./virtual";

const row = (name: string, score: number | null, status = "pending"): TaskRow => ({
  id: `id-${name}`,
  name,
  status,
  batchId: "b",
  createdAt: "",
  updatedAt: "",
  lastAnnotator: null,
  score,
  doc: {},
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

describe("sorting", () => {
  it("sorts naturally, both ways, blanks last, stable", () => {
    const rows = [row("img10", 1), row("img2", null), row("img1", 3), row("img3", 1)];
    expect(sortRows(rows, { column: "name", dir: "asc" }).map((r) => r.name)).toEqual(["img1", "img2", "img3", "img10"]);
    expect(sortRows(rows, { column: "score", dir: "desc" }).map((r) => r.name)).toEqual(["img1", "img10", "img3", "img2"]);
    expect(sortRows(rows, { column: "score", dir: "asc" }).map((r) => r.name)).toEqual(["img10", "img3", "img1", "img2"]);
    expect(sortRows(rows, null)).toEqual(rows);
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
