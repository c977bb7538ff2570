//! Property tests of the parsers: total (no input panics or loops), allocation-free by design,
//! and faithful to the RFC 9110 grammar (§5.6.7 HTTP-date, §8.8.3 entity-tag, §13.1.1–2 lists).

use axum_conditional::list::{Member, Members};
use axum_conditional::{ETag, LastModified, Policy, Preconditions, Resource, evaluate};
use http::{HeaderMap, HeaderValue, Method, header};
use proptest::prelude::*;
use proptest::sample::select;

/// `etagc = %x21 / %x23-7E / obs-text` (RFC 9110 §8.8.3), written out independently of the
/// runtime.
fn is_etagc(byte: u8) -> bool {
    byte == b'!' || (b'#'..=b'~').contains(&byte) || byte >= 0x80
}

/// Bytes that matter to the list and date grammars, mixed with arbitrary ones so that random
/// input often looks almost valid.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => select(b"\"W/w,* \t:-0123456789GMTSunOct".to_vec()),
        1 => any::<u8>(),
    ]
}

fn field_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..48),
        prop::collection::vec(interesting_byte(), 0..48),
    ]
}

fn etagc_bytes() -> impl Strategy<Value = Vec<u8>> {
    let etagc = any::<u8>().prop_filter("etagc", |&byte| is_etagc(byte));
    prop::collection::vec(etagc, 0..32)
}

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
        Method::CONNECT,
        Method::from_bytes(b"PROPFIND").expect("valid extension method"),
    ])
}

fn resource() -> impl Strategy<Value = Resource> {
    let etag = prop::option::of((etagc_bytes(), any::<bool>()).prop_map(|(opaque, weak)| {
        if weak {
            ETag::weak(opaque)
        } else {
            ETag::strong(opaque)
        }
        .expect("etagc only")
    }));
    let last_modified = prop::option::of(any::<i64>().prop_map(LastModified::from_unix_seconds));
    (any::<bool>(), etag, last_modified, any::<bool>()).prop_map(
        |(exists, etag, last_modified, strong)| {
            let resource = if exists {
                Resource::existing(etag, last_modified)
            } else {
                Resource::missing()
            };
            if strong {
                resource.with_strong_last_modified()
            } else {
                resource
            }
        },
    )
}

