import { afterEach, describe, expect, it } from "vitest";
import { contrastRatio } from "../a11y/palette";
import type { LabelStats } from "../bindings/LabelStats";
import { setLocale, t } from "../i18n";
import {
  bands,
  countScale,
  fitText,
  idsFilter,
  labelRows,
  largestBatch,
  periodFilter,
  periodName,
  periodTick,
  statusClass,
  statusFilter,
  statusRows,
  testId,
  tickEvery,
} from "./dashboard";
import { emptyForm, toTaskFilter, validateForm, type FilterForm } from "./filterForm";

afterEach(() => setLocale("en"));

/** The filter the task browser sends for a bar: its form over an empty one (as TaskBrowser merges it). */
function sent(part: Partial<FilterForm>) {
  const form = { ...emptyForm(), ...part };
  expect(validateForm(form)).toEqual({});
  return toTaskFilter("p1", form);
}

describe("a bar opens the task browser on its tasks", () => {
  it("status and batch", () => {
    const f = sent(statusFilter("b2", "to-review"));
    expect(f.batchIds).toEqual(["b2"]);
    expect(f.statuses).toEqual(["to-review"]);
    expect(f.taskIds).toEqual([]);
    expect(f.createdAt).toEqual({ gt: null, gte: null, lt: null, lte: null });
  });

  it("a day of creation: from its midnight (UTC) to the next, the end left out", () => {
    const f = sent(periodFilter({ start: "2024-05-01", end: "2024-05-02" }, "created"));
    expect(f.createdAt).toEqual({ gt: null, gte: "2024-05-01 00:00:00", lt: "2024-05-02 00:00:00", lte: null });
    expect(f.updatedAt).toEqual({ gt: null, gte: null, lt: null, lte: null });
    expect(f.batchIds).toEqual([]);
  });

  it("a week of updates", () => {
    const f = sent(periodFilter({ start: "2024-04-29", end: "2024-05-06" }, "updated"));
    expect(f.updatedAt).toEqual({ gt: null, gte: "2024-04-29 00:00:00", lt: "2024-05-06 00:00:00", lte: null });
    expect(f.createdAt.gte).toBeNull();
  });

  it("an annotator's or a label's exact tasks", () => {
    const f = sent(idsFilter(["t3", "t1", "t2"]));
    expect(f.taskIds).toEqual(["t3", "t1", "t2"]);
    expect(f.statuses).toEqual([]);
  });
});

describe("tables", () => {
  const stats = {
    statuses: ["pending", "complete", "to-review", "reviewed", "configuring"],
    batches: [
      { batchId: "b1", name: "Week 18", counts: [{ status: "complete", count: 3 }], total: 3 },
      {
        batchId: "b2",
        name: "Week 19",
        counts: [
          { status: "pending", count: 2 },
          { status: "complete", count: 5 },
        ],
        total: 7,
      },
      { batchId: "b3", name: "Empty", counts: [], total: 0 },
    ],
  };

  it("have a column per status some task has, and a zero where a batch has none", () => {
    const { statuses, rows } = statusRows(stats);
    expect(statuses).toEqual(["pending", "complete"]);
    expect(rows.map((r) => [r.name, r.cells.map((c) => c.count), r.total])).toEqual([
      ["Week 18", [0, 3], 3],
      ["Week 19", [2, 5], 7],
      ["Empty", [0, 0], 0],
    ]);
    expect(largestBatch(stats)).toBe(7);
  });

  const label = (id: string, annotations: number): LabelStats => ({
    id,
    name: id.toUpperCase(),
    color: "#ff0000",
    annotations,
    tasks: annotations ? 1 : 0,
    taskIds: annotations ? ["t1"] : [],
  });

  it("list used labels, unused configured ones on request, and the unlabelled bucket only when used", () => {
    const labels = [label("car", 3), label("bus", 0), label("", 0)];
    expect(labelRows(labels, true).map((l) => l.id)).toEqual(["car", "bus"]);
    expect(labelRows(labels, false).map((l) => l.id)).toEqual(["car"]);
    expect(labelRows([...labels.slice(0, 2), label("", 2)], false).map((l) => l.id)).toEqual(["car", ""]);
  });
});

describe("periods", () => {
  it("are named in the user's language, in UTC whatever the computer's time zone", () => {
    expect(periodName("2024-05-01", "day")).toBe("May 1, 2024");
    expect(periodName("2024-04-29", "week")).toBe("Week of Apr 29, 2024");
    expect(periodName("2024-05-01", "month")).toBe("May 2024");
    expect(periodTick("2024-05-01", "day")).toBe("May 1");
    setLocale("fr");
    expect(periodName("2024-05-01", "day")).toBe("1 mai 2024");
    expect(periodName("2024-04-29", "week")).toBe("Semaine du 29 avr. 2024");
    expect(periodName("2024-05-01", "month")).toBe("mai 2024");
    expect(periodTick("2024-05-01", "day")).toBe("1 mai");
  });

  it("leave an unreadable date as it is", () => {
    expect(periodName("someday", "day")).toBe("someday");
  });

  it("are labelled on the axis often enough without touching", () => {
    expect(tickEvery(60, 50)).toBe(1);
    expect(tickEvery(20, 50)).toBe(3);
    expect(tickEvery(0, 50)).toBe(1);
  });
});

