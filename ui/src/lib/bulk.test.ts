import { describe, expect, it } from "vitest";
import { setLocale } from "../i18n";
import { buildAction, describeAction } from "./bulk";

describe("bulk preview states the change itself", () => {
  it("in English", () => {
    setLocale("en");
    const props = buildAction("properties", { score: "0.5", custom: [{ key: "team", value: "a" }] }, false);
    if (typeof props === "string") throw new Error(props);
    expect(describeAction(props, 10)).toBe("score → 0.5, team → a on 10 tasks");
    expect(describeAction({ kind: "redo", reset: true }, 1)).toBe("sent to redo, data reset to the initial data on 1 task");
    expect(describeAction({ kind: "redo", reset: false }, 3)).toBe("sent to redo, work kept on 3 tasks");
    expect(describeAction({ kind: "review" }, 2)).toBe("sent to review on 2 tasks");
  });

  it("in French", () => {
    setLocale("fr");
    expect(describeAction({ kind: "properties", score: 0.5, custom: { level: 3 } }, 10)).toBe(
      "score → 0,5, level → 3 sur 10 tâches",
    );
    expect(describeAction({ kind: "redo", reset: true }, 1)).toBe(
      "renvoi en annotation, données remises à l’état initial sur 1 tâche",
    );
    expect(describeAction({ kind: "review" }, 2)).toBe("envoi en vérification sur 2 tâches");
    setLocale("en");
  });
});
