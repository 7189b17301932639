//! Turning task names into file names that stay inside the export folder.

use std::collections::HashSet;

/// Longest file stem kept, in bytes (file systems allow 255 bytes per name; the rest is left
/// for the extension and a de-duplication suffix).
pub const MAX_STEM_BYTES: usize = 200;

/// Makes one path component out of a task name: path separators and control characters become
/// `_`, `.`/`..`/empty names are replaced, and very long names are cut on a char boundary.
/// Names that are already safe come back unchanged (the SDK's own names).
pub fn sanitize_stem(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || (cfg!(windows) && "<>:\"|?*".contains(c))
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    if out.len() > MAX_STEM_BYTES {
        let mut cut = MAX_STEM_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    if out.is_empty() || out == "." || out == ".." {
        out = format!("_{out}");
    }
    out
}

/// Hands out unique, safe file names (compared case-insensitively, so the export also unpacks
/// on case-insensitive file systems) and remembers which task names had to change.
#[derive(Debug, Default)]
pub struct NameAllocator {
    used: HashSet<String>,
    renamed: Vec<(String, String)>,
}

impl NameAllocator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves a name that is not a task's (e.g. `data.yaml`) so no task can take it.
    pub fn reserve(&mut self, file_name: &str) {
        self.used.insert(file_name.to_lowercase());
    }

    /// The file name for `task_name` (`stem` is the task name, possibly with its extension
    /// dropped; `ext` like ".png"). A renaming is recorded when the result differs from
    /// `stem + ext`.
    pub fn allocate(&mut self, task_name: &str, stem: &str, ext: &str) -> String {
        let safe = sanitize_stem(stem);
        let mut candidate = format!("{safe}{ext}");
        let mut n = 2u64;
        while self.used.contains(&candidate.to_lowercase()) {
            candidate = format!("{safe}_{n}{ext}");
            n += 1;
        }
        self.used.insert(candidate.to_lowercase());
        if candidate != format!("{stem}{ext}") {
            self.renamed
                .push((task_name.to_string(), candidate.clone()));
        }
        candidate
    }

    pub fn renamed(&self) -> &[(String, String)] {
        &self.renamed
    }

    pub fn into_renamed(self) -> Vec<(String, String)> {
        self.renamed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_one_component() {
        for hostile in [
            "../../x",
            "a/b",
            "..",
            ".",
            "",
            "a\\b",
            "x\0y",
            "t\u{1b}[2J",
            "/etc/passwd",
        ] {
            let s = sanitize_stem(hostile);
            assert!(!s.is_empty());
            assert!(!s.contains('/') && !s.contains('\\'), "{s}");
            assert!(s != "." && s != "..");
            assert!(!s.chars().any(char::is_control), "{s:?}");
            let p = std::path::Path::new(&s);
            assert_eq!(p.components().count(), 1, "{s}");
            assert!(matches!(
                p.components().next(),
                Some(std::path::Component::Normal(_))
            ));
        }
        assert_eq!(sanitize_stem("../../x"), ".._.._x");
        assert_eq!(sanitize_stem("cat 01.jpg"), "cat 01.jpg");
    }

    #[test]
    fn long_names_are_cut_on_char_boundary() {
        let long = "é".repeat(300);
        let s = sanitize_stem(&long);
        assert!(s.len() <= MAX_STEM_BYTES);
        assert!(s.chars().all(|c| c == 'é'));
    }

    #[test]
    fn duplicates_get_suffixes_and_are_reported() {
        let mut a = NameAllocator::new();
        a.reserve("data.yaml");
        assert_eq!(a.allocate("img.jpg", "img.jpg", ".txt"), "img.jpg.txt");
        assert_eq!(a.allocate("img.jpg", "img.jpg", ".txt"), "img.jpg_2.txt");
        assert_eq!(a.allocate("IMG.jpg", "IMG.jpg", ".txt"), "IMG.jpg_3.txt");
        assert_eq!(a.allocate("a/b", "a/b", ".txt"), "a_b.txt");
        assert_eq!(
            a.renamed(),
            &[
                ("img.jpg".to_string(), "img.jpg_2.txt".to_string()),
                ("IMG.jpg".to_string(), "IMG.jpg_3.txt".to_string()),
                ("a/b".to_string(), "a_b.txt".to_string()),
            ]
        );
    }
}
