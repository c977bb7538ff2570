//! Writes the committed seed corpus, `fuzz/seeds/<target>/`, from the conformance fixture
//! (`tests/fixtures/cases.json`) and a few hand-written inputs:
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example write_seeds
//! ```
//!
//! Every `evaluator` seed is decoded again as the fuzz target decodes it and must give back the
//! fixture's field lines exactly, and every seed of every target passes its check, so the seeds
//! start the fuzzer on meaningful, passing inputs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use axum_conditional::LastModified;
use axum_conditional_fuzz::{
    Base, DateForm, DateText, Encode, EvaluatorInput, IfRangeText, Instant, ListLine, MethodChoice,
    Offset, Opaque, Padding, Piece, StateChoice, TagChoice, check_coding, check_evaluator,
    check_http_date, check_tag_list, decode_evaluator,
};
use axum_conditional_tests::model::IfRangeLine;
use serde_json::Value;

/// Seeds of one target, by content, each with the first name it was given.
#[derive(Default)]
struct Seeds(BTreeMap<Vec<u8>, String>);

impl Seeds {
    fn add(&mut self, name: &str, bytes: impl Into<Vec<u8>>) {
        self.0
            .entry(bytes.into())
            .or_insert_with(|| name.to_owned());
    }

    fn write(&self, dir: &Path) {
        if dir.exists() {
            fs::remove_dir_all(dir).expect("clear the seed directory");
        }
        fs::create_dir_all(dir).expect("create the seed directory");
        for (bytes, name) in &self.0 {
            let name: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            fs::write(dir.join(name), bytes).expect("write a seed");
        }
        println!("{}: {} seeds", dir.display(), self.0.len());
    }
}

/// A fixture header value: one field line, or several.
fn field_lines(value: &Value) -> Vec<String> {
    match value {
        Value::String(line) => vec![line.clone()],
        Value::Array(lines) => lines
            .iter()
            .map(|line| line.as_str().expect("a string field line").to_owned())
            .collect(),
        other => panic!("unexpected header value {other}"),
    }
}

/// One list line as raw pieces, split so that no piece is longer than the generator keeps.
fn raw_list_line(line: &str) -> ListLine {
    ListLine(
        line.as_bytes()
            .chunks(32)
            .map(|chunk| Piece::Bytes(chunk.to_vec()))
            .collect(),
    )
}

