//! Word stems, so that a reference names a title whatever the inflection: "letters" and
//! "letter", "posted" and "post", "paid" and "pay", "boxes" and "box" — always whole words.

/// Past forms that no suffix rule undoes, with their base form.
#[rustfmt::skip]
const IRREGULAR: &[(&str, &str)] = &[
    ("bought", "buy"), ("paid", "pay"), ("sent", "send"), ("wrote", "write"), ("written", "write"),
    ("did", "do"), ("done", "do"), ("made", "make"), ("took", "take"), ("taken", "take"),
    ("got", "get"), ("gotten", "get"), ("gave", "give"), ("given", "give"), ("went", "go"),
    ("gone", "go"), ("ran", "run"), ("fed", "feed"), ("met", "meet"), ("sold", "sell"),
    ("told", "tell"), ("found", "find"), ("left", "leave"), ("brought", "bring"),
    ("ate", "eat"), ("eaten", "eat"), ("drove", "drive"), ("driven", "drive"), ("rode", "ride"),
    ("swept", "sweep"), ("kept", "keep"), ("spoke", "speak"), ("taught", "teach"),
    ("thought", "think"), ("caught", "catch"), ("hung", "hang"), ("won", "win"), ("lost", "lose"),
    ("sat", "sit"), ("stood", "stand"), ("began", "begin"), ("begun", "begin"), ("built", "build"),
    ("drew", "draw"), ("drawn", "draw"), ("drank", "drink"), ("flew", "fly"), ("forgot", "forget"),
    ("froze", "freeze"), ("grew", "grow"), ("heard", "hear"), ("knew", "know"), ("lent", "lend"),
    ("mowed", "mow"), ("rang", "ring"), ("saw", "see"), ("seen", "see"), ("sang", "sing"),
    ("slept", "sleep"), ("spent", "spend"), ("swam", "swim"), ("threw", "throw"),
    ("understood", "understand"), ("woke", "wake"), ("wore", "wear"), ("withdrew", "withdraw"),
    ("tidied", "tidy"), ("emptied", "empty"), ("copied", "copy"), ("applied", "apply"),
    ("replied", "reply"), ("studied", "study"), ("carried", "carry"), ("fried", "fry"),
    ("dried", "dry"), ("tried", "try"), ("hid", "hide"), ("shook", "shake"), ("stuck", "stick"),
    ("struck", "strike"), ("fought", "fight"), ("sought", "seek"), ("bent", "bend"),
    ("dealt", "deal"), ("felt", "feel"), ("fled", "flee"), ("led", "lead"), ("meant", "mean"),
    ("read", "read"), ("shut", "shut"), ("put", "put"), ("cut", "cut"), ("set", "set"),
    ("hit", "hit"), ("let", "let"), ("quit", "quit"), ("spread", "spread"), ("upset", "upset"),
    ("bet", "bet"), ("cast", "cast"), ("cost", "cost"), ("hurt", "hurt"),
];

/// Words ending in "ed" that are not past forms.
const NOT_PAST: &[&str] = &[
    "need", "feed", "seed", "speed", "weed", "bleed", "breed", "embed", "shred", "bed", "red",
    "wed", "sled", "bred", "fed", "led", "shed", "sped", "bred", "ted", "ned", "med",
];

/// Whether `word` reads as a past tense ("posted", "paid", "called").
#[must_use]
pub fn is_past(word: &str) -> bool {
    if IRREGULAR.iter().any(|(past, _)| *past == word) {
        return !matches!(
            word,
            "read" | "put" | "cut" | "set" | "hit" | "let" | "done" | "seen"
        );
    }
    word.len() > 4
        && word.ends_with("ed")
        && !word.ends_with("eed")
        && !NOT_PAST.contains(&word)
        && word.chars().all(char::is_alphabetic)
}

/// The stem of a lower-case word: irregular pasts give their base; "-s", "-es", "-ies",
/// "-ed", "-ied", "-ing" and a final "e" go, doubled consonants are undoubled. Stems only
/// ever compare words with words.
#[must_use]
pub fn stem(word: &str) -> String {
    if let Some((_, base)) = IRREGULAR.iter().find(|(past, _)| *past == word) {
        return stem_regular(base);
    }
    stem_regular(word)
}

fn stem_regular(word: &str) -> String {
    let chars = word.chars().count();
    if chars <= 3 || !word.chars().all(char::is_alphabetic) {
        return word.to_owned();
    }
    let mut base = if let Some(head) = word
        .strip_suffix("ies")
        .or_else(|| word.strip_suffix("ied"))
    {
        format!("{head}y")
    } else if let Some(head) = word
        .strip_suffix("ing")
        .or_else(|| word.strip_suffix("ed"))
        .filter(|head| head.chars().count() >= 3 && !word.ends_with("eed"))
    {
        head.to_owned()
    } else if let Some(head) = ["sses", "shes", "ches", "xes", "zes"]
        .iter()
        .find_map(|s| word.strip_suffix(s).map(|h| (h, &s[..s.len() - 2])))
        .map(|(h, kept)| format!("{h}{kept}"))
    {
        head
    } else if word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    };
    // "shipped" → "shipp" → "ship", "cancelled" → "cancel" and "call" → "cal" alike;
    // "baked" → "bak" and "bake" → "bak".
    let bytes = base.as_bytes();
    if bytes.len() >= 4 {
        let (a, b) = (bytes[bytes.len() - 1], bytes[bytes.len() - 2]);
        if a == b && !matches!(a, b'e' | b'o') {
            base.pop();
        }
    }
    if base.len() > 3 && base.ends_with('e') && !base.ends_with("ee") {
        base.pop();
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_share_a_stem() {
        for (a, b) in [
            ("posted", "post"),
            ("letters", "letter"),
            ("boxes", "box"),
            ("paid", "pay"),
            ("called", "call"),
            ("baked", "bake"),
            ("shipped", "ship"),
            ("emailed", "email"),
            ("fixed", "fixes"),
            ("tidied", "tidy"),
            ("bought", "buy"),
            ("washing", "wash"),
            ("cleaned", "clean"),
            ("dresses", "dress"),
            ("cancelled", "cancel"),
            ("travelling", "travel"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
        for (a, b) in [
            ("milk", "milkshake"),
            ("art", "start"),
            ("bus", "buy"),
            ("car", "card"),
        ] {
            assert_ne!(stem(a), stem(b), "{a} / {b}");
        }
    }

    #[test]
    fn past_forms() {
        for w in ["posted", "paid", "called", "bought", "sent", "cleaned"] {
            assert!(is_past(w), "{w}");
        }
        for w in ["need", "feed", "bed", "red", "milk", "read", "put"] {
            assert!(!is_past(w), "{w}");
        }
    }
}
