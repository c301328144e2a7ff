//! gazette: a static site generator for government gazettes and active-disclosure
//! document libraries (主动公开公文库).
//!
//! The public API is what the binary, the integration tests and the fuzz targets use
//! (`cli`, `build`, and the parsers and checkers they exercise on their own); every other
//! module is crate-private.
//!
//! The pipeline runs one way, one module per stage (see ARCHITECTURE.md):
//! [`config`] → [`load`] → [`resolve`] → [`bodies`] → [`render`] → [`linkcheck`] →
//! [`output`], driven by [`build`]. Third-party formats each live behind one module:
//! YAML in [`yaml`], Markdown in [`markdown`], templates in [`theme`], highlighting in
//! [`highlight`], minification in [`minify`].

pub(crate) mod bodies;
pub mod build;
pub(crate) mod cache;
pub mod cli;
pub mod config;
pub mod date;
pub mod diag;
pub(crate) mod docnum;
pub(crate) mod external;
pub(crate) mod feeds;
pub(crate) mod highlight;
pub mod import;
pub(crate) mod init;
pub mod linkcheck;
pub(crate) mod live;
pub mod load;
pub mod markdown;
pub(crate) mod minify;
pub(crate) mod model;
pub(crate) mod output;
pub(crate) mod privacy;
pub(crate) mod progress;
pub(crate) mod render;
pub(crate) mod resolve;
pub(crate) mod routes;
pub mod search;
pub(crate) mod serve;
pub(crate) mod tasks;
pub(crate) mod text;
pub(crate) mod theme;
pub(crate) mod yaml;