fn fixture_input(case: &Value) -> Option<EvaluatorInput> {
    let method = match case["method"].as_str()? {
        "GET" => MethodChoice::Get,
        "HEAD" => MethodChoice::Head,
        "PUT" => MethodChoice::Put,
        "POST" => MethodChoice::Post,
        "PATCH" => MethodChoice::Patch,
        "DELETE" => MethodChoice::Delete,
        "OPTIONS" => MethodChoice::Options,
        _ => return None,
    };
    let resource = &case["resource"];
    let etag = match resource["etag"].as_str() {
        None => TagChoice::None,
        Some(tag) => {
            let (weak, quoted) = match tag.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, tag),
            };
            let opaque = quoted.trim_matches('"').as_bytes().to_vec();
            if weak {
                TagChoice::Weak(Opaque::Bytes(opaque))
            } else {
                TagChoice::Strong(Opaque::Bytes(opaque))
            }
        }
    };
    let last_modified = resource["last_modified"].as_str().map(|date| Instant {
        base: Base::Unix(
            LastModified::parse(date.as_bytes())
                .expect("the fixture's dates are valid")
                .unix_seconds(),
        ),
        offset: Offset::Zero,
    });
    let mut input = EvaluatorInput {
        method,
        state: StateChoice {
            exists: resource["exists"].as_bool().expect("exists"),
            etag,
            last_modified,
            strong_last_modified: false,
        },
        if_match: Vec::new(),
        if_none_match: Vec::new(),
        if_modified_since: Vec::new(),
        if_unmodified_since: Vec::new(),
        if_range: Vec::new(),
        range: false,
        require_precondition: resource["require_precondition"].as_bool().unwrap_or(false),
        weak_if_match: false,
        other_fields: 0,
    };
    let headers = case["request_headers"]
        .as_object()
        .expect("request_headers");
    for (name, value) in headers {
        let lines = field_lines(value);
        let raw_date = |line: &String| DateText::Bytes(line.as_bytes().to_vec());
        match name.to_ascii_lowercase().as_str() {
            "if-match" => input.if_match = lines.iter().map(|l| raw_list_line(l)).collect(),
            "if-none-match" => {
                input.if_none_match = lines.iter().map(|l| raw_list_line(l)).collect();
            }
            "if-modified-since" => input.if_modified_since = lines.iter().map(raw_date).collect(),
            "if-unmodified-since" => {
                input.if_unmodified_since = lines.iter().map(raw_date).collect();
            }
            "if-range" => {
                input.if_range = lines
                    .iter()
                    .map(|line| IfRangeText::Date(raw_date(line)))
                    .collect();
            }
            "range" => input.range = true,
            other => panic!("unexpected field {other}"),
        }
    }
    // The round trip below checks that the generator reproduces the fixture's lines.
    let (request, _, _, _) = input.to_model();
    let texts = |lines: Option<Vec<Vec<u8>>>| lines.unwrap_or_default();
    for (name, value) in headers {
        let want: Vec<Vec<u8>> = field_lines(value)
            .into_iter()
            .map(String::into_bytes)
            .collect();
        let got = match name.to_ascii_lowercase().as_str() {
            "if-match" => texts(request.if_match.clone()),
            "if-none-match" => texts(request.if_none_match.clone()),
            "if-modified-since" => texts(
                request
                    .if_modified_since
                    .clone()
                    .map(|lines| lines.into_iter().map(|line| line.text).collect()),
            ),
            "if-unmodified-since" => texts(
                request
                    .if_unmodified_since
                    .clone()
                    .map(|lines| lines.into_iter().map(|line| line.text).collect()),
            ),
            "if-range" => texts(request.if_range.clone().map(|lines| {
                lines
                    .iter()
                    .map(|line| IfRangeLine::text(line).to_vec())
                    .collect()
            })),
            _ => continue,
        };
        assert_eq!(got, want, "{}: {name}", case["id"]);
    }
    Some(input)
}

