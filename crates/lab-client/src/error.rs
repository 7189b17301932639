//! Typed errors with plain messages; the UI receives them as `{kind, message}` plus, when the
//! error is one of the catalogue's, its [`Message`] (a key and the values of its placeholders)
//! so a window shows it in its user's language. `Display` is the English (what `lab` prints).

use serde::{Serialize, Serializer};

pub use crate::message::Message;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The category of an error, what the UI switches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorKind {
    /// Wrong or missing credentials.
    Auth,
    /// The account may not do this.
    Forbidden,
    /// The project, batch or task does not exist.
    NotFound,
    /// The server refused the request (400).
    BadRequest,
    /// The input is invalid (checked before any call).
    Validation,
    /// The server failed (5xx).
    Server,
    /// Too many requests, even after waiting.
    RateLimited,
    /// The server cannot be reached.
    Offline,
    /// The server did not answer in time.
    Timeout,
    /// The server answered something unexpected.
    Decode,
    /// The job was cancelled.
    Cancelled,
    /// A local file could not be read or written.
    Io,
}

/// What the UI shows for an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorInfo {
    /// Category.
    pub kind: ErrorKind,
    /// Plain-language message (English).
    pub message: String,
    /// The same message as a catalogue key and values, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub catalogue: Option<Message>,
}

impl ErrorInfo {
    /// An error with an English message only.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            catalogue: None,
        }
    }
}

/// Why signing in failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// No access id or secret key given.
    #[error("You need to provide an access id and its associated secret key to connect.")]
    NoCredentials,
    /// The login call was refused.
    #[error("Connection to isahit lab failed. Check your access id and secret key.")]
    LoginRefused,
    /// The login call answered something else than 201/200.
    #[error("Login answered {status} instead of 201: {body}")]
    LoginStatus {
        /// HTTP status line.
        status: String,
        /// Excerpt of the body.
        body: String,
    },
    /// A call was refused with 401.
    #[error("isahit lab refused the credentials (401). Check your access id and secret key.")]
    CredentialsRefused,
}

