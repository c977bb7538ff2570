//! Command-line configuration of the `documents` server.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the documents live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file, created if missing.
    File(PathBuf),
    /// A throwaway in-memory database.
    InMemory,
}

/// The server's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Which database to use.
    pub database: Database,
}

/// The usage text, printed for `--help` and after a bad argument.
pub const USAGE: &str = "\
usage: documents [--addr HOST:PORT] [--db PATH | --in-memory]

  --addr HOST:PORT  where to listen (default 127.0.0.1:3000)
  --db PATH         SQLite database file (default: $DOCUMENTS_DB, else
                    $XDG_DATA_HOME/axum-conditional/documents.db, else
                    ~/.local/share/axum-conditional/documents.db)
  --in-memory       use a throwaway in-memory database";

impl Config {
    /// Reads the arguments (without the program name) and the environment. `Ok(None)` means
    /// `--help` was asked for.
    pub fn from_args(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Config>, String> {
        let mut addr = SocketAddr::from(([127, 0, 0, 1], 3000));
        let mut database = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--help" | "-h" => return Ok(None),
                "--addr" => {
                    let value = args.next().ok_or("--addr needs HOST:PORT")?;
                    addr = value.parse().map_err(|e| {
                        format!("--addr {value}: {e} (expected e.g. 127.0.0.1:3000)")
                    })?;
                }
                "--db" => {
                    let path = args.next().ok_or("--db needs a file path")?;
                    database = Some(Database::File(path.into()));
                }
                "--in-memory" => database = Some(Database::InMemory),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let database = database.unwrap_or_else(|| Database::File(default_path(&env)));
        Ok(Some(Config { addr, database }))
    }
}

fn default_path(env: &impl Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(path) = env("DOCUMENTS_DB").filter(|p| !p.is_empty()) {
        return path.into();
    }
    let data_home = env("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".local/share")));
    match data_home {
        Some(dir) => dir.join("axum-conditional").join("documents.db"),
        None => PathBuf::from("documents.db"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Option<Config>, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_args(args.iter().map(|s| s.to_string()), |key| {
            env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_to_loopback_port_3000_and_the_data_directory() {
        let config = parse(&[], &[("HOME", "/home/u")]).unwrap().unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            config.database,
            Database::File("/home/u/.local/share/axum-conditional/documents.db".into())
        );
    }

    #[test]
    fn documents_db_overrides_the_data_directory_and_db_overrides_both() {
        let env = [("DOCUMENTS_DB", "/tmp/a.db"), ("XDG_DATA_HOME", "/x")];
        let config = parse(&[], &env).unwrap().unwrap();
        assert_eq!(config.database, Database::File("/tmp/a.db".into()));
        let config = parse(&["--db", "/tmp/b.db"], &env).unwrap().unwrap();
        assert_eq!(config.database, Database::File("/tmp/b.db".into()));
        let config = parse(&["--in-memory", "--addr", "127.0.0.1:0"], &env)
            .unwrap()
            .unwrap();
        assert_eq!(config.database, Database::InMemory);
        assert_eq!(config.addr.port(), 0);
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert!(
            parse(&["--addr", "nowhere"], &[])
                .unwrap_err()
                .contains("--addr nowhere")
        );
        assert!(parse(&["--db"], &[]).unwrap_err().contains("--db needs"));
        assert!(
            parse(&["--verbose"], &[])
                .unwrap_err()
                .contains("--verbose")
        );
        assert_eq!(parse(&["--help"], &[]), Ok(None));
    }
}
