import { afterEach, describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatNumber, localeFromTag, setLocale, t } from "./index";

afterEach(() => setLocale("en"));

describe("i18n", () => {
  it("picks French for any fr tag and English otherwise", () => {
    expect(localeFromTag("fr-FR")).toBe("fr");
    expect(localeFromTag("fr_CA.UTF-8")).toBe("fr");
    expect(localeFromTag("en-GB")).toBe("en");
    expect(localeFromTag("de-DE")).toBe("en");
    expect(localeFromTag(undefined)).toBe("en");
  });

  it("switches catalogues and plural rules", () => {
    expect(t("common.cancel")).toBe("Cancel");
    expect(t("common.tasks", { count: 0 })).toBe("0 tasks");
    setLocale("fr");
    expect(t("common.cancel")).toBe("Annuler");
    // French treats 0 and 1 as singular.
    expect(t("common.tasks", { count: 0 })).toBe("0 tâche");
    expect(t("common.tasks", { count: 2 })).toBe("2 tâches");
  });

  it("formats numbers, bytes and durations per locale", () => {
    expect(formatNumber(1234.5)).toBe("1,234.5");
    expect(formatBytes(1_500_000)).toBe("1.5 MB");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(999_950)).toBe("1 MB");
    expect(formatBytes(999_400)).toBe("999 kB");
    setLocale("fr");
    expect(formatNumber(1234.5).replace(/\s/g, " ")).toBe("1 234,5");
    expect(formatBytes(1_500_000)).toBe("1,5\u00a0Mo");
    expect(formatBytes(0)).toBe("0\u00a0o");
    expect(formatBytes(5_900)).toBe("5,9\u00a0ko");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(3900)).toBe("1 h 05 min");
  });
});
