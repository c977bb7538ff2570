//! The `Range` field's parser and range policy (`axum_conditional::range::select`): a table
//! that reads like RFC 9110 §14.1–14.2, and property tests (total on any bytes; for any valid
//! range set, the ranges served cover exactly what was asked, disjoint, within the length).

use axum_conditional::range::{COALESCE_GAP, Ignored, MAX_RANGE_SPECS, Selection, select};
use proptest::prelude::*;

/// A selection as the table writes it: `206 a-b,c-d`, `416`, or `200 <why>`.
fn show(selection: &Selection) -> String {
    match selection {
        Selection::Partial(ranges) => {
            let parts: Vec<String> = ranges.as_slice().iter().map(|r| r.to_string()).collect();
            format!("206 {}", parts.join(","))
        }
        Selection::Unsatisfiable => "416".to_owned(),
        Selection::Ignored(Ignored::Invalid) => "200 invalid".to_owned(),
        Selection::Ignored(Ignored::OtherUnit) => "200 unit".to_owned(),
        Selection::Ignored(Ignored::TooManyRanges) => "200 too many".to_owned(),
        Selection::Ignored(Ignored::EmptyRepresentation) => "200 empty".to_owned(),
        other => panic!("a selection this table does not know: {other:?}"),
    }
}

fn one(value: &str, length: u64) -> String {
    show(&select([value.as_bytes()], length))
}

const MAX: u64 = u64::MAX;

