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

/// A hash built from several pieces.
#[derive(Clone, Default)]
pub struct Hasher(xxhash_rust::xxh3::Xxh3);

impl Hasher {
    pub fn new() -> Self {
        Hasher(xxhash_rust::xxh3::Xxh3::new())
    }
    /// Seeded: the same pieces under another seed hash differently.
    pub fn with_seed(seed: u64) -> Self {
        Hasher(xxhash_rust::xxh3::Xxh3::with_seed(seed))
    }
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    /// A piece with its length first, so ("ab", "c") and ("a", "bc") differ.
    pub fn piece(&mut self, bytes: &[u8]) {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }
    pub fn digest(&self) -> u64 {
        self.0.digest()
    }
}

/// As a `std::hash::Hasher`, for values that derive `Hash` (a page's inputs key: see
/// `render::deps`). Within one binary the same value always feeds the same bytes; the
/// build cache is keyed by the binary, so that is all it needs.
impl std::hash::Hasher for Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        self.0.digest()
    }
}
