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

/// How long mimalloc keeps memory freed by the program before handing it back to the OS
/// on its own, in `serve` (its default: one second, ten for whole arena slices).
const SERVE_PURGE_DELAY_MS: std::os::raw::c_long = 60_000;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (`include/mimalloc.h`; the
/// sys crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keep memory freed during a build for the next one (`serve`), until
/// [`release_free_memory`] hands it back. A rebuild at 10,000 documents allocates some
/// hundred megabytes that its stages free again: handed back after each build (or a second
/// after it was freed), the next build faulted all of it in anew, a tenth to a fifth of
/// its time (BENCHMARKS.md, session 19). Costs serve's resident memory the build's peak
/// while edits keep coming (+70 MB at 10,000 documents).
pub fn hold_freed_memory() {
    // SAFETY: sets one of mimalloc's options; any value is valid.
    #[cfg(not(fuzzing))]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, SERVE_PURGE_DELAY_MS);
    }
}

/// Hand freed memory back to the OS: between the stages of a one-off build, and in serve
/// once it has been idle for a while (`build::Laps`, `serve::next_batch`).
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