#[test]
fn range_field_table() {
    let table: &[(&str, u64, &str)] = &[
        // §14.1.2, the examples: first-last, open-ended, suffix.
        ("bytes=0-499", 10_000, "206 0-499"),
        ("bytes=500-999", 10_000, "206 500-999"),
        ("bytes=-500", 10_000, "206 9500-9999"),
        ("bytes=9500-", 10_000, "206 9500-9999"),
        ("bytes=0-0,-1", 10_000, "206 0-0,9999-9999"),
        // Coalesced: overlapping, adjacent, or a gap no larger than a part's headers.
        ("bytes=500-600,601-999", 10_000, "206 500-999"),
        ("bytes=500-700,601-999", 10_000, "206 500-999"),
        ("bytes=0-9,90-99", 10_000, "206 0-99"),
        ("bytes=0-9,91-99", 10_000, "206 0-9,91-99"),
        ("bytes=0-,0-,0-,0-", 10_000, "206 0-9999"),
        // Parts keep the order of the range-specs; a coalesced part takes its earliest's place.
        ("bytes=500-600,0-100", 1_000, "206 500-600,0-100"),
        ("bytes=900-950,0-10,5-20", 1_000, "206 900-950,0-20"),
        // The smallest ranges, and the edges of the representation.
        ("bytes=0-0", 1, "206 0-0"),
        ("bytes=0-0", 10, "206 0-0"),
        ("bytes=9-", 10, "206 9-9"),
        ("bytes=9-9", 10, "206 9-9"),
        ("bytes=0-99999", 10, "206 0-9"),
        ("bytes=-99999", 10, "206 0-9"),
        ("bytes=-10", 10, "206 0-9"),
        ("bytes=0005-0009", 10, "206 5-9"),
        // §14.1.1: unsatisfiable.
        ("bytes=-0", 10, "416"),
        ("bytes=10-", 10, "416"),
        ("bytes=10-20", 10, "416"),
        ("bytes=-0,10-", 10, "416"),
        ("bytes=-0,0-0", 10, "206 0-0"),
        // §14.1.1: "When a selected representation has zero length, the only satisfiable form
        // of range-spec is a suffix-range with a non-zero suffix-length." It selects no byte,
        // and a 206 cannot say so (`Content-Range: bytes first-last/0` has no `first`), so the
        // whole, empty representation is sent (§14.2: a server MAY ignore `Range`).
        ("bytes=0-0", 0, "416"),
        ("bytes=0-", 0, "416"),
        ("bytes=-0", 0, "416"),
        ("bytes=-0,0-", 0, "416"),
        ("bytes=-1", 0, "200 empty"),
        ("bytes=-5", 0, "200 empty"),
        ("bytes=-99999999999999999999", 0, "200 empty"),
        ("bytes=0-0,-5", 0, "200 empty"),
        ("bytes=-0,-1", 0, "200 empty"),
        ("bytes=-1,1-0", 0, "200 invalid"),
        // Whitespace: around the value and around list commas only (§5.6.1.2).
        (" bytes=0-1 ", 1_000, "206 0-1"),
        ("bytes=0-1 ,\t 500-501", 1_000, "206 0-1,500-501"),
        ("bytes=,0-1,,", 1_000, "206 0-1"),
        ("bytes = 0-1", 1_000, "200 invalid"),
        ("bytes =0-1", 1_000, "200 invalid"),
        ("bytes= 0-1", 1_000, "206 0-1"),
        ("bytes=0 -1", 1_000, "200 invalid"),
        ("bytes=0- 1", 1_000, "200 invalid"),
        ("bytes=- 1", 1_000, "200 invalid"),
        // The unit: case-insensitive (§14.1); another one is ignored (§14.2).
        ("Bytes=0-1", 1_000, "206 0-1"),
        ("BYTES=0-1", 1_000, "206 0-1"),
        ("items=0-1", 1_000, "200 unit"),
        ("bytesx=0-1", 1_000, "200 unit"),
        ("none=", 1_000, "200 unit"),
        // Garbage: the whole field is invalid, and ignored (§14.2 MAY ignore).
        ("bytes=", 1_000, "200 invalid"),
        ("bytes=,", 1_000, "200 invalid"),
        ("bytes= , ", 1_000, "200 invalid"),
        ("bytes=1-0", 1_000, "200 invalid"),
        ("bytes=0-1,1-0", 1_000, "200 invalid"),
        ("bytes=abc", 1_000, "200 invalid"),
        ("bytes=-", 1_000, "200 invalid"),
        ("bytes=--1", 1_000, "200 invalid"),
        ("bytes=1--2", 1_000, "200 invalid"),
        ("bytes=1-2-3", 1_000, "200 invalid"),
        ("bytes=0x1-2", 1_000, "200 invalid"),
        ("bytes=+1-2", 1_000, "200 invalid"),
        ("bytes=1.5-2", 1_000, "200 invalid"),
        ("bytes=0-1;q=1", 1_000, "200 invalid"),
        ("bytes=0-1,bytes=2-3", 1_000, "200 invalid"),
        ("bytes 0-1", 1_000, "200 invalid"),
        ("=0-1", 1_000, "200 invalid"),
        ("by tes=0-1", 1_000, "200 invalid"),
        ("by\"tes=0-1", 1_000, "200 invalid"),
        ("", 1_000, "200 invalid"),
        ("bytes=0-1\u{e9}", 1_000, "200 invalid"),
        // 64-bit lengths and numbers beyond them.
        (
            "bytes=4294967296-4294967299",
            5_000_000_000,
            "206 4294967296-4294967299",
        ),
        (
            "bytes=-1",
            MAX,
            "206 18446744073709551614-18446744073709551614",
        ),
        (
            "bytes=18446744073709551614-",
            MAX,
            "206 18446744073709551614-18446744073709551614",
        ),
        ("bytes=18446744073709551615-", MAX, "416"),
        ("bytes=18446744073709551616-", MAX, "416"),
        ("bytes=0-18446744073709551616", 10, "206 0-9"),
        ("bytes=-18446744073709551616", 10, "206 0-9"),
        (
            "bytes=0-99999999999999999999999999999999",
            MAX,
            "206 0-18446744073709551614",
        ),
        // `last < first` is compared exactly, even beyond 64 bits.
        (
            "bytes=99999999999999999999999-99999999999999999999998",
            10,
            "200 invalid",
        ),
        (
            "bytes=99999999999999999999998-99999999999999999999999",
            10,
            "416",
        ),
        ("bytes=000000000000000000000000000001-2", 10, "206 1-2"),
    ];
    for &(value, length, expected) in table {
        assert_eq!(one(value, length), expected, "Range: {value:?} of {length}");
    }
}

#[test]
fn more_range_specs_than_the_cap_are_ignored_whatever_they_hold() {
    let specs = |n: usize| {
        let list: Vec<String> = (0..n)
            .map(|i| format!("{}-{}", i * 1000, i * 1000))
            .collect();
        format!("bytes={}", list.join(","))
    };
    let at_cap = one(&specs(MAX_RANGE_SPECS), 1 << 20);
    assert!(at_cap.starts_with("206 0-0,1000-1000,"), "{at_cap}");
    assert_eq!(one(&specs(MAX_RANGE_SPECS + 1), 1 << 20), "200 too many");
    // Hundreds of tiny overlapping ranges: ignored before any is resolved.
    let hostile = format!("bytes={}", vec!["0-1"; 400].join(","));
    assert_eq!(one(&hostile, 1 << 20), "200 too many");
}

#[test]
fn a_range_sent_as_several_field_lines_is_ignored() {
    let lines: [&[u8]; 2] = [b"bytes=0-1", b"bytes=5-6"];
    assert_eq!(show(&select(lines, 100)), "200 invalid");
    assert_eq!(show(&select(std::iter::empty(), 100)), "200 invalid");
}

/// One range-spec of a generated valid field, and the bytes it selects in `length`, computed
/// with 128-bit arithmetic, independently of the runtime.
#[derive(Clone, Debug)]
enum Spec {
    Int(u64, Option<u64>),
    Suffix(u64),
}

