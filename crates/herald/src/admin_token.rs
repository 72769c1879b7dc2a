//! The platform's admin token: given by configuration, or generated once and
//! kept in the data directory (mode 0600).

use std::{fs, io::Write, path::Path};

use anyhow::Context;

use crate::domain::secret::random_token;

/// The file in the data directory that holds a generated admin token.
pub const TOKEN_FILE: &str = "admin-token";

/// Returns the admin token in force, and whether it was generated just now.
pub fn settle(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<(String, bool)> {
    if let Some(token) = configured.map(str::trim).filter(|t| !t.is_empty()) {
        return Ok((token.to_owned(), false));
    }
    let path = data_dir.join(TOKEN_FILE);
    match fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => return Ok((token.trim().to_owned(), false)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("Failed to read {}", path.display())),
    }
    fs::create_dir_all(data_dir).with_context(|| format!("Failed to create {}", data_dir.display()))?;
    let token = random_token("hat_");
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).with_context(|| format!("Failed to create {}", path.display()))?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    Ok((token, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (first, generated) = settle(None, dir.path()).unwrap();
        assert!(generated);
        let (second, generated_again) = settle(None, dir.path()).unwrap();
        assert_eq!(first, second);
        assert!(!generated_again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(TOKEN_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_configured_token_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (token, generated) = settle(Some("s3cret"), dir.path()).unwrap();
        assert_eq!((token.as_str(), generated), ("s3cret", false));
        assert!(!dir.path().join(TOKEN_FILE).exists());
    }
}
