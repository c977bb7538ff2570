//! The evaluator against a reference model written straight from RFC 9110 §13.2.2's precedence
//! list, on random requests.
//!
//! The model lives in the tests crate's library (`axum_conditional_tests::model`), shared with the
//! `evaluator` fuzz target. It shares no code with the runtime: it splits lists with its own
//! naive quote-aware splitter, and here it knows what each generated date means because the
//! generator made it (the header only carries the date's text). It implements the same
//! documented rules as `evaluate`, including the choices the RFC leaves open (listed on
//! `evaluate`'s rustdoc).

use axum_conditional::{
    ConditionHeader, LastModified, Outcome, Policy, Preconditions, RangeDecision, evaluate,
};
use axum_conditional_tests::model::{
    CurrentTag, DateLine, IfRangeLine, ModelMember, Request, State, Verdict, asctime, imf_fixdate,
    members, model, rfc850,
};
use http::Method;
use proptest::prelude::*;
use proptest::sample::select;

/// The resource's modification time when it has one: `Sun, 21 Oct 2007 23:21:47 GMT`.
const LM: i64 = 1_193_008_907;

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn method() -> impl Strategy<Value = Method> {
    select(vec![
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::POST,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ])
}

/// One list member: the current tag (`"v1"`) in both strengths, other tags, tags that differ
/// only by case, the empty tag, a quoted star, and malformed members.
const MEMBERS: &[&str] = &[
    "\"v1\"",
    "W/\"v1\"",
    "\"v2\"",
    "W/\"v2\"",
    "\"V1\"",
    "\"\"",
    "\"*\"",
    "\"a,b\"",
    "*",
    "v1",
    "w/\"v1\"",
    "\"unterminated",
    "\"spaced tag\"",
    "W/v1",
];

/// Whole field lines that are worth trying as they are.
const WHOLE_LINES: &[&str] = &["", "*", " * ", "\"x\", *", ", ,", " \"v1\" ,", "\t\"v1\"\t"];

fn list_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        select(WHOLE_LINES).prop_map(|line| line.as_bytes().to_vec()),
        prop::collection::vec(select(MEMBERS), 1..=3)
            .prop_map(|members| members.join(", ").into_bytes()),
    ]
}

fn list_field() -> impl Strategy<Value = Option<Vec<Vec<u8>>>> {
    prop::option::weighted(0.6, prop::collection::vec(list_line(), 1..=2))
}

/// A date relative to [`LM`] in one of the three HTTP-date forms, or an invalid one.
fn date_line() -> impl Strategy<Value = DateLine> {
    let offsets = select(vec![0, -1, 1, -86_400 * 400, 86_400 * 400]);
    let valid = (offsets, 0..4u8).prop_map(|(offset, form)| {
        let secs = LM + offset;
        let text = match form {
            0 => imf_fixdate(secs),
            1 => rfc850(secs),
            2 => asctime(secs),
            // Optional whitespace around a field value is not part of it (RFC 9110 §5.5).
            _ => format!(" {}\t", imf_fixdate(secs)),
        };
        DateLine {
            text: text.into_bytes(),
            meaning: Some(secs),
        }
    });
    // 2100 only as IMF-fixdate: RFC 850's two-digit year would mean something else.
    let future = Just(DateLine {
        text: b"Fri, 01 Jan 2100 00:00:00 GMT".to_vec(),
        meaning: Some(4_102_444_800),
    });
    let invalid = select(vec![
        "sun, 21 oct 2007 23:21:47 gmt".to_owned(),
        "Mon, 21 Oct 2007 23:21:47 GMT".to_owned(),
        "Sun, 21 Oct 2007 23:21:47 +0000".to_owned(),
        "2007-10-21T23:21:47Z".to_owned(),
        "Sun, 21 Oct 2007 23:21:47 GMT, Sun, 21 Oct 2007 23:21:47 GMT".to_owned(),
        "1193008907".to_owned(),
        String::new(),
    ])
    .prop_map(|text| DateLine {
        text: text.into_bytes(),
        meaning: None,
    });
    prop_oneof![6 => valid, 1 => future, 2 => invalid]
}

fn date_field() -> impl Strategy<Value = Option<Vec<DateLine>>> {
    prop::option::weighted(0.4, prop::collection::vec(date_line(), 1..=2))
}

