//! Copy on write for the parts of a match: a store changes a copy of a match (so a refused
//! change leaves the stored one as it was) and readers hold the match they read, so a match is
//! copied on every change. The big, mostly unchanging parts of it — the players, every round,
//! a round's hands, pars and computer opponents' plans — are [`Shared`]: a copy takes a pointer
//! to each, and only the part a change touches is copied (in a move, the current round without
//! its deal: its moves). Serialised as the value itself.

use serde::{Deserialize, Serialize};
use std::ops::Deref;
use std::sync::Arc;

#[derive(Default, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(value))
    }
}

impl<T: Clone> Shared<T> {
    /// The value, to change: copied first if another copy of the match shares it.
    pub fn make_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.0.as_ref().into_iter()
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Shared<T> {
        Shared::new(value)
    }
}

/// Equal values; a part two copies still share is equal without a look at it.
impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Shared<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_until_it_is_changed_and_compares_by_value() {
        let a = Shared::new(vec![String::from("jam")]);
        let mut b = a.clone();
        assert!(
            std::ptr::eq(a.as_ptr(), b.as_ptr()),
            "a copy takes a pointer"
        );
        b.make_mut().push("toast".into());
        assert_eq!(
            (a.len(), b.len()),
            (1, 2),
            "a change copies: the original is as it was"
        );
        assert_ne!(a, b);
        let c = Shared::new(vec![String::from("jam")]);
        assert_eq!(a, c, "equal values are equal, shared or not");
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"["jam","toast"]"#);
        let back: Shared<Vec<String>> = serde_json::from_str(r#"["jam","toast"]"#).unwrap();
        assert_eq!(back, b);
    }
}