/// Input refused before any call, one variant per problem. Each serialises as
/// `{"key": "<variant in camelCase>", "params": {field: value}}`: its catalogue key is
/// `err.<variant in camelCase>` and its fields fill the `{placeholders}` of that message, whose
/// English is the `Display` below (src-tauri/src/messages.rs keeps the catalogue's copy and
/// tests that both agree).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "key", content = "params", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Invalid {
    // task filters
    #[error(
        "The name pattern \"{pattern}\" is not a valid regular expression ({detail}). Fix it, or escape special characters such as ( [ * + ? with a backslash."
    )]
    BadNamePattern { pattern: String, detail: String },
    #[error(
        "The date \"{date}\" (created after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateCreatedAfter { date: String },
    #[error(
        "The date \"{date}\" (created at or after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateCreatedFrom { date: String },
    #[error(
        "The date \"{date}\" (created before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateCreatedBefore { date: String },
    #[error(
        "The date \"{date}\" (created at or before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateCreatedUntil { date: String },
    #[error(
        "The date \"{date}\" (updated after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateUpdatedAfter { date: String },
    #[error(
        "The date \"{date}\" (updated at or after) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateUpdatedFrom { date: String },
    #[error(
        "The date \"{date}\" (updated before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateUpdatedBefore { date: String },
    #[error(
        "The date \"{date}\" (updated at or before) is not a valid date: write it as YYYY-MM-DD HH:MM:SS, e.g. 2022-09-19 08:30:00 (or just 2022-09-19)."
    )]
    BadDateUpdatedUntil { date: String },

    // ids, names, the endpoint
    #[error("\"{id}\" is not a valid project id")]
    BadProjectId { id: String },
    #[error("\"{id}\" is not a valid batch id")]
    BadBatchId { id: String },
    #[error("\"{id}\" is not a valid file id")]
    BadFileId { id: String },
    #[error("\"{id}\" is not a valid task id")]
    BadTaskId { id: String },
    #[error("No task id given")]
    NoTaskId,
    #[error("A batch needs a name")]
    BatchWithoutName,
    #[error("The endpoint \"{endpoint}\" is not a valid URL ({detail}); use e.g. {example}")]
    BadEndpoint {
        endpoint: String,
        detail: String,
        example: String,
    },
    #[error("The endpoint \"{endpoint}\" must start with http:// or https://")]
    EndpointNotHttp { endpoint: String },
    #[error("Cannot build the HTTP client: {detail}")]
    HttpClient { detail: String },
    #[error("Bad API path {path}: {detail}")]
    BadApiPath { path: String, detail: String },
    #[error("Bad resource URL {url}: {detail}")]
    BadResourceUrl { url: String, detail: String },
    #[error("The resource has no file id")]
    ResourceWithoutFileId,
    #[error("Cannot preview resource {resource}: only URLs and uploaded files can be shown")]
    CannotPreview { resource: String },

    // images and task lists to create tasks from
    #[error(
        "{path} is not a regular file (a folder, pipe or device?): give image files or folders of images"
    )]
    NotRegularFile { path: String },
    #[error("{path} is empty (0 bytes): replace it with the real image or leave it out")]
    EmptyFile { path: String },
    #[error(
        "{path} is not an image (expected one of {extensions}): leave it out, or give a tasks file for other resources"
    )]
    NotImageName { path: String, extensions: String },
    #[error(
        "{path} is a {format} image, which the lab does not take: convert it to {extensions}, or leave it out"
    )]
    UnsupportedImage {
        path: String,
        format: String,
        extensions: String,
    },
    #[error(
        "{path} has an image name but its content is not an image (damaged or renamed file?): replace it or leave it out"
    )]
    NotImageContent { path: String },
    #[error(
        "No image found in the given files and folders (images end in {extensions}); check the paths"
    )]
    NoImageFound { extensions: String },
    #[error(
        "The tasks file is not a list of tasks {{name, resources, data, properties, project_configuration_overwrite}}: at `{at}`: {detail}"
    )]
    TasksFileShape { at: String, detail: String },

    // tasks checked before they are created
    #[error("No task to create")]
    NoTaskToCreate,
    #[error("Every task needs a name (resources: {resources})")]
    TaskWithoutName { resources: String },
    #[error(
        "Task name {name} contains a control character ({character}): remove it (names are shown and exported as text)"
    )]
    TaskNameControl { name: String, character: String },
    #[error(
        "Task name \"{start}…\" is {length} characters long: shorten it to at most {max} (names become file names in exports)"
    )]
    TaskNameTooLong {
        start: String,
        length: usize,
        max: usize,
    },
    #[error(
        "Task \"{task}\": {resource} is not a file (resources are file paths, http(s) URLs or resource:// references)"
    )]
    ResourceNotFile { task: String, resource: String },
    #[error(
        "Task \"{task}\": {resource} is empty (0 bytes): replace it with the real file or leave it out"
    )]
    ResourceEmpty { task: String, resource: String },
    #[error(
        "{count} task name(s) appear more than once in your list: {names}. Names must be unique in a batch: rename them."
    )]
    NamesRepeated { count: usize, names: String },
    #[error(
        "{count} task name(s) already exist in the batch: {names}. Skip existing tasks or insert anyway."
    )]
    NamesInBatch { count: usize, names: String },
    #[error("Task \"{task}\": data must be an object")]
    TaskDataNotObject { task: String },
    #[error(
        "Task \"{task}\": \"vertices\" are in pixels, so a \"resolution\" {{width, height}} is needed; or give \"normalizedVertices\""
    )]
    VerticesWithoutResolution { task: String },
    #[error("Task \"{task}\": a boundingPoly has neither normalizedVertices nor vertices")]
    BoundingPolyWithoutVertices { task: String },
    #[error("Task \"{task}\": no label \"{label}\" in the project's main lists")]
    NoSuchLabel { task: String, label: String },
    #[error("Task \"{task}\": invalid data {problems}")]
    InvalidData { task: String, problems: String },
    #[error("Task \"{task}\": invalid Kili data {problems}")]
    InvalidKiliData { task: String, problems: String },
    #[error("Task \"{task}\": invalid project_configuration_overwrite {problems}")]
    InvalidOverwrite { task: String, problems: String },
    /// Another problem of one task.
    #[error("Task \"{task}\": {detail}")]
    TaskProblem { task: String, detail: Box<Invalid> },

    // data schemas and the Kili format
    #[error(
        "This form project has no inputs layout; its task data cannot be checked (use no data check to skip)"
    )]
    FormWithoutLayout,
    #[error("No data schema for {project_type} projects; create the tasks without data check")]
    NoDataSchema { project_type: String },
    #[error("Invalid {what} schema: {detail}")]
    BadSchema { what: String, detail: String },
    #[error("Kili compatibility is not supported for form projects")]
    KiliForForm,
    #[error("Kili compatibility is not supported for sequence projects")]
    KiliForSequence,
    #[error("This form project has no image tool input; the Kili format needs one")]
    KiliFormWithoutImageInput,
    #[error("This form project has several image tool inputs; the Kili format needs exactly one")]
    KiliFormWithSeveralImageInputs,
    #[error("The Kili format is not available for {project_type} projects")]
    KiliNotAvailable { project_type: String },

    // properties
    #[error("Properties must be a JSON object")]
    PropertiesNotObject,
    #[error("Unknown property \"{name}\": only \"score\" and \"custom\" can be set")]
    UnknownProperty { name: String },
    #[error("The score must be a number, not {value}")]
    ScoreNotNumber { value: String },
    #[error("\"custom\" must be a JSON object, not {value}")]
    CustomNotObject { value: String },
    #[error("Nothing to update: give a score and/or custom properties")]
    NothingToUpdate,
    #[error("Nothing to restore: no score and no custom property")]
    NothingToRestore,
    #[error("A properties call takes 1 to {max} task ids, not {count}")]
    PropertiesCallSize { max: usize, count: usize },
}

