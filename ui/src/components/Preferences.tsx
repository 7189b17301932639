// Language and theme, in a "Display" menu of the top bar (owner: a11y). Both are saved in the settings
// (owner: ship): the language through ship's setLanguage() (which also applies it, asking the OS
// locale from the Rust side for "system"; loadAppSettings() applies it at start), the theme with
// settingsApi.update().
import { useEffect, useRef, useState } from "react";
import { localeFromTag, useLocale, useT } from "../i18n";
import { localeApi } from "../ipc/locale";
import { settingsApi } from "../ipc/settings";
import { setLanguage } from "../lib/appSettings";

type Language = "system" | "en" | "fr";
type Theme = "system" | "light" | "dark";

/** Shows the theme: "system" follows prefers-color-scheme, the others force it. */
export function applyTheme(theme: Theme): void {
  if (typeof document === "undefined") return;
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function Preferences() {
  const t = useT();
  const locale = useLocale();
  // screen readers pick their voice from <html lang>
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const [language, setLang] = useState<Language>("system");
  const [theme, setThemeState] = useState<Theme>("system");
  const [systemName, setSystemName] = useState<string>("");
  const [problem, setProblem] = useState<string | null>(null);
  // the menu (a disclosure under its button): closed by Escape, by a click elsewhere, or by
  // the button again
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: MouseEvent) => {
      if (box.current && e.target instanceof Node && !box.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [open]);

  useEffect(() => {
    let live = true;
    void (async () => {
      const tag = await localeApi.systemLocale().catch(() => "");
      if (live) setSystemName(localeFromTag(tag) === "fr" ? t("app.languageFrench") : t("app.languageEnglish"));
      try {
        const s = await settingsApi.get();
        if (!live) return;
        setLang(s.language);
        setThemeState(s.theme);
        applyTheme(s.theme);
      } catch {
        // settings unreadable: the menus show "system", which is what the window uses
      }
    })();
    return () => {
      live = false;
    };
    // once at start; the names of the languages do not depend on the current language
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function changeLanguage(lang: Language) {
    setLang(lang);
    setProblem(null);
    try {
      await setLanguage(lang);
    } catch (e) {
      setProblem(t("app.languageSaveFailed", { message: String((e as { message?: string }).message ?? e) }));
    }
  }

  async function changeTheme(th: Theme) {
    setThemeState(th);
    applyTheme(th);
    setProblem(null);
    try {
      await settingsApi.update({ theme: th });
    } catch (e) {
      setProblem(t("app.themeSaveFailed", { message: String((e as { message?: string }).message ?? e) }));
    }
  }

  return (
    <div className="prefs" ref={box}>
      <button
        type="button"
        ref={opener}
        aria-expanded={open}
        aria-controls="prefs-menu"
        data-testid="open-display"
        onClick={() => setOpen((o) => !o)}
      >
        {t("app.display")} <span aria-hidden="true">▾</span>
      </button>
      <div
        id="prefs-menu"
        className="prefs-menu"
        role="group"
        aria-label={t("app.display")}
        hidden={!open}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            setOpen(false);
            opener.current?.focus();
          }
        }}
      >
        <label htmlFor="pref-language">{t("app.language")}</label>
        <select
          id="pref-language"
          data-testid="language"
          value={language}
          onChange={(e) => void changeLanguage(e.target.value as Language)}
        >
          <option value="system">{t("app.languageSystem", { name: systemName || "…" })}</option>
          <option value="en" lang="en">
            {t("app.languageEnglish")}
          </option>
          <option value="fr" lang="fr">
            {t("app.languageFrench")}
          </option>
        </select>
        <label htmlFor="pref-theme">{t("app.theme")}</label>
        <select
          id="pref-theme"
          data-testid="theme"
          value={theme}
          onChange={(e) => void changeTheme(e.target.value as Theme)}
        >
          <option value="system">{t("app.themeSystem")}</option>
          <option value="light">{t("app.themeLight")}</option>
          <option value="dark">{t("app.themeDark")}</option>
        </select>
      </div>
      {problem && (
        <span className="banner error small" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
