//! The commands beside the pipeline: argument parsing and printing (`cli`), the server and
//! its fast edits (`serve`, `live`), and `import` and `init`, which write sites.

pub mod cli;
pub mod import;
pub mod init;
pub mod live;
pub mod serve;