/// Hand-written structured inputs: the current tag in every position, dates around the
/// resource's modification date in every format, and the cases the fixture has few of.
fn hand_written() -> Vec<(&'static str, EvaluatorInput)> {
    let at = |base: Base, offset: Offset| Instant { base, offset };
    let existing = StateChoice {
        exists: true,
        etag: TagChoice::Strong(Opaque::V1),
        last_modified: Some(at(Base::Lm2007, Offset::Zero)),
        strong_last_modified: true,
    };
    let base = EvaluatorInput {
        method: MethodChoice::Get,
        state: existing.clone(),
        if_match: Vec::new(),
        if_none_match: Vec::new(),
        if_modified_since: Vec::new(),
        if_unmodified_since: Vec::new(),
        if_range: Vec::new(),
        range: false,
        require_precondition: false,
        weak_if_match: false,
        other_fields: 0,
    };
    let current = |weak| ListLine(vec![Piece::Current { weak }]);
    let date = |form, offset| DateText::Formatted {
        form,
        instant: at(Base::Resource, offset),
        padding: Padding::None,
    };
    vec![
        (
            "hand-inm-current-weak-list",
            EvaluatorInput {
                if_none_match: vec![ListLine(vec![
                    Piece::Tag {
                        weak: false,
                        opaque: Opaque::V2,
                    },
                    Piece::Separator,
                    Piece::Current { weak: true },
                ])],
                ..base.clone()
            },
        ),
        (
            "hand-im-current-put-require",
            EvaluatorInput {
                method: MethodChoice::Put,
                if_match: vec![current(false)],
                require_precondition: true,
                ..base.clone()
            },
        ),
        (
            "hand-im-weak-patch-weak-policy",
            EvaluatorInput {
                method: MethodChoice::Patch,
                state: StateChoice {
                    etag: TagChoice::Weak(Opaque::V1),
                    ..existing.clone()
                },
                if_match: vec![current(true)],
                weak_if_match: true,
                ..base.clone()
            },
        ),
        (
            "hand-im-star-in-list-delete-missing",
            EvaluatorInput {
                method: MethodChoice::Delete,
                state: StateChoice {
                    exists: false,
                    ..existing.clone()
                },
                if_match: vec![ListLine(vec![
                    Piece::Quote,
                    Piece::Star,
                    Piece::Quote,
                    Piece::Separator,
                    Piece::Star,
                ])],
                ..base.clone()
            },
        ),
        (
            "hand-inm-star-two-lines-post",
            EvaluatorInput {
                method: MethodChoice::Post,
                if_none_match: vec![
                    ListLine(vec![
                        Piece::LowercaseWeakPrefix,
                        Piece::Current { weak: false },
                    ]),
                    ListLine(vec![Piece::Space, Piece::Star, Piece::Tab]),
                ],
                require_precondition: true,
                ..base.clone()
            },
        ),
        (
            "hand-ims-three-forms",
            EvaluatorInput {
                if_modified_since: vec![date(DateForm::Rfc850, Offset::Zero)],
                other_fields: 30,
                ..base.clone()
            },
        ),
        (
            "hand-ims-asctime-earlier",
            EvaluatorInput {
                method: MethodChoice::Head,
                if_modified_since: vec![date(DateForm::Asctime, Offset::MinusSecond)],
                ..base.clone()
            },
        ),
        (
            "hand-ius-later-padded-put",
            EvaluatorInput {
                method: MethodChoice::Put,
                if_unmodified_since: vec![DateText::Formatted {
                    form: DateForm::ImfFixdate,
                    instant: at(Base::Resource, Offset::PlusSecond),
                    padding: Padding::Both,
                }],
                require_precondition: true,
                ..base.clone()
            },
        ),
        (
            "hand-ius-edited-weekday",
            EvaluatorInput {
                method: MethodChoice::Put,
                if_unmodified_since: vec![DateText::Edited {
                    form: DateForm::ImfFixdate,
                    instant: at(Base::Resource, Offset::MinusDay),
                    at: 0,
                    byte: b'M',
                }],
                ..base.clone()
            },
        ),
        (
            "hand-ius-joined",
            EvaluatorInput {
                method: MethodChoice::Delete,
                if_unmodified_since: vec![DateText::Joined(
                    DateForm::ImfFixdate,
                    at(Base::Resource, Offset::Zero),
                    DateForm::ImfFixdate,
                    at(Base::Resource, Offset::MinusYear),
                )],
                ..base.clone()
            },
        ),
        (
            "hand-if-range-current-tag",
            EvaluatorInput {
                range: true,
                if_range: vec![IfRangeText::Tag(current(false))],
                ..base.clone()
            },
        ),
        (
            "hand-if-range-date-strong",
            EvaluatorInput {
                range: true,
                if_range: vec![IfRangeText::Date(date(DateForm::ImfFixdate, Offset::Zero))],
                ..base.clone()
            },
        ),
        (
            "hand-if-range-list-like",
            EvaluatorInput {
                range: true,
                if_range: vec![IfRangeText::Tag(ListLine(vec![
                    Piece::Current { weak: false },
                    Piece::Comma,
                ]))],
                ..base.clone()
            },
        ),
        (
            "hand-leap-second-year-9999",
            EvaluatorInput {
                if_modified_since: vec![DateText::Edited {
                    form: DateForm::ImfFixdate,
                    instant: at(Base::Last, Offset::Zero),
                    at: 24,
                    byte: b'0',
                }],
                ..base.clone()
            },
        ),
        (
            "hand-rfc850-fifty-years-on",
            EvaluatorInput {
                if_modified_since: vec![DateText::Formatted {
                    form: DateForm::Rfc850,
                    instant: at(Base::Lm2007, Offset::PlusFiftyYears),
                    padding: Padding::Tab,
                }],
                ..base.clone()
            },
        ),
        (
            "hand-year-zero-asctime",
            EvaluatorInput {
                state: StateChoice {
                    last_modified: Some(at(Base::First, Offset::PlusDay)),
                    ..existing.clone()
                },
                if_modified_since: vec![date(DateForm::Asctime, Offset::Zero)],
                ..base.clone()
            },
        ),
        (
            "hand-options-ignores-all",
            EvaluatorInput {
                method: MethodChoice::Options,
                if_match: vec![current(false)],
                require_precondition: true,
                ..base.clone()
            },
        ),
        (
            "hand-extension-method-require",
            EvaluatorInput {
                method: MethodChoice::Extension,
                state: StateChoice {
                    etag: TagChoice::Strong(Opaque::Bytes(b"caf\xc3\xa9".to_vec())),
                    ..existing.clone()
                },
                if_none_match: vec![ListLine(vec![Piece::Bytes(b"garbage".to_vec())])],
                require_precondition: true,
                ..base.clone()
            },
        ),
        (
            "hand-obs-text-current",
            EvaluatorInput {
                method: MethodChoice::Put,
                state: StateChoice {
                    etag: TagChoice::Strong(Opaque::Bytes(b"caf\xc3\xa9".to_vec())),
                    ..existing
                },
                if_match: vec![current(false)],
                ..base
            },
        ),
    ]
}

