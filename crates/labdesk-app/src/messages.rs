//! The English of the backend's catalogue messages (`err.…` keys), as the window's catalogue
//! ui/src/i18n/messages/errors.ts has them (tests/error_keys.rs keeps both identical).
//!
//! [`OWN`] are the messages this crate composes: [`crate::error::AppError::msg`] renders them
//! from their key and values, so the English sent always matches the catalogue's.
//! [`LIBRARY`] are the messages of lab-client, lab-jobs and lab-export: each library error says
//! its key and values as data ([`lab_client::Message`]), and its `Display` is the English here.

/// Messages composed here: (key, English with `{placeholders}`).
pub const OWN: &[(&str, &str)] = &[
    // client_errors.rs, error.rs: the lab's answers and the connection
    (
        "err.wrongCredentials",
        "The access id or the secret key is wrong. Check both in the profile and try again.",
    ),
    (
        "err.expired",
        "Your session has expired or your key was revoked. Connect again from the connection screen.",
    ),
    (
        "err.unreachable",
        "Lab Desk could not reach {host}. Check the endpoint address and your network, then try again.",
    ),
    (
        "err.forbidden",
        "Your account is not allowed to do this. Ask the project owner for access.",
    ),
    (
        "err.server",
        "The server had a problem ({detail}). Try again in a moment.",
    ),
    ("err.cancelled", "Cancelled."),
    (
        "err.notConnected",
        "You are not connected. Choose a profile on the connection screen.",
    ),
    // export.rs: the output file
    (
        "err.folderNotWritable",
        "Lab Desk may not write in {path}: the folder is not writable. Choose another folder.",
    ),
    (
        "err.diskFull",
        "The disk is full while writing {path}. Free some space or choose a folder on another disk.",
    ),
    (
        "err.folderGone",
        "The folder of {path} does not exist (any more). Choose another folder.",
    ),
    ("err.isFolder", "{path} is a folder. Give a file name."),
    (
        "err.cannotWrite",
        "Could not write {path}: {detail}. Choose another folder or try again.",
    ),
    (
        "err.exportCancelled",
        "Export cancelled; nothing was written.",
    ),
    (
        "err.nothingToExport",
        "No task matches: nothing to export. Change the filter or the selection.",
    ),
    (
        "err.alreadyExists",
        "{path} already exists. Choose another name, or confirm to replace it.",
    ),
    (
        "err.folderMissing",
        "The folder {folder} does not exist. Choose another folder.",
    ),
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
        "err.formatUnsupported",
        "This project cannot be exported in the {format} format: choose one of the formats the Export dialog offers.",
    ),
    (
        "err.exportOption",
        "An export option is not valid ({detail}): change it in the Export dialog.",
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

/// The libraries' messages (see [`lab_client::Message`]): (key, English with `{placeholders}`),
/// each the `Display` of the error it comes from (tests/error_keys.rs checks every variant).
pub const LIBRARY: &[(&str, &str)] = &[
    // lab-client: answers of the server, local files (lab_client::Error)
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
    (
        "err.uncertainCreate",
        "The creation of \"{name}\" failed and may or may not have happened ({detail}); check the batch before creating it again",
    ),
    // lab-client: input refused before any call (lab_client::Invalid)
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
    ("err.badProjectId", "\"{id}\" is not a valid project id"),
    ("err.badBatchId", "\"{id}\" is not a valid batch id"),
    ("err.badFileId", "\"{id}\" is not a valid file id"),
    ("err.badTaskId", "\"{id}\" is not a valid task id"),
    ("err.noTaskId", "No task id given"),
    ("err.batchWithoutName", "A batch needs a name"),
    (
        "err.badEndpoint",
        "The endpoint \"{endpoint}\" is not a valid URL ({detail}); use e.g. {example}",
    ),
    (
        "err.endpointNotHttp",
        "The endpoint \"{endpoint}\" must start with http:// or https://",
    ),
    ("err.httpClient", "Cannot build the HTTP client: {detail}"),
    ("err.badApiPath", "Bad API path {path}: {detail}"),
    ("err.badResourceUrl", "Bad resource URL {url}: {detail}"),
    ("err.resourceWithoutFileId", "The resource has no file id"),
    (
        "err.cannotPreview",
        "Cannot preview resource {resource}: only URLs and uploaded files can be shown",
    ),
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
        "err.unsupportedImage",
        "{path} is a {format} image, which the lab does not take: convert it to {extensions}, or leave it out",
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
        "err.tasksFileShape",
        "The tasks file is not a list of tasks {name, resources, data, properties, project_configuration_overwrite}: at `{at}`: {detail}",
    ),
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
    (
        "err.namesRepeated",
        "{count} task name(s) appear more than once in your list: {names}. Names must be unique in a batch: rename them.",
    ),
    (
        "err.namesInBatch",
        "{count} task name(s) already exist in the batch: {names}. Skip existing tasks or insert anyway.",
    ),
    (
        "err.taskDataNotObject",
        "Task \"{task}\": data must be an object",
    ),
    (
        "err.verticesWithoutResolution",
        "Task \"{task}\": \"vertices\" are in pixels, so a \"resolution\" {width, height} is needed; or give \"normalizedVertices\"",
    ),
    (
        "err.boundingPolyWithoutVertices",
        "Task \"{task}\": a boundingPoly has neither normalizedVertices nor vertices",
    ),
    (
        "err.noSuchLabel",
        "Task \"{task}\": no label \"{label}\" in the project's main lists",
    ),
    (
        "err.invalidData",
        "Task \"{task}\": invalid data {problems}",
    ),
    (
        "err.invalidKiliData",
        "Task \"{task}\": invalid Kili data {problems}",
    ),
    (
        "err.invalidOverwrite",
        "Task \"{task}\": invalid project_configuration_overwrite {problems}",
    ),
    ("err.taskProblem", "Task \"{task}\": {detail}"),
    (
        "err.formWithoutLayout",
        "This form project has no inputs layout; its task data cannot be checked (use no data check to skip)",
    ),
    (
        "err.noDataSchema",
        "No data schema for {project_type} projects; create the tasks without data check",
    ),
    ("err.badSchema", "Invalid {what} schema: {detail}"),
    (
        "err.kiliForForm",
        "Kili compatibility is not supported for form projects",
    ),
    (
        "err.kiliForSequence",
        "Kili compatibility is not supported for sequence projects",
    ),
    (
        "err.kiliFormWithoutImageInput",
        "This form project has no image tool input; the Kili format needs one",
    ),
    (
        "err.kiliFormWithSeveralImageInputs",
        "This form project has several image tool inputs; the Kili format needs exactly one",
    ),
    (
        "err.kiliNotAvailable",
        "The Kili format is not available for {project_type} projects",
    ),
    (
        "err.propertiesNotObject",
        "Properties must be a JSON object",
    ),
    (
        "err.unknownProperty",
        "Unknown property \"{name}\": only \"score\" and \"custom\" can be set",
    ),
    (
        "err.scoreNotNumber",
        "The score must be a number, not {value}",
    ),
    (
        "err.customNotObject",
        "\"custom\" must be a JSON object, not {value}",
    ),
    (
        "err.nothingToUpdate",
        "Nothing to update: give a score and/or custom properties",
    ),
    (
        "err.nothingToRestore",
        "Nothing to restore: no score and no custom property",
    ),
    (
        "err.propertiesCallSize",
        "A properties call takes 1 to {max} task ids, not {count}",
    ),
    // lab-jobs: task lists and the create table (lab_jobs::Invalid), a problem inside a file
    (
        "err.csvNoTaskLine",
        "The CSV has a header but no task line: add one line per task",
    ),
    ("err.csvHeader", "CSV header (line 1): {detail}"),
    (
        "err.csvNoNameColumn",
        "CSV line 1: no `name` column (columns found: {columns}); the header must be like `name,resource,...`",
    ),
    (
        "err.csvUnnamedColumn",
        "CSV line 1: a column has no name; name every column of the header",
    ),
    (
        "err.csvColumnTwice",
        "CSV line 1: the column `{column}` appears twice (only `resource` may repeat)",
    ),
    (
        "err.csvScoreNotNumber",
        "CSV line {line}, column `score`: \"{value}\" is not a number",
    ),
    (
        "err.csvDataNotJson",
        "CSV line {line}, column `data`: not JSON ({detail}); write the data as a JSON object",
    ),
    (
        "err.csvDataNotObject",
        "CSV line {line}, column `data`: must be a JSON object like {\"annotations\": [...]}",
    ),
    ("err.csvLine", "CSV line {line}: {detail}"),
    (
        "err.imageUndecodable",
        "{path}: cannot decode the image: {detail}",
    ),
    (
        "err.thumbnailNotMade",
        "{path}: cannot make a thumbnail: {detail}",
    ),
    (
        "err.dataSchemaUnusable",
        "The project's data schema is not usable: {detail}",
    ),
    (
        "err.taskUnstorable",
        "Task \"{task}\" cannot be kept in the job journal: {detail}",
    ),
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
    ("err.inFile", "{path}: {detail}"),
    // lab-jobs: what was not found (lab_jobs::Missing), what a job cannot do (lab_jobs::Refused)
    (
        "err.noRow",
        "There is no row {row} in the list (it has {count} rows): reload the files.",
    ),
    (
        "err.noJob",
        "There is no job {id} in the job journal: it may have been deleted.",
    ),
    (
        "err.retryWhileRunning",
        "The job is running: pause it or wait for it to end before retrying failed items",
    ),
    (
        "err.jobCancelled",
        "This job was cancelled: start a new one (or use \"retry failed only\" to reopen it)",
    ),
    (
        "err.damagedEntry",
        "Job {job}, item {item}: damaged journal entry ({detail}); delete the job and create its tasks again",
    ),
    (
        "err.damagedJob",
        "Job {job}: damaged journal entry ({detail}); delete the job and create its tasks again",
    ),
    (
        "err.newerJournal",
        "The job journal {path} was written by a newer Lab Desk (format {version}, this one reads up to {known}): update Lab Desk to see and resume its jobs",
    ),
    // lab-jobs: why an item was left out or not created (lab_jobs::ItemNote)
    (
        "err.nameInBatch",
        "A task with this name is already in the batch",
    ),
    ("err.notCreated", "Not created: the lab gave no reason"),
    (
        "err.inDoubt",
        "The app stopped while this task was being created: it may or may not exist (no duplicate check under \"insert anyway\"); check the batch, then use \"retry failed only\" if it is missing",
    ),
    // lab-jobs: what a walk of a dropped folder left out (lab_jobs::ScanWarning)
    (
        "err.folderUnopenable",
        "{path}: cannot open the folder: {detail}",
    ),
    (
        "err.folderLoop",
        "{path}: not followed, it leads back to {target} (symbolic link loop or folder already listed)",
    ),
    (
        "err.folderUnlistable",
        "{path}: cannot list the folder: {detail}",
    ),
    (
        "err.folderTooDeep",
        "{path}: not opened, it is more than {levels} folder levels deep",
    ),
    // lab-export: output file names (lab_export::BadFileName), a listing that stopped
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
}
