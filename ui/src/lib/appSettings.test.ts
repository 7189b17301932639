import { describe, expect, it } from "vitest";
import type { Settings } from "../bindings/Settings";
import { filterLicences, projectToReopen, resolveLanguage } from "./appSettings";

const base: Settings = { language: "system", theme: "system", lastProject: null, window: null, activityRetention: { maxMib: 64, maxDays: null }, startupNotice: null };

describe("appSettings", () => {
  it("resolves the saved language, system following the OS tag", () => {
    expect(resolveLanguage("fr", "en-US")).toBe("fr");
    expect(resolveLanguage("en", "fr-FR")).toBe("en");
    expect(resolveLanguage("system", "fr-CA")).toBe("fr");
    expect(resolveLanguage("system", "de-DE")).toBe("en");
  });

  it("reopens the last project only for the same profile", () => {
    const s: Settings = { ...base, lastProject: { profileId: "p1", projectId: "demo", projectName: "Demo" } };
    expect(projectToReopen(s, "p1")?.projectId).toBe("demo");
    expect(projectToReopen(s, "other")).toBeNull();
    expect(projectToReopen(null, "p1")).toBeNull();
  });

  it("filters licences by every word", () => {
    const l = [
      { source: "crate", name: "serde", version: "1.0.2", licence: "MIT OR Apache-2.0" },
      { source: "npm", name: "react", version: "19.3.1", licence: "MIT" },
      { source: "crate", name: "ring", version: "0.17", licence: "ISC AND OpenSSL" },
    ];
    expect(filterLicences(l, "").length).toBe(3);
    expect(filterLicences(l, "mit").map((e) => e.name)).toEqual(["serde", "react"]);
    expect(filterLicences(l, "MIT npm").map((e) => e.name)).toEqual(["react"]);
    expect(filterLicences(l, "isc")).toEqual([l[2]]);
    expect(filterLicences(l, "nothing")).toEqual([]);
  });
});