impl Spec {
    fn text(&self) -> String {
        match self {
            Spec::Int(first, Some(last)) => format!("{first}-{last}"),
            Spec::Int(first, None) => format!("{first}-"),
            Spec::Suffix(n) => format!("-{n}"),
        }
    }

    fn selects(&self, length: u64) -> Option<(u128, u128)> {
        let length = u128::from(length);
        match *self {
            Spec::Int(first, last) => {
                let first = u128::from(first);
                let last = last.map_or(length.saturating_sub(1), u128::from);
                (first < length).then(|| (first, last.min(length - 1)))
            }
            Spec::Suffix(n) => {
                let n = u128::from(n).min(length);
                (n > 0).then(|| (length - n, length - 1))
            }
        }
    }
}

fn spec(length: u64) -> impl Strategy<Value = Spec> {
    let position = prop_oneof![0..=length.saturating_add(4), any::<u64>()];
    prop_oneof![
        (position.clone(), 0u64..1_000)
            .prop_map(|(first, extra)| Spec::Int(first, Some(first.saturating_add(extra)))),
        position.prop_map(|first| Spec::Int(first, None)),
        prop_oneof![0..=length.saturating_add(4), any::<u64>()].prop_map(Spec::Suffix),
    ]
}

fn valid_field() -> impl Strategy<Value = (u64, Vec<Spec>)> {
    prop_oneof![0u64..3_000, any::<u64>()].prop_flat_map(|length| {
        (
            Just(length),
            prop::collection::vec(spec(length), 1..=MAX_RANGE_SPECS),
        )
    })
}

proptest! {
    #[test]
    fn select_is_total_and_its_ranges_are_well_formed(
        value in prop::collection::vec(
            prop_oneof![3 => prop::sample::select(b"bytes=0123456789-, \t".to_vec()), 1 => any::<u8>()],
            0..64,
        ),
        length in prop_oneof![0u64..100, any::<u64>()],
    ) {
        if let Selection::Partial(ranges) = select([&value[..]], length) {
            let ranges = ranges.as_slice();
            prop_assert!(!ranges.is_empty() && ranges.len() <= MAX_RANGE_SPECS);
            for range in ranges {
                prop_assert!(range.first() <= range.last() && range.last() < length);
            }
        }
    }

    #[test]
    fn the_ranges_served_cover_what_was_asked_once_and_no_more(
        (length, specs) in valid_field(),
    ) {
        let text: Vec<String> = specs.iter().map(Spec::text).collect();
        let field = format!("bytes={}", text.join(", "));
        let asked: Vec<(u128, u128)> = specs.iter().filter_map(|s| s.selects(length)).collect();
        let satisfiable_when_empty =
            length == 0 && specs.iter().any(|s| matches!(s, Spec::Suffix(n) if *n > 0));
        match select([field.as_bytes()], length) {
            // §14.1.1: in an empty representation, only a suffix-range with a non-zero
            // length is satisfiable, and it selects no byte.
            Selection::Unsatisfiable => prop_assert!(asked.is_empty() && !satisfiable_when_empty, "{field}"),
            Selection::Ignored(Ignored::EmptyRepresentation) => prop_assert!(satisfiable_when_empty, "{field}"),
            Selection::Partial(ranges) => {
                let served: Vec<(u128, u128)> = ranges
                    .as_slice()
                    .iter()
                    .map(|r| (u128::from(r.first()), u128::from(r.last())))
                    .collect();
                // Every asked byte is served.
                for &(first, last) in &asked {
                    prop_assert!(
                        served.iter().any(|&(f, l)| f <= first && last <= l),
                        "{field}: {first}-{last} not served by {served:?}"
                    );
                }
                // Served ranges are disjoint and apart by more than the coalescing gap, so no
                // byte is sent twice and the content sent is at most the representation.
                let mut sorted = served.clone();
                sorted.sort_unstable();
                for pair in sorted.windows(2) {
                    prop_assert!(pair[1].0 > pair[0].1 + u128::from(COALESCE_GAP) + 1, "{field}: {sorted:?}");
                }
                let total: u128 = served.iter().map(|&(f, l)| l - f + 1).sum();
                prop_assert!(total <= u128::from(length));
                // Every served byte is asked for, or in a gap no larger than the coalescing gap
                // between asked bytes.
                for &(first, last) in &served {
                    prop_assert!(asked.iter().any(|&(f, _)| f == first), "{field}: starts at {first}");
                    prop_assert!(asked.iter().any(|&(_, l)| l == last), "{field}: ends at {last}");
                }
                prop_assert_eq!(ranges.content_len(), u64::try_from(total).unwrap());
            }
            other => prop_assert!(false, "{field}: {other:?}"),
        }
    }
}
