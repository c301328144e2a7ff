//! Content hashes (xxhash-rust's XXH3, 64 bits): page keys, the inputs record, the link
//! gate's targets, memo keys, the binary's fingerprint. Fast and stable across runs and
//! machines (cache files are compared with values computed by later builds); not
//! cryptographic, which nothing here needs.

/// Maps and sets keyed by what the program itself made (output paths, ids, content
/// hashes), hashed with rustc-hash's FxHash instead of std's SipHash: SipHash's DoS
/// resistance buys nothing for a site's own paths, and it was the largest part of
/// resolving the index and of offering 300,000 output files at 100,000 documents.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
pub type FastSet<K> = rustc_hash::FxHashSet<K>;

/// The hash of `bytes`.
pub fn of(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Bytes a [`Hasher`] gathers before it starts XXH3's streaming state.
const GATHER: usize = 256;

/// A hash built from several pieces: the XXH3 of their bytes one after another.
///
/// Most keys are a few hundred bytes fed a field at a time (a page's inputs key hashes
/// each neighbour's key, 8 bytes at a go). XXH3's streaming state is some 600 bytes, made
/// with a copy of its secret (derived anew for a seed), and each `update` is a call that
/// appends to its buffer: at 100,000 documents that was most of the ~110 ms of CPU spent
/// on the pages' inputs keys in every serve rebuild. So the bytes are gathered here first
/// and hashed in one call when they fit; only a longer input goes through the streaming
/// state, and then still a buffer at a time: a record's sum is fed a field at a time
/// (4 and 8 bytes), and a call into the streaming state for each was 126 M of the
/// 1,526 M instructions of a build after one body edit at 10,000 documents. XXH3 gives
/// the same digest for the same bytes however they are cut (a unit test holds this to
/// the streaming digest), so no key changes with it.
#[derive(Clone)]
pub struct Hasher {
    seed: u64,
    gathered: [u8; GATHER],
    len: usize,
    /// The streaming state, once the bytes outgrew `gathered`: it has every byte before
    /// those gathered.
    stream: Option<Box<xxhash_rust::xxh3::Xxh3>>,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher::new()
    }
}

impl Hasher {
    pub fn new() -> Self {
        Hasher::with_seed(0)
    }
    /// Seeded: the same pieces under another seed hash differently.
    pub fn with_seed(seed: u64) -> Self {
        Hasher { seed, gathered: [0; GATHER], len: 0, stream: None }
    }
    #[inline]
    pub fn update(&mut self, bytes: &[u8]) {
        match self.gathered.get_mut(self.len..self.len + bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.spill(bytes),
        }
    }
    /// Past `GATHER` bytes: the bytes gathered into the streaming state, and `bytes`
    /// gathered anew (into the state too when they are as long as the buffer).
    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        let seed = self.seed;
        let stream = self.stream.get_or_insert_with(|| Box::new(xxhash_rust::xxh3::Xxh3::with_seed(seed)));
        stream.update(&self.gathered[..self.len]);
        self.len = 0;
        match self.gathered.get_mut(..bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len = bytes.len();
            }
            None => stream.update(bytes),
        }
    }
    /// A piece with its length first, so ("ab", "c") and ("a", "bc") differ.
    #[inline]
    pub fn piece(&mut self, bytes: &[u8]) {
        self.update(&(bytes.len() as u64).to_le_bytes());
        self.update(bytes);
    }
    pub fn digest(&self) -> u64 {
        match &self.stream {
            None => xxhash_rust::xxh3::xxh3_64_with_seed(&self.gathered[..self.len], self.seed),
            Some(stream) if self.len == 0 => stream.digest(),
            Some(stream) => {
                let mut stream = stream.clone();
                stream.update(&self.gathered[..self.len]);
                stream.digest()
            }
        }
    }
}

/// As a `std::hash::Hasher`, for values that derive `Hash` (a page's inputs key: see
/// `render::deps`). Within one binary the same value always feeds the same bytes; the
/// build cache is keyed by the binary, so that is all it needs.
impl std::hash::Hasher for Hasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
    fn finish(&self) -> u64 {
        self.digest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gathered or streamed, the digest is XXH3's streaming digest of the same bytes, for
    /// inputs on both sides of `GATHER`, fed in pieces of every size, with and without a seed.
    #[test]
    fn digests_are_xxh3s_of_the_bytes_fed() {
        let bytes: Vec<u8> = (0..1200u32).map(|i| (i * 31 % 251) as u8).collect();
        for seed in [0, 7, 0x4011_e27c_0000_0001] {
            for len in [0, 1, 8, 100, 240, 241, 255, 256, 257, 300, 511, 512, 513, 1200] {
                for step in [1, 3, 8, 64, 255, 256, 700] {
                    let mut ours = Hasher::with_seed(seed);
                    let mut theirs = xxhash_rust::xxh3::Xxh3::with_seed(seed);
                    for chunk in bytes[..len].chunks(step) {
                        ours.update(chunk);
                        theirs.update(chunk);
                    }
                    assert_eq!(ours.digest(), theirs.digest(), "seed {seed}, {len} bytes in steps of {step}");
                    assert_eq!(ours.digest(), xxhash_rust::xxh3::xxh3_64_with_seed(&bytes[..len], seed));
                }
            }
        }
        assert_eq!(Hasher::new().digest(), of(b""));
    }
}