/// The seed bytes of `input`, checked to decode back to it as the fuzz target decodes them.
fn encode_checked(name: &str, input: &EvaluatorInput) -> Vec<u8> {
    let mut bytes = Vec::new();
    input.encode(&mut bytes);
    let decoded = decode_evaluator(&bytes).expect("a seed decodes");
    assert_eq!(&decoded, input, "{name}: the encoding does not round-trip");
    bytes
}

fn main() {
    let fuzz_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixture = fuzz_dir.join("../tests/fixtures/cases.json");
    let fixture: Value =
        serde_json::from_str(&fs::read_to_string(&fixture).expect("read the conformance fixture"))
            .expect("the fixture is JSON");
    let cases = fixture["cases"].as_array().expect("cases");

    let mut tag_list = Seeds::default();
    let mut http_date = Seeds::default();
    let mut evaluator = Seeds::default();

    for case in cases {
        let id = case["id"].as_str().expect("id");
        let headers = case["request_headers"]
            .as_object()
            .expect("request_headers");
        for (name, value) in headers {
            for (i, line) in field_lines(value).iter().enumerate() {
                let name = format!("{id}-{}-{i}", name.to_ascii_lowercase());
                match name.as_str() {
                    n if n.contains("-if-match-") || n.contains("-if-none-match-") => {
                        tag_list.add(&name, line.as_bytes());
                    }
                    n if n.contains("-since-") => http_date.add(&name, line.as_bytes()),
                    n if n.contains("-if-range-") => {
                        if line.contains('"') {
                            tag_list.add(&name, line.as_bytes());
                        } else {
                            http_date.add(&name, line.as_bytes());
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(date) = case["resource"]["last_modified"].as_str() {
            http_date.add(&format!("{id}-last-modified"), date.as_bytes());
        }
        if let Some(input) = fixture_input(case) {
            evaluator.add(id, encode_checked(id, &input));
        }
    }

    let lists: &[&[u8]] = &[
        b"",
        b"  ,, ,\t",
        b"*",
        b" * ",
        br#""a,b", "c""#,
        br#"W/"a", "b", w/"c""#,
        br#""x", *"#,
        b"\"\\\"",
        b"\"caf\xc3\xa9\"",
        br#""spaced etag", "v1""#,
        br#""unterminated, "v1""#,
        br#""a"b, "c""#,
        b"*x, \"c\"",
        b"\"a\x01\", \"b\"",
        br#"W/v1, W/"", """"#,
    ];
    for (i, line) in lists.iter().enumerate() {
        tag_list.add(&format!("hand-{i:02}"), *line);
    }
    let dates: &[&str] = &[
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 16 08:49:37 1994",
        "Sat, 01 Jan 0000 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Fri, 31 Dec 9999 23:59:60 GMT",
        "Tue, 29 Feb 2000 00:00:00 GMT",
        "Wednesday, 31-Dec-76 23:59:59 GMT",
        "Thursday, 01-Jan-76 00:00:00 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT",
        "sun, 06 nov 1994 08:49:37 gmt",
        " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "1994-11-06T08:49:37Z",
    ];
    for (i, date) in dates.iter().enumerate() {
        http_date.add(&format!("hand-{i:02}"), date.as_bytes());
    }
    for (name, input) in hand_written() {
        evaluator.add(name, encode_checked(name, &input));
    }

    for bytes in tag_list.0.keys() {
        check_tag_list(bytes);
    }
    for bytes in http_date.0.keys() {
        check_http_date(bytes);
    }
    for bytes in evaluator.0.keys() {
        check_evaluator(&decode_evaluator(bytes).expect("a seed decodes"));
    }
    let coding = coding_seeds();
    for bytes in coding.0.keys() {
        check_coding(bytes);
    }

    let seeds = fuzz_dir.join("seeds");
    tag_list.write(&seeds.join("tag_list"));
    http_date.write(&seeds.join("http_date"));
    evaluator.write(&seeds.join("evaluator"));
    coding.write(&seeds.join("coding"));
}

/// The `coding` seeds: `[enabled codings, version, If-None-Match, 0x00, Accept-Encoding]`, one
/// per rule of the negotiation and of the selected tag.
fn coding_seeds() -> Seeds {
    let all = 0b1111;
    let gzip_only = 0b0001;
    let cases: &[(&str, u8, u8, &str, Option<&str>)] = &[
        ("identity-no-field", all, 7, r#""7""#, None),
        ("gzip-coded-tag", all, 7, r#""7~gzip""#, Some("gzip")),
        ("gzip-identity-tag", all, 7, r#""7""#, Some("gzip")),
        (
            "browser-zstd",
            all,
            7,
            r#""7~zstd""#,
            Some("gzip, deflate, br, zstd"),
        ),
        ("switched-encoding", all, 7, r#""7~br""#, Some("gzip")),
        ("identity-excluded", all, 7, r#""7""#, Some("identity;q=0")),
        ("star-q0", all, 7, r#""7""#, Some("*;q=0")),
        (
            "q-order",
            all,
            7,
            r#""7~gzip""#,
            Some("gzip;q=0.9, br;q=0.8"),
        ),
        ("wildcard", all, 7, r#""7~zstd""#, Some("*")),
        ("not-enabled", gzip_only, 7, r#""7""#, Some("br")),
        ("weak-member", all, 7, r#"W/"7~gzip""#, Some("gzip")),
        ("star-alone", all, 7, "*", Some("gzip")),
        ("star-in-list", all, 7, r#""1", *"#, Some("gzip")),
        ("stale", all, 7, r#""6~gzip", "6""#, Some("gzip")),
        (
            "malformed-q",
            all,
            7,
            r#""7""#,
            Some("gzip;q=2, br;q=0.5.1, zstd; q=1"),
        ),
        (
            "many",
            all,
            9,
            r#""9~br", "9~gzip""#,
            Some("br;q=0, zstd;q=0, deflate;q=0, gzip, br;q=0"),
        ),
        ("x-gzip", all, 3, r#""3~gzip""#, Some("x-gzip")),
    ];
    let mut seeds = Seeds::default();
    for (name, enabled, version, inm, accept) in cases {
        let mut bytes = vec![*enabled, *version];
        bytes.extend_from_slice(inm.as_bytes());
        if let Some(accept) = accept {
            bytes.push(0);
            bytes.extend_from_slice(accept.as_bytes());
        }
        seeds.add(name, bytes);
    }
    seeds
}