/// Strings shaped like the three HTTP-date forms, many of them valid.
fn near_date() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Z]{3}",
        "[A-Za-z]{6,9}, [0-9]{2}-[A-Za-z]{3}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
        "[A-Za-z]{3} [A-Za-z]{3} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}",
        "(Sun|Mon|Tue|Wed|Thu|Fri|Sat), [0-3][0-9] \
         (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} \
         [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn list_members_terminate_and_yield_only_valid_tags(line in field_bytes()) {
        let mut count = 0usize;
        for member in Members::new(&line) {
            count += 1;
            // Every member consumes at least one byte, so a line of n bytes has at most n.
            prop_assert!(count <= line.len(), "more members than bytes in {:?}", line);
            match member {
                Member::Tag { opaque, .. } => {
                    prop_assert!(opaque.iter().all(|&byte| is_etagc(byte)), "{:?}", opaque);
                }
                Member::Invalid(bytes) => {
                    prop_assert!(!bytes.is_empty(), "an invalid member is never empty");
                    let starts_or_ends_with_ows = [bytes.first(), bytes.last()]
                        .into_iter()
                        .flatten()
                        .any(|&byte| byte == b' ' || byte == b'\t');
                    prop_assert!(!starts_or_ends_with_ows, "{:?} is trimmed", bytes);
                }
                Member::Star => {}
            }
        }
    }

    #[test]
    fn tags_joined_into_a_list_are_read_back_in_order(
        tags in prop::collection::vec((etagc_bytes(), any::<bool>()), 0..6),
    ) {
        let rendered: Vec<ETag> = tags
            .iter()
            .map(|(opaque, weak)| if *weak { ETag::weak(opaque) } else { ETag::strong(opaque) })
            .collect::<Result<_, _>>()
            .expect("etagc only");
        let mut line = Vec::new();
        for (i, tag) in rendered.iter().enumerate() {
            if i > 0 {
                line.extend_from_slice(b" ,\t");
            }
            line.extend_from_slice(tag.as_header_value().as_bytes());
        }
        let read: Vec<Member<'_>> = Members::new(&line).collect();
        let expected: Vec<Member<'_>> = tags
            .iter()
            .map(|(opaque, weak)| Member::Tag { weak: *weak, opaque: opaque.as_slice() })
            .collect();
        prop_assert_eq!(read, expected);
    }

    #[test]
    fn etag_formats_and_parses_back_to_an_equal_tag(opaque in etagc_bytes(), weak in any::<bool>()) {
        let tag = if weak { ETag::weak(&opaque) } else { ETag::strong(&opaque) }.expect("etagc only");
        prop_assert_eq!(tag.is_weak(), weak);
        prop_assert_eq!(tag.opaque(), opaque.as_slice());
        let value = tag.as_header_value().as_bytes().to_vec();
        let parsed = ETag::parse(&value).expect("a formatted tag parses");
        prop_assert_eq!(&parsed, &tag);
        prop_assert_eq!(parsed.opaque(), opaque.as_slice());
        // And it is a header value as it stands.
        prop_assert!(HeaderValue::from_bytes(&value).is_ok());
    }

    #[test]
    fn etag_strong_rejects_exactly_the_non_etagc_bytes(opaque in field_bytes()) {
        let first_bad = opaque.iter().position(|&byte| !is_etagc(byte));
        match (ETag::strong(&opaque), first_bad) {
            (Ok(tag), None) => prop_assert_eq!(tag.opaque(), opaque.as_slice()),
            (Err(err), Some(at)) => {
                prop_assert_eq!(err.position(), at);
                prop_assert_eq!(err.byte(), Some(opaque[at]));
            }
            (result, first_bad) => {
                prop_assert!(false, "{:?}: got {:?}, first bad byte at {:?}", opaque, result, first_bad);
            }
        }
        prop_assert_eq!(ETag::weak(&opaque).is_ok(), first_bad.is_none());
    }

    #[test]
    fn etag_parse_never_panics_and_accepts_only_whole_entity_tags(bytes in field_bytes()) {
        if let Ok(tag) = ETag::parse(&bytes) {
            prop_assert_eq!(tag.as_header_value().as_bytes(), bytes.as_slice());
            let prefix = if tag.is_weak() { 3 } else { 1 };
            prop_assert_eq!(&bytes[prefix..bytes.len() - 1], tag.opaque());
        }
    }

    #[test]
    fn evaluate_never_panics_on_arbitrary_header_bytes(
        method in method(),
        fields in prop::collection::vec((0..6usize, field_bytes()), 0..8),
        resource in resource(),
        require in any::<bool>(),
        weak in any::<bool>(),
    ) {
        const NAMES: [header::HeaderName; 6] = [
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::IF_UNMODIFIED_SINCE,
            header::IF_RANGE,
            header::RANGE,
        ];
        let mut headers = HeaderMap::new();
        for (name, bytes) in fields {
            // `http` refuses control bytes in values; those requests never reach a handler.
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                headers.append(NAMES[name].clone(), value);
            }
        }
        let policy = Policy::new().require_precondition(require).weak_if_match(weak);
        let outcome = evaluate(&method, &headers, resource.clone(), policy);
        let via_conditions = Preconditions::new(&method, &headers).evaluate(resource, policy);
        prop_assert_eq!(outcome, via_conditions);
    }

    #[test]
    fn last_modified_from_str_never_panics(text in any::<String>()) {
        if let Ok(parsed) = text.parse::<LastModified>() {
            prop_assert_eq!(parsed.to_string().parse::<LastModified>(), Ok(parsed));
        }
    }

    #[test]
    fn last_modified_parse_never_panics_on_near_dates_and_formats_back(text in near_date()) {
        if let Ok(parsed) = text.parse::<LastModified>() {
            // A parsed date formats as IMF-fixdate, which parses back to itself.
            let formatted = parsed.to_string();
            prop_assert_eq!(formatted.len(), 29);
            prop_assert_eq!(formatted.parse::<LastModified>(), Ok(parsed));
            // The header sends the date as sent: a future date as "now" (RFC 9110 §8.8.2.1).
            let value = parsed.to_header_value();
            let sent = parsed.as_sent().to_string();
            prop_assert_eq!(value.as_bytes(), sent.as_bytes());
        }
    }

    #[test]
    fn last_modified_parse_never_panics_on_arbitrary_bytes(bytes in field_bytes()) {
        let _ = LastModified::parse(&bytes);
    }
}

#[test]
fn near_date_strategy_reaches_valid_dates() {
    // The round-trip property above is only worth something if some near dates are valid.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = near_date();
    let valid = (0..2_000)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("strategy generates")
                .current()
        })
        .filter(|text| text.parse::<LastModified>().is_ok())
        .count();
    assert!(valid > 0, "no generated near date was valid");
}
