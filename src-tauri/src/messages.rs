//! The English of the backend's catalogue messages (`err.…` keys), as the window's catalogue
//! ui/src/i18n/messages/errors.ts has them (tests/error_keys.rs keeps both identical).
//!
//! [`OWN`] are the messages this crate composes: [`crate::error::AppError::msg`] renders them
//! from their key and values, so the English sent always matches the catalogue's.
//! [`LIBRARY`] are fixed sentences of lab-client, lab-jobs and lab-export: the libraries send
//! English text only, so [`recognise`] finds which of these shapes a message has and reads the
//! values of its `{placeholders}` back out of it.

use std::sync::OnceLock;

use regex::Regex;

/// Messages composed here: (key, English with `{placeholders}`).
pub const OWN: &[(&str, &str)] = &[
    // profiles.rs
    ("err.profileNameMissing", "Give the profile a name."),
    (
        "err.endpointNotUrl",
        "The endpoint is not a web address. Write it like https://hub-api.isahit.com/",
    ),
    (
        "err.endpointScheme",
        "The endpoint must start with https:// (or http:// for a server on this computer).",
    ),
    ("err.accessIdMissing", "Enter the access id."),
    ("err.secretKeyMissing", "Enter the secret key."),
    ("err.profileGone", "This profile no longer exists."),
    (
        "err.profileNameTaken",
        "A profile named \"{name}\" already exists. Choose another name.",
    ),
    (
        "err.sandboxProfileReadOnly",
        "The local sandbox profile cannot be edited.",
    ),
    (
        "err.sandboxProfileUndeletable",
        "The local sandbox profile cannot be removed.",
    ),
    // keychain.rs, core.rs
    (
        "err.keychainUnavailable",
        "The system keychain is not available or is locked. Unlock it (or install and start a keychain service such as GNOME Keyring), then try again.",
    ),
    (
        "err.secretNotInKeychain",
        "The secret key for this profile is not in the system keychain. Edit the profile and enter the secret key again.",
    ),
    (
        "err.keychainRefused",
        "The system keychain refused the request: {detail}",
    ),
    // create.rs
    (
        "err.batchNameMissing",
        "Type a name for the new batch, or choose an existing batch.",
    ),
    (
        "err.batchNameInvalid",
        "The batch name is too long or has control characters: shorten it.",
    ),
    (
        "err.fileListGone",
        "This list of files is gone (the app restarted?): add the files again.",
    ),
    (
        "err.nothingDropped",
        "Nothing was dropped: drop image files or folders of images.",
    ),
    (
        "err.noSuchRow",
        "There is no row {row} in the list: reload the files.",
    ),
    ("err.jobRunning", "This job is running: cancel it first."),
    ("err.jobAlreadyRunning", "This job is already running."),
    (
        "err.nothingToRetry",
        "No task failed in this job: nothing to retry.",
    ),
    // activity.rs, settings.rs (the activity log)
    (
        "err.activityNoEntry",
        "There is no activity entry #{entry} (it may have been removed by the history limit).",
    ),
    (
        "err.activityAlreadyUndone",
        "Entry #{entry} was undone already, by entry #{by}. Undo #{by} to put the change back.",
    ),
    (
        "err.activityOtherAccount",
        "Entry #{entry} was made with the access id {accessId}. Connect with a profile that uses it to undo it.",
    ),
    (
        "err.activityNotAConflict",
        "Task {task} is not one of the conflicts of entry #{entry}: look at the undo again.",
    ),
    (
        "err.activityNewerFormat",
        "The activity log {path} was written by a newer Lab Desk. Update Lab Desk to see it.",
    ),
    (
        "err.activityStore",
        "The activity log could not be read or written: {detail}",
    ),
    (
        "err.undoLabCannotReverse",
        "Entry #{entry} cannot be undone: the lab cannot take back a redo or a review. Open these tasks to act on them again.",
    ),
    (
        "err.undoExistingBatch",
        "Entry #{entry} cannot be undone: its tasks were created in a batch that existed before, and the lab can only delete a whole batch.",
    ),
    (
        "err.undoExportWritesFile",
        "Entry #{entry} cannot be undone: an export only wrote a file. Delete the file if you do not want it.",
    ),
    (
        "err.undoDeletion",
        "Entry #{entry} cannot be undone: a deleted batch cannot be brought back.",
    ),
    (
        "err.undoNothingChanged",
        "Entry #{entry} changed nothing: there is nothing to undo.",
    ),
    (
        "err.undoStillRunning",
        "Entry #{entry} has not finished yet: wait for it to end.",
    ),
    (
        "err.undoBatchGone",
        "Entry #{entry} cannot be undone: its batch is no longer in the lab.",
    ),
    (
        "err.undoAllConflicts",
        "Every task of entry #{entry} was changed since. Tick the ones to restore anyway.",
    ),
    (
        "err.retentionInvalid",
        "Keep between 1 and 10240 MB of history, and at least 1 day when a day limit is set.",
    ),
    (
        "err.jobOtherProfile",
        "This job was started with the profile \u{201c}{profile}\u{201d}: connect with it (Profiles…), then resume.",
    ),
    (
        "err.localFileUnreadable",
        "A local file could not be read: {detail}. Check that it still exists and that you may read it.",
    ),
    (
        "err.journalUnwritable",
        "The job journal could not be written ({detail}). Check the free disk space, then try again.",
    ),
    // core.rs
    (
        "err.searchGone",
        "These rows belong to a search that was replaced. Search again to see the tasks.",
    ),
    (
        "err.taskGone",
        "Task {id} is no longer in the lab: it may have been deleted. Search again to refresh the list.",
    ),
    ("err.imageMissing", "No image to show: {reason}."),
    (
        "err.thumbnailFailed",
        "No thumbnail could be made: {reason}",
    ),
    (
        "err.shuttingDown",
        "Lab Desk is closing: nothing more is started.",
    ),
    (
        "err.notAnImage",
        "This resource is not an image Lab Desk can show.",
    ),
    (
        "err.resourceUnreachable",
        "The image could not be loaded: {host} does not answer. The task itself is fine; check the image's address.",
    ),
    (
        "err.nothingToSet",
        "Enter a score or at least one custom property to set.",
    ),
    ("err.nothingToChange", "No task matches: nothing to change."),
    // export.rs
    (
        "err.historyTooNew",
        "The export history {path} was written by a newer Lab Desk. Update Lab Desk, or move the file away to start a new history.",
    ),
    (
        "err.exportGone",
        "This export is no longer in the history. Start a new export.",
    ),
    (
        "err.chooseExportFolder",
        "Choose the folder to export to (\"Choose folder…\").",
    ),
    ("err.exportFileNameMissing", "Give the export a file name."),
    (
        "err.folderMoved",
        "The folder of {path} no longer exists. It may have been moved or deleted.",
    ),
    (
        "err.fileManager",
        "Could not open the file manager ({detail}). The folder is {folder}.",
    ),
    // error.rs, store.rs, settings.rs, views.rs
    (
        "err.localFile",
        "A local file could not be read or written: {detail}",
    ),
    (
        "err.settingsDamaged",
        "The settings file {path} is damaged ({detail}). Move it away and restart Lab Desk.",
    ),
    (
        "err.settingsNotObject",
        "Settings must be sent as an object.",
    ),
    ("err.unknownSetting", "Unknown setting \"{name}\"."),
    ("err.settingInvalid", "This setting is not valid: {detail}"),
    ("err.viewNameMissing", "Give the view a name."),
    // local_sandbox.rs
    (
        "err.sandboxNotStarted",
        "The local sandbox did not start: {detail}",
    ),
    (
        "err.sandboxData",
        "The local sandbox could not open its data in {path}: {detail}",
    ),
    // diagnostics.rs
    (
        "err.logFileUnopenable",
        "The log file could not be opened: {detail}",
    ),
    (
        "err.clipboardUnavailable",
        "The clipboard is not available: {detail}",
    ),
    (
        "err.clipboardFailed",
        "Could not copy to the clipboard: {detail}",
    ),
    (
        "err.endpointUnreachable",
        "Lab Desk could not reach {host}. Check your network, then try again.",
    ),
    // dashboard.rs
    (
        "err.statsCancelled",
        "The project statistics were stopped before the last task was read.",
    ),
    (
        "err.localCopy",
        "The local copy of the project could not be read ({detail}). Open the project again: Lab Desk then reads the lab.",
    ),
];

