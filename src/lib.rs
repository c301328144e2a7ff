//! gazette: a static site generator for government gazettes and active-disclosure
//! document libraries (主动公开公文库).
//!
//! The pipeline runs one way, one module per stage (see ARCHITECTURE.md):
//! [`config`] → [`load`] → [`resolve`] → [`bodies`] → [`render`] → [`linkcheck`] →
//! [`output`], driven by [`build`]. Third-party formats each live behind one module:
//! YAML in [`yaml`], Markdown in [`markdown`], templates in [`theme`], highlighting in
//! [`highlight`], minification in [`minify`].

pub mod bodies;
pub mod build;
pub mod cache;
pub mod cli;
pub mod config;
pub mod date;
pub mod diag;
pub mod docnum;
pub mod external;
pub mod feeds;
pub mod highlight;
pub mod import;
pub mod init;
pub mod linkcheck;
pub mod live;
pub mod load;
pub mod markdown;
pub mod minify;
pub mod model;
pub mod output;
pub mod privacy;
pub mod progress;
pub mod render;
pub mod resolve;
pub mod routes;
pub mod search;
pub mod serve;
pub mod tasks;
pub mod text;
pub mod theme;
pub mod yaml;
