//! One module per third-party format or service, so a swap touches one file: YAML
//! (`yaml_serde`), Markdown (pulldown-cmark, ammonia), templates (Tera), highlighting
//! (syntect), minification (minify-html), the progress bar (indicatif), external link
//! checks (ureq), content hashes (xxhash-rust), UTF-8 checks (simdutf8), the memory
//! allocator (mimalloc). The server's crates (hyper, tokio, notify) live in
//! `commands::serve`.

pub mod allocator;
pub mod external;
pub mod hash;
pub mod highlight;
pub mod markdown;
pub mod minify;
pub mod progress;
pub mod theme;
pub mod utf8;
pub mod yaml;
