//! `waymark init DIR`: a new site with a small example roadmap, one article
//! and an about page, which builds cleanly as it is.

use std::fs;
use std::path::Path;

use include_dir::{Dir, include_dir};

static EXAMPLE: Dir = include_dir!("$CARGO_MANIFEST_DIR/src/init/site");

pub enum InitError {
    /// The folder is not empty (exit status 2).
    Usage(String),
    Io(String),
}

pub fn init(dir: &Path) -> Result<(), InitError> {
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .map_err(|err| InitError::Usage(format!("cannot use {}: {err}", dir.display())))?
            .next()
            .is_none();
        if !empty {
            return Err(InitError::Usage(format!(
                "{} is not empty; waymark init only creates a site in a new or empty folder",
                dir.display()
            )));
        }
    }
    let io = |err: std::io::Error| InitError::Io(format!("cannot write the new site in {}: {err}", dir.display()));
    write_dir(&EXAMPLE, dir).map_err(io)?;
    // Empty folders for the author's own theme overrides and assets.
    for folder in ["templates", "static"] {
        fs::create_dir_all(dir.join(folder)).map_err(io)?;
    }
    Ok(())
}

fn write_dir(embedded: &Dir, target: &Path) -> std::io::Result<()> {
    fs::create_dir_all(target)?;
    for file in embedded.files() {
        let path = target.join(file.path());
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, file.contents())?;
    }
    for sub in embedded.dirs() {
        write_dir(sub, target)?;
    }
    Ok(())
}
