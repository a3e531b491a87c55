//! A bounded map of recently used values, for what an instance keeps to answer cheaply (dealt
//! practice courts, serialised views of matches): two generations, searched both; inserts go
//! to the young one, and when it is full it becomes the old one (the old one is dropped), so
//! what was used in the last generation stays and memory never holds more than twice the
//! capacity. No per-entry bookkeeping: a hit in the old generation moves the entry back.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct Recent<K, V> {
    per_generation: usize,
    maps: Mutex<[HashMap<K, V>; 2]>,
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// At most `per_generation` entries in each of the two generations.
    pub fn new(per_generation: usize) -> Recent<K, V> {
        Recent {
            per_generation: per_generation.max(1),
            maps: Mutex::new([HashMap::new(), HashMap::new()]),
        }
    }

    /// The value held for `key`, if any (a hit keeps it young).
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut maps = self.lock();
        if let Some(v) = maps[0].get(key) {
            return Some(v.clone());
        }
        let (k, v) = maps[1].remove_entry(key)?;
        Self::insert_young(&mut maps, self.per_generation, k, v.clone());
        Some(v)
    }

    /// Hold `value` for `key` (replacing what was held).
    pub fn insert(&self, key: K, value: V) {
        let mut maps = self.lock();
        maps[1].remove(&key);
        Self::insert_young(&mut maps, self.per_generation, key, value);
    }

    /// Forget `key`.
    pub fn remove<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut maps = self.lock();
        maps[0].remove(key);
        maps[1].remove(key);
    }

    /// How many entries are held (both generations).
    pub fn len(&self) -> usize {
        let maps = self.lock();
        maps[0].len() + maps[1].len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert_young(maps: &mut [HashMap<K, V>; 2], cap: usize, key: K, value: V) {
        if maps[0].len() >= cap && !maps[0].contains_key(&key) {
            maps[1] = std::mem::take(&mut maps[0]);
        }
        maps[0].insert(key, value);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, [HashMap<K, V>; 2]> {
        // A panic while holding the lock leaves the maps consistent (each call is one step).
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_two_generations_and_keeps_what_was_used() {
        let r = Recent::new(3);
        for k in 0..3 {
            r.insert(k, k * 10);
        }
        // The young generation is full: the next insert ages it.
        r.insert(3, 30);
        assert_eq!(r.len(), 4);
        // 0 is used again (in the old generation): it comes back young.
        assert_eq!(r.get(&0), Some(0));
        r.insert(4, 40);
        // Young {3, 0, 4} is full; the next insert drops the old {1, 2} and keeps 3, 0, 4.
        r.insert(5, 50);
        assert_eq!(r.get(&1), None);
        assert_eq!(r.get(&2), None);
        for (k, v) in [(0, 0), (3, 30), (4, 40), (5, 50)] {
            assert_eq!(r.get(&k), Some(v), "key {k}");
        }
        assert!(r.len() <= 6);
        for k in 100..200 {
            r.insert(k, k);
            assert!(r.len() <= 6, "never more than two generations");
        }
    }

    #[test]
    fn insert_replaces_and_remove_forgets() {
        let r: Recent<String, u32> = Recent::new(2);
        r.insert("a".into(), 1);
        r.insert("b".into(), 2);
        r.insert("c".into(), 3); // "a" and "b" are old now
        r.insert("a".into(), 4);
        assert_eq!(r.get("a"), Some(4));
        r.remove("a");
        r.remove("b");
        assert_eq!(r.get("a"), None);
        assert_eq!(r.get("b"), None);
        assert_eq!(r.get("c"), Some(3));
    }
}