/// Fixed sentences of the libraries: (key, English with `{placeholders}`), tried in order.
pub const LIBRARY: &[(&str, &str)] = &[
    // lab-client: task filters (TaskFilter::validate)
    (
        "err.badNamePattern",
        "The name pattern \"{pattern}\" is not a valid regular expression ({detail}). Fix it, or escape special characters such as ( [ * + ? with a backslash.",
    ),
    (
        "err.badDateCreatedAfter",
        "The date \"{date}\" (created after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    (
        "err.badDateCreatedFrom",
        "The date \"{date}\" (created at or after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    (
        "err.badDateCreatedBefore",
        "The date \"{date}\" (created before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    (
        "err.badDateCreatedUntil",
        "The date \"{date}\" (created at or before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    (
        "err.badDateUpdatedAfter",
        "The date \"{date}\" (updated after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    (
        "err.badDateUpdatedFrom",
        "The date \"{date}\" (updated at or after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    (
        "err.badDateUpdatedBefore",
        "The date \"{date}\" (updated before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    (
        "err.badDateUpdatedUntil",
        "The date \"{date}\" (updated at or before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19).",
    ),
    // lab-client: answers of the server, local files
    (
        "err.refusedWithCode",
        "isahit lab refused the request ({code}): {detail}",
    ),
    ("err.refused", "isahit lab refused the request: {detail}"),
    ("err.notFound", "Not found: {what}"),
    (
        "err.unexpectedAnswer",
        "Unexpected answer from isahit lab for {what}: {detail}",
    ),
    (
        "err.cannotRead",
        "Cannot read {path}: {detail}. Check that the file exists and is readable.",
    ),
    // lab-client: images and tasks to create
    (
        "err.notRegularFile",
        "{path} is not a regular file (a folder, pipe or device?): give image files or folders of images",
    ),
    (
        "err.emptyFile",
        "{path} is empty (0 bytes): replace it with the real image or leave it out",
    ),
    (
        "err.notImageName",
        "{path} is not an image (expected one of {extensions}): leave it out, or give a tasks file for other resources",
    ),
    (
        "err.notImageContent",
        "{path} has an image name but its content is not an image (damaged or renamed file?): replace it or leave it out",
    ),
    (
        "err.noImageFound",
        "No image found in the given files and folders (images end in {extensions}); check the paths",
    ),
    (
        "err.namesRepeated",
        "{count} task name(s) appear more than once in your list: {names}. Names must be unique in a batch: rename them.",
    ),
    (
        "err.namesInBatch",
        "{count} task name(s) already exist in the batch: {names}. Skip existing tasks or insert anyway.",
    ),
    // lab-jobs: the create table and its jobs
    (
        "err.rowsWithProblems",
        "{count} row(s) have problems ({names}): fix or skip them first",
    ),
    (
        "err.rowNamesInBatch",
        "{count} name(s) already exist in the batch ({names}): rename or skip them, or choose \"skip existing\" or \"insert anyway\"",
    ),
    (
        "err.jobNamesInBatch",
        "{count} task name(s) already exist in the batch ({names}): rename them, or choose \"skip existing\" or \"insert anyway\"",
    ),
    (
        "err.nothingToCreate",
        "Nothing to create: every row is skipped or already in the batch",
    ),
    (
        "err.retryWhileRunning",
        "The job is running: pause it or wait for it to end before retrying failed items",
    ),
    (
        "err.jobCancelled",
        "This job was cancelled: start a new one (or use \"retry failed only\" to reopen it)",
    ),
    // lab-jobs: task lists (CSV or JSON files), their file named first
    (
        "err.csvNoTaskLine",
        "{path}: The CSV has a header but no task line: add one line per task",
    ),
    ("err.csvHeader", "{path}: CSV header (line 1): {detail}"),
    (
        "err.csvNoNameColumn",
        "{path}: CSV line 1: no `name` column (columns found: {columns}); the header must be like `name,resource,...`",
    ),
    (
        "err.csvUnnamedColumn",
        "{path}: CSV line 1: a column has no name; name every column of the header",
    ),
    (
        "err.csvColumnTwice",
        "{path}: CSV line 1: the column `{column}` appears twice (only `resource` may repeat)",
    ),
    (
        "err.csvScoreNotNumber",
        "{path}: CSV line {line}, column `score`: \"{value}\" is not a number",
    ),
    (
        "err.csvDataNotJson",
        "{path}: CSV line {line}, column `data`: not JSON ({detail}); write the data as a JSON object",
    ),
    (
        "err.csvDataNotObject",
        "{path}: CSV line {line}, column `data`: must be a JSON object like {\"annotations\": [...]}",
    ),
    ("err.csvLine", "{path}: CSV line {line}: {detail}"),
    (
        "err.tasksFileShape",
        "{path}: The tasks file is not a list of tasks {name, resources, data, properties, project_configuration_overwrite}: at `{at}`: {detail}",
    ),
    // lab-client: tasks checked before they are created
    ("err.noTaskToCreate", "No task to create"),
    (
        "err.taskWithoutName",
        "Every task needs a name (resources: {resources})",
    ),
    (
        "err.taskNameControl",
        "Task name {name} contains a control character ({character}): remove it (names are shown and exported as text)",
    ),
    (
        "err.taskNameTooLong",
        "Task name \"{start}…\" is {length} characters long: shorten it to at most {max} (names become file names in exports)",
    ),
    (
        "err.resourceNotFile",
        "Task \"{task}\": {resource} is not a file (resources are file paths, http(s) URLs or resource:// references)",
    ),
    (
        "err.resourceEmpty",
        "Task \"{task}\": {resource} is empty (0 bytes): replace it with the real file or leave it out",
    ),
    // lab-export (after export.rs made a sentence of it)
    (
        "err.exportNameEmpty",
        "Output file name \"{name}\" is empty or a folder: give a file name.",
    ),
    (
        "err.exportNameNotPlain",
        "Output file name \"{name}\" must be a plain file name (no folder, \"..\" or leading /): choose the folder with the output folder instead.",
    ),
    (
        "err.exportNameExtension",
        "Output file name \"{name}\" must end with {extension} for the {format} format.",
    ),
    (
        "err.listingStopped",
        "The task listing stopped before the last page because of an internal error ({detail}); nothing was written. Try again; if it happens again, report it with the diagnostics (About, Copy diagnostics).",
    ),
    // last: any other problem of one task (its detail stays in English)
    ("err.taskProblem", "Task \"{task}\": {detail}"),
];

