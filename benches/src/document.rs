//! The document the benchmarks serve: a typed JSON document of a chosen serialized size, made
//! deterministically so that every run and every variant serves the same bytes.

use serde::{Deserialize, Serialize};

/// 64 KiB: the size of the document `benches/handler.rs` and `scripts/load.sh` serve.
pub const DOCUMENT_BYTES: usize = 64 * 1024;

/// 1 MiB: the size of the body of the refused write (`benches/refused_write.rs`).
pub const WRITE_BYTES: usize = 1024 * 1024;

/// A document of an editing application: a title, some metadata, and sections of prose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Its id.
    pub id: u64,
    /// Its title.
    pub title: String,
    /// Who owns it.
    pub owner: String,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// The content.
    pub sections: Vec<Section>,
}

/// One section of a [`Document`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Its position.
    pub number: u32,
    /// Its heading.
    pub heading: String,
    /// Its text.
    pub text: String,
    /// Who wrote it last.
    pub author: String,
    /// How many times it was edited.
    pub revision: u32,
    /// Whether a reviewer approved it.
    pub approved: bool,
}

const WORDS: [&str; 24] = [
    "precondition",
    "entity",
    "tag",
    "version",
    "client",
    "server",
    "cache",
    "request",
    "response",
    "the",
    "of",
    "and",
    "a",
    "to",
    "is",
    "in",
    "document",
    "section",
    "update",
    "lost",
    "validator",
    "header",
    "field",
    "representation",
];

/// A document whose JSON serialization (`serde_json::to_vec`) is at least `bytes` long, and
/// less than one section (about 260 bytes) longer.
pub fn sample(id: u64, bytes: usize) -> Document {
    // A linear congruential generator: the same words in every run.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d ^ id;
    let mut word = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        WORDS[(state >> 33) as usize % WORDS.len()]
    };
    let mut document = Document {
        id,
        title: "Minutes of the working group on conditional requests".to_owned(),
        owner: "alice@example.com".to_owned(),
        tags: ["minutes", "http", "rfc9110", "draft"]
            .map(str::to_owned)
            .to_vec(),
        sections: Vec::new(),
    };
    let mut size = serialized_len(&document);
    let mut number = 0;
    while size < bytes {
        number += 1;
        let text: Vec<&str> = (0..28).map(|_| word()).collect();
        let section = Section {
            number,
            heading: format!("{} {} {number}", word(), word()),
            text: text.join(" "),
            author: if number % 3 == 0 { "bob" } else { "alice" }.to_owned(),
            revision: number % 7,
            approved: number % 2 == 0,
        };
        // The comma between sections, plus the section itself.
        size += 1 + serialized_len(&section);
        document.sections.push(section);
    }
    document
}

fn serialized_len<T: Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_have_the_asked_size_and_are_deterministic() {
        for bytes in [DOCUMENT_BYTES, WRITE_BYTES] {
            let document = sample(1, bytes);
            let json = serde_json::to_vec(&document).expect("serializes");
            assert!(
                json.len() >= bytes && json.len() < bytes + 300,
                "{}",
                json.len()
            );
            assert_eq!(document, sample(1, bytes));
        }
    }
}
