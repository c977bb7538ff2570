//! Command-line configuration of the `documents` server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::serve::Limits;

/// Where the documents live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file, created if missing.
    File(PathBuf),
    /// A throwaway in-memory database.
    InMemory,
    /// A PostgreSQL database, by its connection URL (`postgres://…`), shared by any number of
    /// instances.
    Postgres(String),
}

impl std::fmt::Display for Database {
    /// Where the documents live, for the log: a PostgreSQL URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::File(path) => write!(f, "{}", path.display()),
            Database::InMemory => f.write_str("in memory"),
            Database::Postgres(url) => f.write_str(&without_password(url)),
        }
    }
}

/// `url` with the password of its `user:password@` part replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Whether `url` names a PostgreSQL database: the two schemes libpq accepts.
fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The server's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Which database to use.
    pub database: Database,
    /// The timeouts and the connection limit the server applies.
    pub limits: Limits,
    /// The representation generation (see [`axum_conditional::Generation`]): part of every
    /// validator sent, so that a release that renders documents differently never confirms,
    /// nor accepts a write based on, a body of another.
    pub generation: String,
}

/// The generation of this build: its package version (`0.1.0` gives `v0-1-0`). Override it
/// with `--generation ID` or `$DOCUMENTS_GENERATION` when a change of the rendering ships
/// without a change of version (a field added, renamed, formatted otherwise), and keep it when
/// a release changes nothing a client sees, so its clients' copies stay valid.
pub fn build_generation() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION").replace(['.', '+'], "-"))
}

