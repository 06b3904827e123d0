//! Messages as words: each keeps its original spelling (for titles) and a normalised form
//! (for matching), and phrases are matched against the normalised forms.

/// One word of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// As typed, so that titles keep the user's capitals and punctuation.
    pub raw: String,
    /// Lower case, curly quotes made straight, surrounding punctuation removed.
    pub norm: String,
}

/// Characters that end a clause rather than belong to a word.
const EDGE_PUNCTUATION: &[char] = &[
    ',', '.', '!', '?', ';', ':', '(', ')', '[', ']', '"', '\'', '`', '…',
];

/// Splits a message into words; a word that is only punctuation is dropped.
#[must_use]
pub fn split(message: &str) -> Vec<Word> {
    message
        .split_whitespace()
        .filter_map(|raw| {
            let straight = raw
                .replace(['\u{2018}', '\u{2019}'], "'")
                .replace(['\u{201c}', '\u{201d}'], "\"");
            let norm = straight.trim_matches(EDGE_PUNCTUATION).to_lowercase();
            (!norm.is_empty()).then(|| Word {
                raw: raw.to_owned(),
                norm,
            })
        })
        .collect()
}

/// Whether `words` starts with the space-separated `phrase` (an empty phrase always matches).
#[must_use]
pub fn starts_with(words: &[Word], phrase: &str) -> bool {
    let mut at = 0;
    for part in phrase.split_whitespace() {
        match words.get(at) {
            Some(word) if word.norm == part => at += 1,
            _ => return false,
        }
    }
    true
}

/// Whether `words` ends with the space-separated `phrase`.
#[must_use]
pub fn ends_with(words: &[Word], phrase: &str) -> bool {
    let parts: Vec<&str> = phrase.split_whitespace().collect();
    parts.len() <= words.len()
        && words[words.len() - parts.len()..]
            .iter()
            .zip(&parts)
            .all(|(word, part)| word.norm == *part)
}

/// How many words a phrase has.
#[must_use]
pub fn len(phrase: &str) -> usize {
    phrase.split_whitespace().count()
}

/// The original text of `words`, joined by single spaces, without the punctuation that
/// separated it from removed phrases ("call mom," → "call mom") or quotes around it.
#[must_use]
pub fn text(words: &[Word]) -> String {
    let joined = words
        .iter()
        .map(|w| w.raw.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    joined
        .trim_matches(|c: char| EDGE_PUNCTUATION.contains(&c) || c == '-' || c.is_whitespace())
        .trim_matches(['"', '\u{201c}', '\u{201d}'])
        .trim()
        .to_owned()
}

/// Small numbers written as words ("in two days").
#[must_use]
pub fn number(word: &str) -> Option<u32> {
    const NAMES: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        "couple" => Some(2),
        _ => word.parse::<u32>().ok().or_else(|| {
            NAMES
                .iter()
                .position(|n| *n == word)
                .and_then(|i| u32::try_from(i).ok())
        }),
    }
}

/// `words` without the longest matching opening and closing phrases, repeatedly, as long as
/// something is left (a lone "please" stays a word, not an empty message).
pub fn strip_around<'w>(words: &'w [Word], openings: &[&str], closings: &[&str]) -> &'w [Word] {
    let mut words = words;
    loop {
        let longest = |phrases: &[&str], matches: fn(&[Word], &str) -> bool| {
            phrases
                .iter()
                .filter(|p| matches(words, p) && len(p) < words.len())
                .map(|p| len(p))
                .max()
        };
        match (longest(openings, starts_with), longest(closings, ends_with)) {
            (Some(n), _) => words = &words[n..],
            (None, Some(n)) => words = &words[..words.len() - n],
            (None, None) => return words,
        }
    }
}

/// `words` without any of `leading` at the start and `trailing` at the end (single words,
/// possibly all of them).
pub fn trim<'w>(words: &'w [Word], leading: &[&str], trailing: &[&str]) -> &'w [Word] {
    let mut start = 0;
    let mut end = words.len();
    while start < end && leading.contains(&words[start].norm.as_str()) {
        start += 1;
    }
    while end > start && trailing.contains(&words[end - 1].norm.as_str()) {
        end -= 1;
    }
    &words[start..end]
}

/// The words not marked as used by the phrase readers, in order.
pub fn unused(words: &[Word], used: &[bool]) -> Vec<Word> {
    words
        .iter()
        .zip(used)
        .filter(|(_, used)| !**used)
        .map(|(w, _)| w.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_goes_from_the_normal_form_only() {
        let words = split("Call Mom, tomorrow!  «what’s»");
        let norms: Vec<&str> = words.iter().map(|w| w.norm.as_str()).collect();
        assert_eq!(norms, ["call", "mom", "tomorrow", "«what's»"]);
        assert_eq!(text(&words[..2]), "Call Mom");
        assert!(starts_with(&words, "call mom"));
        assert!(!starts_with(&words, "call dad"));
        assert!(ends_with(&words[..3], "mom tomorrow"));
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(number("3"), Some(3));
        assert_eq!(number("three"), Some(3));
        assert_eq!(number("a"), Some(1));
        assert_eq!(number("lots"), None);
    }
}
