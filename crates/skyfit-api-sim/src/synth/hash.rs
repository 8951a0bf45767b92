//! splitmix64: a cheap, well-mixed, stateless hash. Used instead of a global RNG so that any
//! record can be generated from its index alone, in any order, on any thread.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 finaliser.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A tiny per-record random stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream of record `index` of entity `tag` under `seed`.
    #[inline]
    pub fn new(seed: u64, tag: u64, index: u64) -> Self {
        Rng(mix(seed ^ mix(tag ^ mix(index))))
    }

    /// A stream from a raw state.
    #[inline]
    pub fn from_state(state: u64) -> Self {
        Rng(mix(state))
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n == 0`), by multiply-shift (no modulo bias worth caring about).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `pct`/100.
    #[inline]
    pub fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// A uniformly chosen element (slices passed here are never empty).
    #[inline]
    pub fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items
            .get(self.below(items.len() as u64) as usize)
            .copied()
            .unwrap_or("")
    }
}

/// A uniform float in `[0, 1)` from a hash, for fault probabilities.
#[inline]
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A lowercase hex string of `len` chars derived from a seed (Pipedrive field keys, tokens).
pub fn hex_id(seed: u64, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut rng = Rng::from_state(seed);
    while out.len() < len {
        let v = rng.next_u64();
        for shift in (0..16).rev() {
            if out.len() == len {
                break;
            }
            let nib = ((v >> (shift * 4)) & 0xF) as u8;
            out.push(char::from(if nib < 10 {
                b'0' + nib
            } else {
                b'a' + nib - 10
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..4).map(|i| Rng::new(1, 2, i).next_u64()).collect();
        let b: Vec<u64> = (0..4).map(|i| Rng::new(1, 2, i).next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
        assert_eq!(hex_id(7, 40).len(), 40);
    }
}
