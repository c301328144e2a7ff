//! The memory allocator: mimalloc (the one module that knows it).
//!
//! A build is millions of short-lived strings and vectors made on two or more threads
//! (front matter, Markdown events, template values, search terms) and freed on others.
//! Under glibc's allocator a quarter of a 100,000-document build's CPU went to malloc
//! and free (`_int_malloc`, `malloc_consolidate`, `unlink_chunk`, …); with mimalloc the
//! same builds run some 20 % faster (BENCHMARKS.md, session 10).
//!
//! Built with `no_thp` (Cargo.toml): on Linux with transparent huge pages on, mimalloc's
//! eagerly committed arenas were backed by 2 MB pages, which raised a build's peak by
//! 5–35 % and kept `serve --watch` 60–100 MB above where it started after twenty
//! rebuilds of a small site (glibc: 4 MB; tests/serve.rs allows 100). Without huge pages
//! both are back at glibc's figures and the speed stays.
//!
//! Not under `cargo fuzz` (`cfg(fuzzing)`): the sanitizers there watch the system
//! allocator's calls.

#[cfg(not(fuzzing))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hand freed memory back to the OS: between the stages of a one-off build, and in serve
/// once a build is reported (`build::Laps`, `serve::session`).
pub fn release_free_memory() {
    // SAFETY: mi_collect only returns free memory of mimalloc's own heaps.
    #[cfg(not(fuzzing))]
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
    // SAFETY: malloc_trim only returns free memory of glibc's own arenas (what is still
    // allocated there: C code's, and everything under `cargo fuzz`).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