/// The usage text, printed for `--help` and after a bad argument.
pub const USAGE: &str = "\
usage: documents [--addr HOST:PORT] [--db PATH | --in-memory | --database-url URL]

  --addr HOST:PORT      where to listen (default 127.0.0.1:3000)
  --db PATH             SQLite database file (default: $DOCUMENTS_DB, else
                        $XDG_DATA_HOME/axum-conditional/documents.db, else
                        ~/.local/share/axum-conditional/documents.db)
  --in-memory           use a throwaway in-memory SQLite database
  --database-url URL    PostgreSQL, e.g. postgres://user:password@host:5432/db
                        (default: $DATABASE_URL when set; any number of instances
                        may share one database)

  --header-timeout SECS a request head must arrive within this, on a new connection
                        and on an idle kept-alive one (default 10)
  --body-timeout SECS   a request body may send nothing for this long (default 30)
  --max-connections N   connections served at once; more wait in the listen queue
                        (default 512; keep it below `ulimit -n`)
  --generation ID       the representation generation, part of every ETag and
                        Last-Modified sent (default: $DOCUMENTS_GENERATION, else
                        this build's, v<package version>); change it when documents
                        are rendered differently, keep it otherwise

The last of --db, --in-memory and --database-url wins; without any of them,
$DATABASE_URL, then SQLite.";

impl Config {
    /// Reads the arguments (without the program name) and the environment. `Ok(None)` means
    /// `--help` was asked for.
    pub fn from_args(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Config>, String> {
        let mut addr = SocketAddr::from(([127, 0, 0, 1], 3000));
        let mut database = None;
        let mut limits = Limits::DEFAULT;
        let mut generation = None;
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
                "--database-url" => {
                    let url = args
                        .next()
                        .ok_or("--database-url needs a postgres:// URL")?;
                    database = Some(postgres(url, "--database-url")?);
                }
                "--header-timeout" => limits.header_timeout = seconds(&arg, args.next())?,
                "--body-timeout" => limits.body_timeout = seconds(&arg, args.next())?,
                "--max-connections" => {
                    let value = args.next().ok_or("--max-connections needs a number")?;
                    limits.max_connections = value
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or(format!("--max-connections {value}: not a positive integer"))?;
                }
                "--generation" => {
                    generation = Some(args.next().ok_or("--generation needs an ID")?);
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let database = match database {
            Some(database) => database,
            None => match env("DATABASE_URL").filter(|url| !url.is_empty()) {
                Some(url) => postgres(url, "DATABASE_URL")?,
                None => Database::File(default_path(&env)),
            },
        };
        let generation = generation
            .or_else(|| env("DOCUMENTS_GENERATION").filter(|id| !id.is_empty()))
            .unwrap_or_else(build_generation);
        axum_conditional::Generation::new(&generation, std::time::UNIX_EPOCH)
            .map_err(|e| format!("generation {generation:?}: {e}"))?;
        Ok(Some(Config {
            addr,
            database,
            limits,
            generation,
        }))
    }
}

/// The value of `flag`, a positive whole number of seconds.
fn seconds(flag: &str, value: Option<String>) -> Result<Duration, String> {
    let value = value.ok_or(format!("{flag} needs a number of seconds"))?;
    match value.parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(format!("{flag} {value}: not a positive number of seconds")),
    }
}

/// `url` as a PostgreSQL database, or what is wrong with it; `origin` says where it came from.
fn postgres(url: String, origin: &str) -> Result<Database, String> {
    if is_postgres(&url) {
        Ok(Database::Postgres(url))
    } else {
        Err(format!(
            "{origin} {}: not a postgres:// or postgresql:// URL (SQLite is --db PATH)",
            without_password(&url)
        ))
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
        assert_eq!(config.generation, build_generation());
        assert_eq!(config.database, Database::File("/tmp/b.db".into()));
        let config = parse(&["--in-memory", "--addr", "127.0.0.1:0"], &env)
            .unwrap()
            .unwrap();
        assert_eq!(config.database, Database::InMemory);
        assert_eq!(config.addr.port(), 0);
    }

    #[test]
    fn limits_default_and_each_flag_sets_one() {
        let config = parse(&[], &[]).unwrap().unwrap();
        assert_eq!(config.limits, Limits::DEFAULT);
        let args = [
            "--header-timeout",
            "2",
            "--body-timeout",
            "3",
            "--max-connections",
            "64",
        ];
        let limits = parse(&args, &[]).unwrap().unwrap().limits;
        assert_eq!(limits.header_timeout, Duration::from_secs(2));
        assert_eq!(limits.body_timeout, Duration::from_secs(3));
        assert_eq!(limits.max_connections, 64);
        for bad in [
            &["--header-timeout", "0"][..],
            &["--body-timeout", "soon"],
            &["--max-connections", "0"],
            &["--max-connections"],
        ] {
            assert!(parse(bad, &[]).unwrap_err().starts_with(bad[0]), "{bad:?}");
        }
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
        assert!(
            parse(&["--database-url"], &[])
                .unwrap_err()
                .contains("--database-url needs")
        );
    }

    #[test]
    fn database_url_selects_postgres_and_an_explicit_flag_overrides_it() {
        let url = "postgres://app:secret@db.internal:5432/documents";
        let env = [("DATABASE_URL", url), ("DOCUMENTS_DB", "/tmp/a.db")];
        let config = parse(&[], &env).unwrap().unwrap();
        assert_eq!(config.database, Database::Postgres(url.into()));
        let config = parse(&["--db", "/tmp/b.db"], &env).unwrap().unwrap();
        assert_eq!(config.database, Database::File("/tmp/b.db".into()));
        let other = "postgresql://localhost/other";
        let config = parse(&["--in-memory", "--database-url", other], &env)
            .unwrap()
            .unwrap();
        assert_eq!(config.database, Database::Postgres(other.into()));
        // An empty DATABASE_URL is unset, as for DOCUMENTS_DB.
        let config = parse(&[], &[("DATABASE_URL", ""), ("HOME", "/h")])
            .unwrap()
            .unwrap();
        assert!(matches!(config.database, Database::File(_)));
    }

    #[test]
    fn a_database_url_that_is_not_postgres_is_refused_without_its_password() {
        let problem = parse(&["--database-url", "mysql://u:hunter2@h/db"], &[]).unwrap_err();
        assert!(problem.contains("mysql://u:***@h/db"), "{problem}");
        assert!(!problem.contains("hunter2"));
        let problem = parse(&[], &[("DATABASE_URL", "sqlite://x.db")]).unwrap_err();
        assert!(problem.starts_with("DATABASE_URL"), "{problem}");
    }

    #[test]
    fn the_log_shows_a_postgres_url_without_its_password() {
        let database =
            Database::Postgres("postgres://app:s3cr@t@db:5432/docs?sslmode=disable".into());
        assert_eq!(
            database.to_string(),
            "postgres://app:***@db:5432/docs?sslmode=disable"
        );
        let database = Database::Postgres("postgres://app@db/docs".into());
        assert_eq!(database.to_string(), "postgres://app@db/docs");
    }

    #[test]
    fn the_generation_is_the_flag_else_the_environment_else_the_builds() {
        let env = [("DOCUMENTS_GENERATION", "from-env")];
        let config = parse(&["--generation", "r2"], &env).unwrap().unwrap();
        assert_eq!(config.generation, "r2");
        let config = parse(&[], &env).unwrap().unwrap();
        assert_eq!(config.generation, "from-env");
        let config = parse(&[], &[]).unwrap().unwrap();
        assert_eq!(config.generation, build_generation());
        assert!(parse(&["--generation", "a.b"], &[]).is_err());
    }
}
