//! A small deterministic mutator: bit flips, interesting values, inserts, deletes, repeats and
//! splices, driven by a seeded xorshift generator so a run can be replayed from its seed.

/// Mutates inputs deterministically from a seed.
#[derive(Clone, Debug)]
pub struct Mutator {
    state: u64,
}

/// Byte values that often reach edge cases in length prefixes and varints.
const INTERESTING_BYTES: [u8; 10] = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, b'{', b'[', b'"'];

/// 4-byte big-endian lengths that probe limits.
const INTERESTING_LENGTHS: [u32; 6] = [
    0,
    1,
    0x7fff_ffff,
    0xffff_ffff,
    16 * 1024 * 1024,
    16 * 1024 * 1024 + 1,
];

impl Mutator {
    /// A mutator whose choices follow from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9e37_79b9_7f4a_7c15 | 1,
        }
    }

    /// The next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A mutated copy of `input`; `other` is spliced from sometimes. Outputs stay under
    /// `max_len` bytes.
    pub fn mutate(&mut self, input: &[u8], other: &[u8], max_len: usize) -> Vec<u8> {
        let mut out = input.to_vec();
        let rounds = 1 + self.below(4);
        for _ in 0..rounds {
            match self.below(8) {
                0 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] ^= 1 << self.below(8);
                }
                1 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] = INTERESTING_BYTES[self.below(INTERESTING_BYTES.len())];
                }
                2 => {
                    let i = self.below(out.len() + 1);
                    out.insert(i, self.next_u64() as u8);
                }
                3 if !out.is_empty() => {
                    let i = self.below(out.len());
                    let n = 1 + self.below((out.len() - i).min(16));
                    out.drain(i..i + n);
                }
                4 if !out.is_empty() => {
                    let i = self.below(out.len());
                    let n = 1 + self.below((out.len() - i).min(32));
                    let piece: Vec<u8> = out[i..i + n].to_vec();
                    let at = self.below(out.len() + 1);
                    out.splice(at..at, piece);
                }
                5 if !other.is_empty() => {
                    let i = self.below(other.len());
                    let n = 1 + self.below((other.len() - i).min(64));
                    let at = self.below(out.len() + 1);
                    out.splice(at..at, other[i..i + n].iter().copied());
                }
                6 => {
                    let len = INTERESTING_LENGTHS[self.below(INTERESTING_LENGTHS.len())];
                    let at = self.below(out.len() + 1);
                    out.splice(at..at, len.to_be_bytes());
                }
                _ => {
                    let at = self.below(out.len() + 1);
                    out.truncate(at);
                }
            }
        }
        out.truncate(max_len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_mutations() {
        let mut a = Mutator::new(42);
        let mut b = Mutator::new(42);
        for _ in 0..100 {
            assert_eq!(
                a.mutate(b"hello world", b"other", 64),
                b.mutate(b"hello world", b"other", 64)
            );
        }
    }
}
