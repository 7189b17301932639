//! Small JSON files in the app's config dir, written atomically (temp file + rename).

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult, ErrorKind};

/// Reads `path` as JSON, or the default when the file does not exist yet.
pub fn read_json<T: DeserializeOwned + Default>(path: &Path) -> AppResult<T> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            AppError::msg(
                ErrorKind::Internal,
                "err.settingsDamaged",
                &[
                    ("path", &path.display().to_string()),
                    ("detail", &e.to_string()),
                ],
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e.into()),
    }
}

/// Writes `value` to `path` so a crash never leaves a half-written file.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> AppResult<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| AppError::internal(format!("could not encode settings: {e}")))?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
