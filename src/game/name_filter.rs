//! The profanity check of [`Name::parse`](super::Name::parse): rustrict, read the way names
//! are written.

use rustrict::{Censor, Replacements, Trie, Type};
use std::sync::LazyLock;

/// Whether `name` (collapsed, of allowed characters) is refused as inappropriate. Ordinary
/// names cost one rustrict pass; only a name rustrict flags costs two more.
pub(crate) fn is_inappropriate(name: &str) -> bool {
    let text = split_camel_case(&mask_numbers(name));
    let (flagged, found) = censor(&text, Type::INAPPROPRIATE);
    if found.isnt(Type::INAPPROPRIATE) {
        return false;
    }
    // Which characters each finding covers, in the text rustrict read (accents removed).
    let (plain, _) = censor(&text, Type::NONE);
    let (strong, _) = censor(
        &text,
        (Type::INAPPROPRIATE & Type::MODERATE_OR_HIGHER) | Type::OFFENSIVE,
    );
    let starred = |text: &[char], i: usize| text.get(i) == Some(&'*');
    let mut i = 0;
    while i < plain.len() {
        if !starred(&flagged, i) {
            i += 1;
            continue;
        }
        let start = i;
        while starred(&flagged, i) {
            i += 1;
        }
        let before = start.checked_sub(1).map(|j| plain[j]);
        let whole_words = word_boundary(before, plain.get(start).copied())
            && word_boundary(Some(plain[i - 1]), plain.get(i).copied());
        let across_words = plain[start..i].iter().any(|c| !c.is_alphanumeric());
        let mild = !(start..i).any(|j| starred(&strong, j));
        if whole_words || !(across_words || mild) {
            return true;
        }
    }
    false
}

/// `text` with every finding at `threshold` or above starred, and what was found.
fn censor(text: &str, threshold: Type) -> (Vec<char>, Type) {
    let mut censor = Censor::from_str(text);
    censor
        .with_trie(&NAME_TRIE)
        .with_replacements(&NAME_REPLACEMENTS)
        .with_censor_threshold(threshold)
        .with_censor_first_character_threshold(Type::ANY)
        .with_censor_replacement('*');
    let (text, found) = censor.censor_and_analyze();
    (text.chars().collect(), found)
}

fn word_boundary(before: Option<char>, after: Option<char>) -> bool {
    match (before, after) {
        (Some(b), Some(a)) => !b.is_alphabetic() || !a.is_alphabetic(),
        _ => true,
    }
}

/// Blanks each run of two or more digits at the start or end of a word: it is a number
/// (`J12`, `Ace_07`, `neo2000`), which rustrict would otherwise read as letters.
fn mask_numbers(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_alphanumeric() {
            i += 1;
        }
        let word = &mut chars[start..i];
        let len = word.len();
        let lead = word.iter().take_while(|c| c.is_numeric()).count();
        let trail = word.iter().rev().take_while(|c| c.is_numeric()).count();
        if lead >= 2 {
            word[..lead].fill(' ');
        }
        if trail >= 2 && lead < len {
            word[len - trail..].fill(' ');
        }
    }
    chars.into_iter().collect()
}

/// `LuckyStar` → `Lucky Star`, so that no finding straddles the two words unnoticed.
fn split_camel_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = None;
    for c in text.chars() {
        if last.is_some_and(char::is_lowercase) && c.is_uppercase() {
            out.push(' ');
        }
        out.push(c);
        last = Some(c);
    }
    out
}

/// Blocks of scripts whose letters rustrict also reads as loose Latin look-alikes (Thai
/// `พ` as i, l, m, n or w; Georgian `ე` as c or o): in a name they are their own letters.
const OWN_LETTERS: &[(u32, u32)] = &[
    (0x0530, 0x08FF), // Armenian, Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic
    (0x0900, 0x0DFF), // Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil, …, Sinhala
    (0x0E00, 0x0FFF), // Thai, Lao, Tibetan
    (0x1000, 0x109F), // Myanmar
    (0x10A0, 0x10FF), // Georgian
    (0x1100, 0x11FF), // Hangul Jamo
    (0x1200, 0x139F), // Ethiopic
    (0x1780, 0x18AF), // Khmer, Mongolian
    (0x1C50, 0x1CBF), // Ol Chiki, Georgian extended
    (0x2D00, 0x2DDF), // Georgian supplement, Tifinagh, Ethiopic extended
    (0x2E80, 0x9FFF), // CJK, Kana, Bopomofo, Hangul compatibility Jamo
    (0xA000, 0xA63F), // Yi, Vai
    (0xAA00, 0xAAFF), // Cham, Tai Viet, Meetei Mayek extensions
    (0xABC0, 0xD7AF), // Meetei Mayek, Hangul syllables
];

/// Greek and Cyrillic (with Greek extended): their letters stand only for the Latin
/// letter they are confusable with (Unicode's confusables), not for loose look-alikes
/// (rustrict reads Cyrillic `ф` as o and `и` as n, so `Софија` as a slur).
const GREEK_AND_CYRILLIC: &[(u32, u32)] = &[(0x0370, 0x052F), (0x1F00, 0x1FFF)];

