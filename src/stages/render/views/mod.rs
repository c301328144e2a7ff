//! One typed view per page kind: what its template reads, borrowed from the site where
//! it can be. These structs are the template context of the theme (a site's own
//! templates see the same fields).

mod decision;
mod document;
mod home;
mod indexes;
mod interpretation;
mod issue;
mod listing;
mod page;
mod special;
mod tags;
mod topic;

use serde::Serialize;

/// A titled link to a page of the site (site-relative URL).
#[derive(Serialize)]
pub(super) struct Link<'a> {
    pub title: &'a str,
    pub url: String,
}

/// A named link (an organ, a service).
#[derive(Serialize)]
pub(super) struct Named<'a> {
    pub name: &'a str,
    pub url: String,
}

/// A body's HTML as `Bodies::html` hands it out, or nothing.
pub(super) fn html_of(body: &Option<std::sync::Arc<String>>) -> &str {
    body.as_deref().map_or("", String::as_str)
}

/// A document's 需求侧标签, each linking its tag page.
pub(super) fn tag_links(tags: &[String]) -> Vec<Link<'_>> {
    tags.iter().map(|t| Link { title: t, url: crate::routes::tag(&crate::routes::path_segment(t)) }).collect()
}

/// A gazette issue as linked from other pages.
#[derive(Serialize)]
pub(super) struct IssueLink {
    pub label: String,
    pub url: String,
}

/// An item with a count (topics, organs, facet values).
#[derive(Serialize)]
pub(super) struct Counted<'a> {
    pub title: &'a str,
    pub url: String,
    pub count: usize,
}