describe("progress and counts", () => {
  it("say how far the reading is, numbers formatted for the language", () => {
    expect(t("dash.progress", { read: 1200, total: 4000 })).toBe("1,200 of 4,000 tasks read");
    expect(t("dash.progress", { read: 1, total: 1 })).toBe("1 of 1 task read");
    setLocale("fr");
    expect(t("dash.progress", { read: 1200, total: 4000 }).replace(/\s/g, " ")).toBe("1 200 tâches lues sur 4 000");
    expect(t("dash.status.bar", { batch: "Lot 1", status: "En attente", count: 1 })).toBe(
      "Lot 1, En attente\u00a0: 1 tâche. Les ouvrir dans le navigateur de tâches.",
    );
  });
});

describe("scales", () => {
  it("count from 0 to a round end at or above the largest value, in whole steps", () => {
    const s = countScale(27, 300, 4);
    expect(s.ticks).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(s.end).toBe(30);
    expect(s.at(0)).toBe(0);
    expect(s.at(15)).toBe(150);
    expect(s.at(30)).toBe(300);
    expect(countScale(3, 100, 4).ticks).toEqual([0, 1, 2, 3]);
    expect(countScale(0, 100).ticks).toEqual([0, 1]);
    expect(countScale(4000, 100, 4).ticks).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(countScale(4001, 100, 4).end).toBe(5000);
  });

  it("lay bands side by side, centred, as d3's band scale does", () => {
    const b = bands(4, 100, 0.2, 0.1);
    // step = 100 / (4 - 0.2 + 0.2)
    expect(b.step).toBeCloseTo(25);
    expect(b.bandwidth).toBeCloseTo(20);
    expect(b.at(0)).toBeCloseTo(2.5);
    expect(b.at(3) + b.bandwidth).toBeCloseTo(97.5);
    const one = bands(1, 50);
    expect([one.at(0), one.bandwidth]).toEqual([0, 50]);
  });
});

describe("helpers", () => {
  it("cut long names to the room there is", () => {
    expect(fitText("short", 200)).toBe("short");
    const cut = fitText("a.very.long.address@annotators.example.org", 100);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut.length).toBeLessThan(20);
  });

  it("make test ids of any text", () => {
    expect(testId("bar-status", "demo-b1", "to-review")).toBe("bar-status-demo-b1-to-review");
    expect(testId("bar-label", "traffic light/2")).toBe("bar-label-traffic_light_2");
  });

  it("colour statuses by class, unknown ones alike", () => {
    expect(statusClass("to-review")).toBe("dash-st-to-review");
    expect(statusClass("archived")).toBe("dash-st-other");
  });
});

// Read from disk (vitest turns CSS imports into empty modules); see a11y/contrast.test.ts.
const fs = (await import(/* @vite-ignore */ ["node", "fs"].join(":"))) as {
  readFileSync(path: URL, encoding: "utf8"): string;
};
const css = fs.readFileSync(new URL("../styles.css", import.meta.url), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");

function pairs(block: string): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const m of block.matchAll(/(--[\w-]+)\s*:\s*light-dark\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)\s*;/g)) {
    if (m[1] && m[2] && m[3]) out[m[1]] = [m[2], m[3]];
  }
  return out;
}

describe("chart colours (WCAG 1.4.11: 3:1 for graphics)", () => {
  const root = pairs(/(^|\n):root\s*\{([^}]*)\}/.exec(css)?.[2] ?? "");
  const dash = pairs(/\n\.dashboard\s*\{([^}]*)\}/.exec(css)?.[1] ?? "");

  it("are defined for both themes", () => {
    expect(Object.keys(dash).sort()).toEqual(
      ["--dash-pending", "--dash-complete", "--dash-to-review", "--dash-reviewed", "--dash-configuring", "--dash-other", "--dash-created", "--dash-updated"].sort(),
    );
  });

  for (const [theme, i] of [
    ["light", 0],
    ["dark", 1],
  ] as const) {
    it(`stand out from the panel in the ${theme} theme, as do the label bars' outline and the focus ring`, () => {
      const panel = root["--panel"]?.[i] ?? "";
      const low: string[] = [];
      for (const [name, v] of Object.entries(dash)) {
        const r = contrastRatio(v[i], panel);
        if (r < 3) low.push(`${name} ${v[i]} on ${panel}: ${r.toFixed(2)}`);
      }
      for (const name of ["--control-border", "--focus"]) {
        const v = root[name]?.[i] ?? "";
        if (contrastRatio(v, panel) < 3) low.push(`${name} on ${panel}`);
      }
      expect(low).toEqual([]);
    });
  }
});
