//! How a player's text is quoted back in a message.

/// Characters of a player's word (or id) quoted back in an error, at most.
pub const QUOTED_MAX: usize = 40;

/// `w`, or its first [`QUOTED_MAX`] characters and an ellipsis.
pub fn quoted(w: &str) -> std::borrow::Cow<'_, str> {
    match w.char_indices().nth(QUOTED_MAX) {
        None => w.into(),
        Some((cut, _)) => format!("{}…", &w[..cut]).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_back_whole_or_cut_on_a_character() {
        assert_eq!(quoted("music"), "music");
        let w = "é".repeat(QUOTED_MAX);
        assert_eq!(quoted(&w), w);
        let cut = quoted(&"é".repeat(QUOTED_MAX + 1)).into_owned();
        assert_eq!(cut, format!("{}…", "é".repeat(QUOTED_MAX)));
    }
}
