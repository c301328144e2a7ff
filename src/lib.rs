//! gazette: a static site generator for government gazettes and active-disclosure
//! document libraries (主动公开公文库).
//!
//! The public API is what the binary, the integration tests and the fuzz targets use
//! (`cli`, `build`, and the parsers and checkers they exercise on their own); every other
//! module is crate-private.
//!
//! The tree shows the architecture (see ARCHITECTURE.md):
//! - `stages/`: the pipeline, one module per stage, data flowing one way:
//!   [`config`] → [`load`] → [`resolve`] → [`bodies`] → [`render`] → [`linkcheck`] →
//!   [`output`], driven by [`build`];
//! - `adapters/`: one module per third-party format: YAML in [`yaml`], Markdown in
//!   [`markdown`], templates in [`theme`], highlighting in [`highlight`], minification in
//!   [`minify`], the progress bar in [`progress`], HTTP checks in [`external`];
//! - `commands/`: [`cli`], [`serve`] and its fast edits [`live`], [`import`], [`init`];
//! - at the top: the content model ([`model`]), output URLs ([`routes`]), diagnostics
//!   ([`diag`]), and the small rules every stage shares ([`date`], [`docnum`], [`text`],
//!   [`tasks`]).
//!
//! Every module is also reachable at the crate root (`crate::load`), so a path names
//! the module, not the folder.

mod adapters;
mod commands;
mod stages;

pub mod build;
pub mod date;
pub mod diag;
pub(crate) mod docnum;
pub(crate) mod model;
pub(crate) mod routes;
pub(crate) mod tasks;
pub(crate) mod text;

pub use adapters::markdown;
pub(crate) use adapters::{allocator, external, hash, highlight, minify, progress, theme, utf8, yaml};
pub use commands::{cli, import};
pub(crate) use commands::{init, live, serve};
pub(crate) use stages::{bodies, cache, feeds, finder, inputs, lint, output, privacy, render, resolve};
pub use stages::{config, linkcheck, load, search};
