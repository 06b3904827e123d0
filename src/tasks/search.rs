//! The `q` text search's patterns: case-insensitive beyond ASCII on SQLite as on PostgreSQL.
//!
//! PostgreSQL's `ilike` folds case through the database's locale. SQLite's `like` folds ASCII
//! letters only, and sqlx offers no safe way to give SQLite a Unicode-aware function. SQLite's
//! `glob` is case-sensitive but matches sets of characters, so each letter of the search becomes
//! the set of every character with the same lower case (`é` → `[Éé]`, `k` → `[Kk\u{212a}]`),
//! which matches as `ilike` does: character by character, through lower case.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A `like`/`ilike` pattern matching `text` anywhere, with its metacharacters taken literally
/// (the statement says `escape '\'`).
#[must_use]
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A SQLite `glob` pattern matching `text` anywhere, ignoring case.
#[must_use]
pub fn caseless_glob_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() * 4 + 2);
    pattern.push('*');
    for c in text.chars() {
        if let Some(same_case) = CASE_SETS.get(&lower(c)) {
            pattern.push('[');
            pattern.push_str(same_case);
            pattern.push(']');
        } else if matches!(c, '*' | '?' | '[') {
            // A one-character set matches its character literally.
            pattern.extend(['[', c, ']']);
        } else {
            pattern.push(c);
        }
    }
    pattern.push('*');
    pattern
}

/// `c` in lower case, or `c` itself when its lower case is not one character (`İ` → `i̇`):
/// such a character matches only itself.
fn lower(c: char) -> char {
    let mut lowered = c.to_lowercase();
    match (lowered.next(), lowered.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

/// Every character that has a case, by lower case: the characters sharing it, in code point
/// order (`'e'` → `"Ee"`).
static CASE_SETS: LazyLock<HashMap<char, String>> = LazyLock::new(|| {
    let mut sets: HashMap<char, Vec<char>> = HashMap::new();
    // Unicode gives no character above U+1FFFF a case mapping (a unit test checks this
    // against the whole range).
    for c in (0..=LAST_CASED).filter_map(char::from_u32) {
        let lowered = lower(c);
        if lowered != c {
            sets.entry(lowered).or_insert_with(|| vec![lowered]).push(c);
        }
    }
    sets.into_iter()
        .map(|(lowered, mut members)| {
            members.sort_unstable();
            (lowered, members.into_iter().collect())
        })
        .collect()
});

/// The highest code point [`CASE_SETS`] scans.
const LAST_CASED: u32 = 0x1_FFFF;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(like_pattern(r"50%_off\"), r"%50\%\_off\\%");
    }

    #[test]
    fn letters_become_the_set_of_their_cases() {
        assert_eq!(caseless_glob_pattern("Ab1"), "*[Aa][Bb]1*");
        assert_eq!(caseless_glob_pattern("été 1"), "*[Éé][Tt][Éé] 1*");
        assert_eq!(caseless_glob_pattern("k"), "*[Kk\u{212a}]*");
        assert_eq!(caseless_glob_pattern("ΣΑΣ"), "*[Σσ][Αα][Σσ]*");
    }

    #[test]
    fn glob_metacharacters_are_literal() {
        assert_eq!(caseless_glob_pattern("*?[]"), "*[*][?][[]]*");
    }

    #[test]
    fn no_character_above_the_scanned_range_has_a_case() {
        let cased = (LAST_CASED + 1..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .find(|&c| lower(c) != c || c.to_uppercase().ne([c]));
        assert_eq!(cased, None);
    }
}
