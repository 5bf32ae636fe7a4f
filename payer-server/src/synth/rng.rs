//! A small deterministic pseudo-random generator: xoshiro256** seeded by SplitMix64.
//!
//! Not for cryptography. The same seed gives the same sequence on every platform, which
//! is all the generator needs; [`Rng::fork`] derives independent streams (one per member,
//! one for the provider directory) so that adding members does not change earlier ones.

/// xoshiro256** (Blackman and Vigna, 2018).
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: [u64; 4],
}

/// One step of SplitMix64, the recommended way to seed xoshiro from one `u64`.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`.
    pub(crate) fn new(seed: u64) -> Rng {
        let mut sm = seed;
        Rng {
            state: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// An independent generator for stream `stream` of `seed` (e.g. one per member).
    pub(crate) fn fork(seed: u64, stream: u64) -> Rng {
        let mut sm = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::new(splitmix64(&mut sm))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A uniform number in `0..n` (`0` when `n` is 0), without modulo bias.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift with rejection of the biased low zone.
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            // The low 64 bits of the product (truncation intended).
            let low = product as u64;
            if low >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// A uniform integer in `low..=high` (`low` when the range is empty).
    pub(crate) fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low).saturating_add(1);
        low.wrapping_add_unsigned(self.below(span))
    }

    /// A uniform index into a collection of `len` items (`0` when empty).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        usize::try_from(self.below(len)).unwrap_or(0)
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < u64::from(percent)
    }

    /// A uniformly chosen item of a non-empty list (the embedded code lists).
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        debug_assert!(!items.is_empty(), "pick from an empty list");
        &items[self.index(items.len())]
    }

    /// A copy of a uniformly chosen item of a non-empty list.
    pub(crate) fn choose<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }

    /// An item chosen with probability proportional to its weight; the first item when
    /// all weights are zero.
    pub(crate) fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, weight)| u64::from(*weight)).sum();
        let mut ticket = self.below(total);
        for (item, weight) in items {
            let weight = u64::from(*weight);
            if ticket < weight {
                return item;
            }
            ticket -= weight;
        }
        &items[0].0
    }

    /// `value` varied by up to ±`percent` %, at least 1.
    pub(crate) fn vary(&mut self, value: i64, percent: i64) -> i64 {
        let spread = value.saturating_mul(percent) / 100;
        self.range(value - spread, value + spread).max(1)
    }

    /// A shuffled copy of the indexes `0..len` (Fisher-Yates).
    pub(crate) fn permutation(&mut self, len: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        for i in (1..len).rev() {
            let j = self.index(i + 1);
            order.swap(i, j);
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
        assert_ne!(Rng::fork(7, 1).next_u64(), Rng::fork(7, 2).next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let x = rng.range(-3, 3);
            assert!((-3..=3).contains(&x));
            assert!(rng.below(10) < 10);
        }
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.below(0), 0);
        let mut order = rng.permutation(10);
        order.sort_unstable();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    }
}