fn if_range_line() -> impl Strategy<Value = IfRangeLine> {
    // Not here: list-like values around one matching tag (`"v1",`, `, "v1"`), which the runtime
    // currently honours; `if_range_that_is_not_exactly_one_entity_tag_never_honours_the_range`
    // pins them on their own.
    prop_oneof![
        select(vec![
            "\"v1\"",
            "W/\"v1\"",
            "\"v2\"",
            "\"\"",
            "\"v1\", \"v1\"",
            "\"v1"
        ])
        .prop_map(|text| IfRangeLine::Tag(text.as_bytes().to_vec())),
        date_line().prop_map(IfRangeLine::Date),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    (
        method(),
        list_field(),
        list_field(),
        date_field(),
        date_field(),
        any::<bool>(),
        prop::option::weighted(0.5, prop::collection::vec(if_range_line(), 1..=2)),
    )
        .prop_map(
            |(method, if_match, if_none_match, ims, ius, range, if_range)| Request {
                method,
                if_match,
                if_none_match,
                if_modified_since: ims,
                if_unmodified_since: ius,
                range,
                if_range,
            },
        )
}

fn state() -> impl Strategy<Value = State> {
    let etag = prop_oneof![
        Just(CurrentTag::None),
        select(vec!["v1", ""]).prop_map(|opaque| CurrentTag::Strong(opaque.as_bytes().to_vec())),
        select(vec!["v1", ""]).prop_map(|opaque| CurrentTag::Weak(opaque.as_bytes().to_vec())),
    ];
    (any::<bool>(), etag, any::<bool>(), any::<bool>()).prop_map(
        |(exists, etag, last_modified, strong_last_modified)| {
            if exists {
                State {
                    exists,
                    etag,
                    last_modified: last_modified.then_some(LM),
                    strong_last_modified,
                }
            } else {
                // A resource without a current representation has no validators.
                State::missing()
            }
        },
    )
}

fn policy() -> impl Strategy<Value = Policy> {
    (any::<bool>(), any::<bool>(), any::<Option<bool>>()).prop_map(|(require, weak, creates)| {
        let policy = Policy::new()
            .require_precondition(require)
            .weak_if_match(weak);
        match creates {
            Some(creates) => policy.creates(creates),
            None => policy,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn evaluate_agrees_with_the_rfc_9110_precedence_model(
        request in request(),
        state in state(),
        policy in policy(),
    ) {
        let expected = model(&request, &state, policy);
        let headers = request.headers();
        let resource = state.resource();
        let outcome = evaluate(&request.method, &headers, resource.clone(), policy).outcome();
        prop_assert_eq!(Verdict::of(outcome), expected.clone(), "state {:?}", state);
        // The extractor must not see anything different.
        let via_conditions =
            Preconditions::new(&request.method, &headers).evaluate(resource, policy);
        prop_assert_eq!(via_conditions.outcome(), outcome);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// The generator's formatter doubles as an oracle for the runtime's date parser, on every
    /// second from year 0000 to 2023 (a past instant, so `LastModified` does not clamp it).
    #[test]
    fn dates_of_any_year_parse_to_the_instant_they_spell(secs in -62_167_219_200_i64..1_700_000_000) {
        for text in [imf_fixdate(secs), asctime(secs)] {
            let parsed: LastModified = text.parse().map_err(|_| TestCaseError::fail(text.clone()))?;
            prop_assert_eq!(parsed.unix_seconds(), secs, "{}", text);
        }
    }

    /// RFC 850's two-digit years, where they are unambiguous (1980–2020, read in this century:
    /// `80`–`99` would be more than 50 years ahead as 20xx, so they are 19xx).
    #[test]
    fn rfc850_dates_parse_to_the_instant_they_spell(secs in 315_532_800_i64..1_609_459_200) {
        let text = rfc850(secs);
        let parsed: LastModified = text.parse().map_err(|_| TestCaseError::fail(text.clone()))?;
        prop_assert_eq!(parsed.unix_seconds(), secs, "{}", text);
    }
}

#[test]
fn generated_dates_are_the_three_rfc_9110_forms() {
    // Pins the generator itself, so a wrong formatter cannot make the model test vacuous.
    assert_eq!(imf_fixdate(LM), "Sun, 21 Oct 2007 23:21:47 GMT");
    assert_eq!(rfc850(LM), "Sunday, 21-Oct-07 23:21:47 GMT");
    assert_eq!(asctime(784_111_777), "Sun Nov  6 08:49:37 1994");
    // RFC 850 only near LM: its two-digit year is read within a 50-year window of today.
    for secs in [LM, LM - 86_400 * 400, LM + 86_400 * 400] {
        let parsed: LastModified = rfc850(secs).parse().expect("RFC 850 date");
        assert_eq!(parsed.unix_seconds(), secs, "{}", rfc850(secs));
    }
    for secs in [LM, LM - 86_400 * 400, LM + 86_400 * 400, 0, 951_782_400] {
        for text in [imf_fixdate(secs), asctime(secs)] {
            let parsed: LastModified = text.parse().unwrap_or_else(|_| panic!("{text:?}"));
            assert_eq!(parsed.unix_seconds(), secs, "{text}");
        }
    }
}

#[test]
fn random_requests_reach_every_outcome() {
    // The agreement test above is only as good as its generator: make sure the random requests
    // really drive the evaluator down every path, not only to "proceed".
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (request(), state(), policy());
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2_000 {
        let (request, state, policy) = strategy
            .new_tree(&mut runner)
            .expect("strategy generates")
            .current();
        seen.insert(format!("{:?}", model(&request, &state, policy)));
    }
    let wanted = [
        Verdict::Proceed(RangeDecision::NotRequested),
        Verdict::Proceed(RangeDecision::Honour),
        Verdict::Proceed(RangeDecision::Ignore),
        // (`Deferred(IfUnmodifiedSince)` cannot happen: a missing resource has no date.)
        Verdict::Deferred(ConditionHeader::IfMatch),
        Verdict::NotModified,
        Verdict::Failed(ConditionHeader::IfMatch),
        Verdict::Failed(ConditionHeader::IfUnmodifiedSince),
        Verdict::Failed(ConditionHeader::IfNoneMatch),
        Verdict::Required(vec![
            ConditionHeader::IfMatch,
            ConditionHeader::IfUnmodifiedSince,
            ConditionHeader::IfNoneMatch,
        ]),
        Verdict::Required(vec![
            ConditionHeader::IfMatch,
            ConditionHeader::IfUnmodifiedSince,
        ]),
        Verdict::Required(vec![ConditionHeader::IfMatch]),
        Verdict::Required(vec![ConditionHeader::IfNoneMatch, ConditionHeader::IfMatch]),
    ];
    let missing: Vec<String> = wanted
        .iter()
        .map(|verdict| format!("{verdict:?}"))
        .filter(|v| !seen.contains(v))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

#[test]
fn if_range_that_is_not_exactly_one_entity_tag_never_honours_the_range() {
    // `If-Range = entity-tag / HTTP-date` (RFC 9110 §13.1.5) is not a list, so the list
    // tolerance of §5.6.1.2 does not apply: a value with a stray comma is neither an entity-tag
    // nor a date, and `evaluate`'s rule 8 honours the range "only if If-Range is an entity-tag
    // that strongly matches". Sending the full representation is the safe answer, as for any
    // other invalid If-Range (`"v1"x`, `"v1", "v1"`).
    let state = State {
        exists: true,
        etag: CurrentTag::Strong(b"v1".to_vec()),
        last_modified: None,
        strong_last_modified: false,
    };
    let mut wrong = Vec::new();
    for value in [
        "\"v1\",",
        ", \"v1\"",
        "\"v1\" ,, ",
        "\"v1\"x",
        "\"v1\", \"v1\"",
    ] {
        let request = Request {
            method: Method::GET,
            if_match: None,
            if_none_match: None,
            if_modified_since: None,
            if_unmodified_since: None,
            range: true,
            if_range: Some(vec![IfRangeLine::Tag(value.as_bytes().to_vec())]),
        };
        let outcome = evaluate(
            &request.method,
            &request.headers(),
            state.resource(),
            Policy::new(),
        )
        .outcome();
        assert_eq!(
            model(&request, &state, Policy::new()),
            Verdict::Proceed(RangeDecision::Ignore)
        );
        if outcome
            != (Outcome::Proceed {
                range: RangeDecision::Ignore,
            })
        {
            wrong.push(format!("If-Range: {value} -> {outcome:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "invalid If-Range values honoured the Range:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn model_list_splitter_reads_quoted_commas_and_skips_empty_elements() {
    use ModelMember::{Invalid, Star, Tag};
    assert_eq!(
        members(br#" "a,b" , W/"c",, x, *"#),
        [
            Tag {
                weak: false,
                opaque: b"a,b"
            },
            Tag {
                weak: true,
                opaque: b"c"
            },
            Invalid,
            Star
        ]
    );
    assert_eq!(members(b""), []);
    assert_eq!(
        members(br#""spaced tag", "v1""#),
        [
            Invalid,
            Tag {
                weak: false,
                opaque: b"v1"
            }
        ]
    );
}