/// The English of `key`.
pub fn english(key: &str) -> Option<&'static str> {
    OWN.iter()
        .chain(LIBRARY)
        .find(|(k, _)| *k == key)
        .map(|(_, t)| *t)
}

/// `template` with each `{name}` replaced by its value (unknown names are left as they are).
pub fn render(template: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let value = close.and_then(|c| {
            params
                .iter()
                .find(|(k, _)| *k == &after[..c])
                .map(|(_, v)| (*v, c))
        });
        match value {
            Some((v, c)) => {
                out.push_str(v);
                rest = &after[c + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A pattern matching the whole of a text rendered from `template`, one group per placeholder.
fn pattern(template: &str) -> Regex {
    let placeholder = Regex::new(r"\{(\w+)\}").expect("placeholder pattern");
    let mut re = String::from("(?s)^");
    let mut last = 0;
    for c in placeholder.captures_iter(template) {
        let m = c.get(0).expect("whole match");
        re.push_str(&regex::escape(&template[last..m.start()]));
        re.push_str(&format!("(?P<{}>.+?)", &c[1]));
        last = m.end();
    }
    re.push_str(&regex::escape(&template[last..]));
    re.push('$');
    Regex::new(&re).expect("a library template makes a valid pattern")
}

/// The key and values of a library's English sentence when it has one of the [`LIBRARY`] shapes.
pub fn recognise(message: &str) -> Option<(&'static str, Vec<(String, String)>)> {
    static PATTERNS: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| LIBRARY.iter().map(|(k, t)| (*k, pattern(t))).collect());
    patterns.iter().find_map(|(key, re)| {
        let c = re.captures(message)?;
        let params = re
            .capture_names()
            .flatten()
            .filter_map(|n| Some((n.to_owned(), c.name(n)?.as_str().to_owned())))
            .collect();
        Some((*key, params))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_the_placeholders_once() {
        assert_eq!(
            render("{a} and {b} ({a}) {c}", &[("a", "x{b}"), ("b", "y")]),
            "x{b} and y (x{b}) {c}"
        );
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = OWN.iter().chain(LIBRARY).map(|(k, _)| *k).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn recognise_reads_the_values_back() {
        let (key, params) =
            recognise("isahit lab refused the request (BATCH_LOCKED): batch is locked").unwrap();
        assert_eq!(key, "err.refusedWithCode");
        assert_eq!(
            params,
            vec![
                ("code".to_owned(), "BATCH_LOCKED".to_owned()),
                ("detail".to_owned(), "batch is locked".to_owned())
            ]
        );
        let (key, _) = recognise("isahit lab refused the request: no (x): y").unwrap();
        assert_eq!(key, "err.refused");
        assert!(recognise("something else entirely").is_none());
    }

    #[test]
    fn every_library_template_recognises_its_own_rendering() {
        let placeholder = Regex::new(r"\{(\w+)\}").unwrap();
        for (key, template) in LIBRARY {
            let names: Vec<String> = placeholder
                .captures_iter(template)
                .map(|c| c[1].to_string())
                .collect();
            let values: Vec<String> = names.iter().map(|n| format!("<{n}>")).collect();
            let params: Vec<(&str, &str)> = names
                .iter()
                .zip(&values)
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let (found, back) = recognise(&render(template, &params)).unwrap();
            assert_eq!(found, *key);
            assert_eq!(back.len(), names.len(), "{key}");
        }
    }
}
