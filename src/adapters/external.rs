//! `gazette check --external`: are the external URLs the site links to alive?
//!
//! Government hosts answer "200" for pages that are gone, so a status code is not enough:
//! a page saying 页面不存在, a redirect to the portal's home page, and HTML served where a
//! PDF was linked all count as dead. 403, 429 and timeouts are retried with backoff and,
//! if they persist, reported as "needs review", apart from confirmed dead links.
//! Results that were fine are cached (`.gazette-cache/external-links.json`) for a day so
//! repeated runs are fast. The one module that knows the HTTP client (ureq).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct Settings {
    pub concurrency: usize,
    pub timeout: Duration,
    /// Extra attempts for answers that may be passing (403, 429, 5xx, timeouts).
    pub retries: u32,
    pub backoff: Duration,
    pub cache_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: 8,
            timeout: Duration::from_secs(15),
            retries: 2,
            backoff: Duration::from_millis(500),
            cache_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Dead(String),
    Review(String),
}

/// Phrases a "not found" page shows while answering 200.
const SOFT_404: &[&str] = &[
    "页面不存在",
    "页面未找到",
    "找不到页面",
    "您访问的页面不存在",
    "该页面不存在",
    "信息不存在",
    "页面已删除",
    "Page Not Found",
    "404 Not Found",
];

fn agent(s: &Settings) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(s.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("gazette-linkcheck/0.1 (+https://github.com/)")
        .build()
        .into()
}

fn is_home(path: &str) -> bool {
    let p = path.split(['?', '#']).next().unwrap_or("");
    matches!(
        p,
        "" | "/" | "/index.html" | "/index.htm" | "/index.shtml" | "/index.jsp" | "/index.php" | "/default.html"
    )
}

fn split_url(u: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = u.split_once("://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    Some((scheme, host, path))
}

fn join(base: &str, loc: &str) -> String {
    if loc.contains("://") {
        return loc.to_string();
    }
    let Some((scheme, host, path)) = split_url(base) else { return loc.to_string() };
    if let Some(rest) = loc.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    if loc.starts_with('/') {
        return format!("{scheme}://{host}{loc}");
    }
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{scheme}://{host}{dir}{loc}")
}

/// One attempt at a URL, following redirects by hand to see where they lead.
fn probe(agent: &ureq::Agent, url: &str) -> Verdict {
    let mut current = url.to_string();
    for _ in 0..6 {
        let mut resp = match agent.get(&current).call() {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => return Verdict::Review("timed out".into()),
            Err(e) => return Verdict::Dead(format!("cannot connect: {e}")),
        };
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            let Some(loc) = resp.headers().get("location").and_then(|v| v.to_str().ok()) else {
                return Verdict::Dead(format!("HTTP {status} without a Location"));
            };
            current = join(&current, loc);
            continue;
        }
        return match status {
            200..=299 => {
                let ctype =
                    resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
                let orig_path = split_url(url).map(|x| x.2).unwrap_or("");
                let final_path = split_url(&current).map(|x| x.2).unwrap_or("");
                if current != url && is_home(final_path) && !is_home(orig_path) {
                    return Verdict::Dead(format!("redirects to the site's home page ({current})"));
                }
                let wants_pdf = orig_path.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase().ends_with(".pdf");
                if wants_pdf && ctype.starts_with("text/html") {
                    return Verdict::Dead("HTML served where a PDF was linked".into());
                }
                if ctype.contains("html") || ctype.is_empty() {
                    let mut buf = Vec::new();
                    resp.body_mut().as_reader().take(256 * 1024).read_to_end(&mut buf).ok();
                    let body = String::from_utf8_lossy(&buf);
                    let title = body
                        .find("<title")
                        .and_then(|i| body[i..].find('>').map(|j| i + j + 1))
                        .and_then(|s| body[s..].find("</title").map(|e| &body[s..s + e]))
                        .unwrap_or("");
                    if title.contains("404") || SOFT_404.iter().any(|p| body.contains(p)) {
                        return Verdict::Dead("the page says it does not exist (soft 404)".into());
                    }
                }
                Verdict::Ok
            }
            403 | 429 => Verdict::Review(format!("HTTP {status}")),
            502..=504 => Verdict::Review(format!("HTTP {status}")),
            _ => Verdict::Dead(format!("HTTP {status}")),
        };
    }
    Verdict::Dead("too many redirects".into())
}

/// Check with retries: passing answers (review, 5xx) are retried with exponential backoff.
pub fn check_one(agent: &ureq::Agent, url: &str, s: &Settings) -> Verdict {
    let mut v = probe(agent, url);
    for attempt in 0..s.retries {
        let retry = matches!(&v, Verdict::Review(_)) || matches!(&v, Verdict::Dead(r) if r.starts_with("HTTP 5"));
        if !retry {
            break;
        }
        std::thread::sleep(s.backoff * 2u32.pow(attempt));
        v = probe(agent, url);
    }
    v
}

#[derive(Serialize, Deserialize, Default)]
struct Cache {
    /// url → unix time it was last seen alive.
    ok: HashMap<String, u64>,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Check every URL (in the given order: services first), in parallel with a bounded
/// number of workers, using and updating the cache file.
pub fn check_all(urls: &[String], cache_file: &Path, s: &Settings) -> BTreeMap<String, Verdict> {
    let mut cache: Cache =
        std::fs::read(cache_file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let fresh = |t: u64| now().saturating_sub(t) < s.cache_ttl.as_secs();
    let mut results: BTreeMap<String, Verdict> = BTreeMap::new();
    let mut todo: Vec<&String> = Vec::new();
    for u in urls {
        match cache.ok.get(u) {
            Some(&t) if fresh(t) => {
                results.insert(u.clone(), Verdict::Ok);
            }
            _ => todo.push(u),
        }
    }
    let queue = Mutex::new(todo.into_iter().rev().collect::<Vec<_>>());
    let done = Mutex::new(Vec::new());
    let agent = agent(s);
    std::thread::scope(|scope| {
        for _ in 0..s.concurrency.max(1) {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some(u) = next else { break };
                let v = check_one(&agent, u, s);
                done.lock().unwrap_or_else(|e| e.into_inner()).push((u.clone(), v));
            });
        }
    });
    let t = now();
    for (u, v) in done.into_inner().unwrap_or_default() {
        if v == Verdict::Ok {
            cache.ok.insert(u.clone(), t);
        } else {
            cache.ok.remove(&u);
        }
        results.insert(u, v);
    }
    cache.ok.retain(|_, &mut t| fresh(t));
    if let Some(dir) = cache_file.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(cache_file, serde_json::to_vec(&cache).unwrap_or_default()).ok();
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn joins_redirect_locations() {
        assert_eq!(join("https://a.gov.cn/x/y.html", "/"), "https://a.gov.cn/");
        assert_eq!(join("https://a.gov.cn/x/y.html", "z.html"), "https://a.gov.cn/x/z.html");
        assert_eq!(join("https://a.gov.cn/x/", "https://b.gov.cn/"), "https://b.gov.cn/");
        assert!(is_home("/index.html") && is_home("") && !is_home("/a/index.html"));
    }
}