#[rustfmt::skip]
const CONFUSABLE: &[(char, char)] = &[
    ('α', 'a'), ('β', 'b'), ('γ', 'y'), ('ε', 'e'), ('η', 'n'), ('ι', 'i'), ('κ', 'k'),
    ('ν', 'v'), ('ο', 'o'), ('ρ', 'p'), ('τ', 't'), ('υ', 'u'), ('χ', 'x'), ('ω', 'w'),
    ('ϲ', 'c'), ('ϳ', 'j'), ('Α', 'a'), ('Β', 'b'), ('Ε', 'e'), ('Ζ', 'z'), ('Η', 'h'),
    ('Ι', 'i'), ('Κ', 'k'), ('Μ', 'm'), ('Ν', 'n'), ('Ο', 'o'), ('Ρ', 'p'), ('Τ', 't'),
    ('Υ', 'y'), ('Χ', 'x'), ('Ϲ', 'c'),
    ('а', 'a'), ('в', 'b'), ('г', 'r'), ('е', 'e'), ('ё', 'e'), ('һ', 'h'), ('і', 'i'),
    ('ї', 'i'), ('ј', 'j'), ('к', 'k'), ('ӏ', 'l'), ('о', 'o'), ('р', 'p'), ('ԛ', 'q'),
    ('с', 'c'), ('ѕ', 's'), ('у', 'y'), ('ԝ', 'w'), ('х', 'x'), ('ь', 'b'), ('ү', 'y'),
    ('ѡ', 'w'), ('А', 'a'), ('В', 'b'), ('Е', 'e'), ('Ѕ', 's'), ('І', 'i'), ('Ј', 'j'),
    ('К', 'k'), ('М', 'm'), ('Н', 'h'), ('О', 'o'), ('Р', 'p'), ('С', 'c'), ('Т', 't'),
    ('У', 'y'), ('Х', 'x'), ('Ү', 'y'), ('Ԛ', 'q'), ('Ԝ', 'w'), ('Ӏ', 'l'),
];

/// rustrict's look-alike letters, less those above. Built once (a few ms).
static NAME_REPLACEMENTS: LazyLock<Replacements> = LazyLock::new(|| {
    let mut replacements = Replacements::default();
    let latin: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
    let chars = |blocks: &'static [(u32, u32)]| {
        blocks
            .iter()
            .flat_map(|&(first, last)| (first..=last).filter_map(char::from_u32))
    };
    for c in chars(OWN_LETTERS) {
        for &l in &latin {
            replacements.remove(c, l);
        }
    }
    for c in chars(GREEK_AND_CYRILLIC) {
        let keep = CONFUSABLE.iter().find(|&&(g, _)| g == c).map(|&(_, l)| l);
        for &l in &latin {
            if Some(l.to_ascii_lowercase()) != keep {
                replacements.remove(c, l);
            }
        }
    }
    replacements
});

/// rustrict's words, with [`REAL_NAMES`] as false positives; `nga` and `pp` (endings of
/// many African and German names) count only at the start of a word; `phuck`, which
/// rustrict found only through `phuc`, a Vietnamese name, on its own.
static NAME_TRIE: LazyLock<Trie> = LazyLock::new(|| {
    let mut trie = Trie::default();
    for name in REAL_NAMES.split_whitespace() {
        trie.set(name, Type::NONE);
    }
    let moderate = Type::MODERATE;
    trie.set(
        " nga",
        (Type::PROFANE & moderate) | (Type::OFFENSIVE & Type::SEVERE) | (Type::EVASIVE & moderate),
    );
    trie.set(" pp", Type::SEXUAL & moderate);
    trie.set(
        "phuck",
        (Type::PROFANE & moderate) | (Type::SEXUAL & moderate) | (Type::EVASIVE & Type::MILD),
    );
    trie
});

/// Real names (and name parts, and gamer-tag words) that contain a word rustrict lists,
/// found by measuring `tests/data/names/ordinary.txt` and samples of names per language. A
/// false positive covers a finding that starts inside it, so `fuku` also passes Fukuda and
/// Fukushima. Accents are removed before matching (`phuc` is Phúc).
const REAL_NAMES: &str = "
    hancock hitchcock alcock glasscock cockburn cockerill cockcroft decock kock laycock
    hiscock adcock wilcock pocock simcock leacock maycock silcock kok kokkonen kokalj kokko
    dickinson dickson dickerson hardik
    cumming cummings cummins cummiskey cumhur cumbria cuman cumsud
    kumar kumari kumi kumer kumush
    fuku fuchs fagan fagerstrom fagerlund faggin faggioli
    pornthip pornchai pornpimol pornsak pornthep pornpan pornsawan supaporn siriporn
    kanyaporn jiraporn ratchaporn wanchaporn
    phuc bich dong dongoran ho hoek hoev hoef hoekstra hoare
    middlesex sexton assange assunta assuncao analia anai gleannain leannain doganalp
    anush hanus franusic iannuzzi arsene arsenio pearse shittu shitomi matsushita ishita
    nazim nazir nazif nasir nazlı nazzi zinnurova kikelomo rapelang coonan
    titmus titas tiit annus puusepp kuntz kuntal kunthara gunta guntars sinikka dubnicka
    koomson kilian nygard semenica szucs penas marry furrer rangga njoroge
    bautista tardif tardieu plantard reicher reichl reichert reichel reichmann
    kiss fanny butt butts weiner gaylord nigam nigar bumbry xxx vixen l33t
";
