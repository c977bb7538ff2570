//! Runs inputs through a target's checks without libFuzzer, on stable, with a full backtrace
//! and, for `evaluator`, the decoded input and the request it makes:
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example replay -- <target> <file or dir>...
//! ```
//!
//! `<target>` is `tag_list`, `http_date`, `coding` or `evaluator`. Replaying the seed corpus or a whole
//! working corpus this way is also a quick regression check after a change to the runtime.

use std::path::{Path, PathBuf};
use std::{env, fs, process};

use axum_conditional_fuzz::{
    check_coding, check_evaluator, check_http_date, check_tag_list, decode_evaluator,
};

fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = fs::read_dir(path)
            .expect("read the directory")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_owned()]
    }
}

fn main() {
    let mut args = env::args().skip(1);
    let (Some(target), paths) = (args.next(), args.map(PathBuf::from).collect::<Vec<_>>()) else {
        eprintln!("usage: replay <tag_list|http_date|coding|evaluator> <file or dir>...");
        process::exit(2);
    };
    let verbose = env::var_os("REPLAY_VERBOSE").is_some();
    let mut count = 0;
    for file in paths.iter().flat_map(|path| files(path)) {
        let bytes = fs::read(&file).expect("read the input");
        if verbose {
            eprintln!("{}", file.display());
        }
        match target.as_str() {
            "tag_list" => check_tag_list(&bytes),
            "http_date" => check_http_date(&bytes),
            "coding" => check_coding(&bytes),
            "evaluator" => {
                let Ok(input) = decode_evaluator(&bytes) else {
                    // libFuzzer skips inputs that do not decode, and so does this.
                    continue;
                };
                if verbose {
                    let (request, state, policy, other_fields) = input.to_model();
                    eprintln!(
                        "{input:#?}\n{request:?}state: {state:?}\npolicy: {policy:?}\n\
                         other fields: {other_fields}"
                    );
                }
                check_evaluator(&input);
            }
            other => {
                eprintln!("unknown target {other:?}");
                process::exit(2);
            }
        }
        count += 1;
    }
    println!("{target}: {count} inputs passed");
}