impl Invalid {
    /// Its catalogue key and values.
    pub fn message(&self) -> Message {
        Message::of(self)
    }

    /// `e` about task `task`: an input problem becomes [`Invalid::TaskProblem`].
    pub fn in_task(task: &str, e: Error) -> Error {
        match e {
            Error::Validation(i) => Error::Validation(Invalid::TaskProblem {
                task: task.to_owned(),
                detail: Box::new(i),
            }),
            e => e,
        }
    }
}

impl From<Invalid> for Error {
    fn from(i: Invalid) -> Self {
        Error::Validation(i)
    }
}

/// Errors of the lab client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Credentials refused or missing.
    #[error("{0}")]
    Auth(AuthFailure),
    /// 403.
    #[error("Access refused by isahit lab: {0}")]
    Forbidden(String),
    /// 404 or missing item.
    #[error("Not found: {0}")]
    NotFound(String),
    /// 400 with optional `errorCode`.
    #[error("{}", bad_request_message(.code.as_deref(), .message))]
    BadRequest {
        /// `errorCode` of the answer, if any.
        code: Option<String>,
        /// Message of the answer.
        message: String,
    },
    /// Local validation failure.
    #[error("{0}")]
    Validation(Invalid),
    /// 5xx or unexpected status.
    #[error(
        "isahit lab server error ({status}): {message}. Try again in a moment; if it keeps failing, check the endpoint or contact isahit lab support."
    )]
    Server {
        /// HTTP status.
        status: u16,
        /// Body excerpt.
        message: String,
    },
    /// A create failed in a way that leaves its effect unknown (it may have happened).
    #[error(
        "The creation of \"{name}\" failed and may or may not have happened ({detail}); check the batch before creating it again"
    )]
    Uncertain {
        /// The task's name.
        name: String,
        /// The failure.
        detail: String,
    },
    /// 429 after all retries.
    #[error("isahit lab is rate limiting requests; try again in a moment")]
    RateLimited,
    /// Connection failure.
    #[error(
        "Cannot reach isahit lab at {endpoint}: {message}. Check the endpoint and your network."
    )]
    Offline {
        /// Endpoint.
        endpoint: String,
        /// Underlying failure.
        message: String,
    },
    /// Request timed out.
    #[error("isahit lab did not answer in time ({0})")]
    Timeout(String),
    /// Unexpected answer.
    #[error("Unexpected answer from isahit lab for {what}: {message}")]
    Decode {
        /// Which call.
        what: String,
        /// Includes the JSON path when known.
        message: String,
    },
    /// Cancelled by the user.
    #[error("Cancelled")]
    Cancelled,
    /// Local file error.
    #[error("Cannot read {path}: {source}. Check that the file exists and is readable.")]
    Io {
        /// File concerned.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

fn bad_request_message(code: Option<&str>, message: &str) -> String {
    match code {
        Some(code) => format!("isahit lab refused the request ({code}): {message}"),
        None => format!("isahit lab refused the request: {message}"),
    }
}

impl Error {
    /// Category of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Auth(_) => ErrorKind::Auth,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::BadRequest { .. } => ErrorKind::BadRequest,
            Error::Validation(_) => ErrorKind::Validation,
            Error::Server { .. } | Error::Uncertain { .. } => ErrorKind::Server,
            Error::RateLimited => ErrorKind::RateLimited,
            Error::Offline { .. } => ErrorKind::Offline,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// `{kind, message}` for the UI, with the catalogue message when there is one.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            kind: self.kind(),
            message: self.to_string(),
            catalogue: self.message(),
        }
    }

    /// The error as a catalogue message (key and values), for those the catalogue has: input
    /// problems, refusals and unexpected answers of the lab, local files. Sign-in, network and
    /// server failures have none: a window words them itself from [`Error::kind`].
    pub fn message(&self) -> Option<Message> {
        Some(match self {
            Error::Validation(i) => i.message(),
            Error::NotFound(what) => Message::new("err.notFound").with("what", what),
            Error::BadRequest {
                code: Some(code),
                message,
            } => Message::new("err.refusedWithCode")
                .with("code", code)
                .with("detail", message),
            Error::BadRequest {
                code: None,
                message,
            } => Message::new("err.refused").with("detail", message),
            Error::Decode { what, message } => Message::new("err.unexpectedAnswer")
                .with("what", what)
                .with("detail", message),
            Error::Io { path, source } => Message::new("err.cannotRead")
                .with("path", path)
                .with("detail", source),
            Error::Uncertain { name, detail } => Message::new("err.uncertainCreate")
                .with("name", name)
                .with("detail", detail),
            Error::Auth(_)
            | Error::Forbidden(_)
            | Error::Server { .. }
            | Error::RateLimited
            | Error::Offline { .. }
            | Error::Timeout(_)
            | Error::Cancelled => return None,
        })
    }

    /// The `errorCode` of a 400 answer.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Error::BadRequest { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether a failed call may have been processed by the server (outcome unknown).
    pub(crate) fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            Error::Server { .. } | Error::Timeout(_) | Error::Offline { .. }
        )
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.info().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_kind_and_message() {
        let e = Error::BadRequest {
            code: Some("BATCH_LOCKED".into()),
            message: "batch is locked".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "badRequest");
        assert_eq!(
            v["message"],
            "isahit lab refused the request (BATCH_LOCKED): batch is locked"
        );
        assert_eq!(e.error_code(), Some("BATCH_LOCKED"));
    }

    #[test]
    fn kinds_match_variants() {
        assert_eq!(Error::RateLimited.kind(), ErrorKind::RateLimited);
        assert_eq!(Error::Cancelled.kind(), ErrorKind::Cancelled);
        assert!(
            Error::Server {
                status: 502,
                message: String::new()
            }
            .is_ambiguous()
        );
        assert!(!Error::NotFound("x".into()).is_ambiguous());
    }
}
