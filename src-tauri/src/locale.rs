//! The OS language, so that the window starts in the user's language (owner: a11y).
//! WebKitGTK's `navigator.language` does not always follow LANG/LC_*; the OS locale is read here.

/// The OS locale for the window (BCP 47 tag, e.g. "fr-FR").
#[labdesk_macros::command]
pub fn system_locale() -> String {
    os_locale()
}

/// The OS locale as a BCP 47 tag ("fr-FR"), "en-US" when the OS does not say.
pub fn os_locale() -> String {
    sys_locale::get_locale()
        .map(|t| normalize(&t))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "en-US".to_owned())
}

/// A POSIX or BCP 47 locale name as a BCP 47 tag: "fr_FR.UTF-8" → "fr-FR", "de_DE@euro" → "de-DE".
/// "C" and "POSIX" mean no language: "".
pub fn normalize(tag: &str) -> String {
    let base = tag.split(['.', '@']).next().unwrap_or_default().trim();
    if base.eq_ignore_ascii_case("c") || base.eq_ignore_ascii_case("posix") {
        return String::new();
    }
    base.replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_names_become_bcp47_tags() {
        assert_eq!(normalize("fr_FR.UTF-8"), "fr-FR");
        assert_eq!(normalize("de_DE@euro"), "de-DE");
        assert_eq!(normalize("en-GB"), "en-GB");
        assert_eq!(normalize("C.UTF-8"), "");
        assert_eq!(normalize("POSIX"), "");
    }

    #[test]
    fn the_system_locale_is_a_tag() {
        let t = os_locale();
        assert!(!t.is_empty() && !t.contains('_') && !t.contains('.'), "{t}");
    }
}
