//! `gazette check --external` against a real HTTP server on 127.0.0.1 that answers each
//! case government hosts produce: 200, 301→200, 404, 500, soft 404, slow, 429, a redirect
//! to the portal home, and HTML where a PDF was linked.

mod common;
use common::*;
use std::time::Duration;

/// Serve the cases until 300 requests or 60 s idle, then stop by itself.
fn start_server() -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind");
    let port = server.server_addr().to_ip().expect("ip").port();
    std::thread::spawn(move || {
        for _ in 0..300 {
            let Ok(Some(req)) = server.recv_timeout(Duration::from_secs(60)) else { break };
            std::thread::spawn(move || {
                let html = |body: &str| {
                    tiny_http::Response::from_string(format!(
                        "<!DOCTYPE html><html><head><title>页</title></head><body>{body}</body></html>"
                    ))
                    .with_header("Content-Type: text/html; charset=utf-8".parse::<tiny_http::Header>().expect("h"))
                };
                let redirect = |code: u16, to: &str| {
                    tiny_http::Response::from_string("")
                        .with_status_code(code)
                        .with_header(format!("Location: {to}").parse::<tiny_http::Header>().expect("h"))
                };
                let url = req.url().to_string();
                let _ = match url.as_str() {
                    "/" => req.respond(html("门户首页")),
                    "/ok" => req.respond(html("办事指南")),
                    "/moved" => req.respond(redirect(301, "/ok")),
                    "/gone" => req.respond(html("").with_status_code(404)),
                    "/error" => req.respond(html("").with_status_code(500)),
                    "/soft" => req.respond(html("对不起，您访问的页面不存在")),
                    "/slow" => {
                        std::thread::sleep(Duration::from_secs(3));
                        req.respond(html("慢"))
                    }
                    "/busy" => req.respond(html("").with_status_code(429)),
                    "/old/page.html" => req.respond(redirect(302, "/")),
                    "/doc.pdf" => req.respond(html("不是PDF")),
                    "/real.pdf" => req.respond(
                        tiny_http::Response::from_string("%PDF-1.4")
                            .with_header("Content-Type: application/pdf".parse::<tiny_http::Header>().expect("h")),
                    ),
                    _ => req.respond(html("").with_status_code(404)),
                };
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn site(base: &str, service_path: &str) -> Site {
    let s = Site::new();
    s.write("content/services.yaml", &format!("- id: sq\n  name: 在线申请\n  url: {base}{service_path}\n"));
    let links: String =
        ["/ok", "/moved", "/gone", "/error", "/soft", "/slow", "/busy", "/old/page.html", "/doc.pdf", "/real.pdf"]
            .iter()
            .map(|p| format!("- [{p}]({base}{p})\n"))
            .collect();
    s.write("content/documents/a.md", &doc("a", "services: [sq]\n", &links));
    s.write("content/documents/b.md", &doc("b", "", &format!("另见[失效链接]({base}/gone)。")));
    s
}

fn check(s: &Site, report: &std::path::Path) -> Run {
    let r =
        s.run(&["check", "--external", "--timeout", "1", "--retries", "1", "--report", report.to_str().expect("utf8")]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

#[test]
fn external_links_are_classified_and_reported_with_their_pages() {
    let base = start_server();
    let s = site(&base, "/ok");
    let report = s.root().join("links.json");
    let r = check(&s, &report);
    assert_eq!(r.code, 0, "dead body links are warnings while every service link works:\n{}", r.stderr);
    for (path, word) in [
        ("/gone", "dead link"),
        ("/error", "dead link"),
        ("/soft", "soft 404"),
        ("/old/page.html", "home page"),
        ("/doc.pdf", "PDF"),
    ] {
        let d = r.diag(&format!("{base}{path}`"));
        assert!(r.stderr.contains(word), "{path}: {word}\n{}", r.stderr);
        assert!(d.contains("warning:"), "{d}");
    }
    for path in ["/slow", "/busy"] {
        assert!(r.diag(&format!("{base}{path}`")).contains("needs review"), "{path} is review, not dead");
    }
    for path in ["/ok`", "/moved`", "/real.pdf`"] {
        assert!(!r.stderr.contains(&format!("{base}{path}")), "{path} is fine:\n{}", r.stderr);
    }
    let gone = r.stderr.split(&format!("dead link `{base}/gone`")).nth(1).expect("gone reported");
    let block: String = gone
        .lines()
        .take_while(|l| !l.contains("dead link") && !l.contains("needs review"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        block.contains("documents/a/index.html") && block.contains("documents/b/index.html"),
        "every page linking it:\n{block}"
    );

    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let links = v["links"].as_array().expect("links");
    let find = |u: &str| links.iter().find(|l| l["url"] == u).unwrap_or_else(|| panic!("{u} not in report"));
    assert_eq!(find(&format!("{base}/gone"))["status"], "dead");
    assert_eq!(find(&format!("{base}/ok"))["status"], "ok");
    assert_eq!(find(&format!("{base}/busy"))["status"], "review");
    let gone_b = links
        .iter()
        .find(|l| l["url"] == format!("{base}/gone") && l["page"] == "documents/b/index.html")
        .expect("b's link");
    assert_eq!(gone_b["source"], "content/documents/b.md");
    assert_eq!(gone_b["line"], 8, "the Markdown line of the link");
    assert!(
        links.iter().any(|l| l["external"] == false && l["status"] == "ok"),
        "internal links are in the report too"
    );
}

#[test]
fn a_dead_service_link_fails_the_check_and_ok_results_are_cached() {
    let base = start_server();
    let s = site(&base, "/gone");
    let report = s.root().join("links.json");
    let r = check(&s, &report);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let d = r.diag(&format!("dead link `{base}/gone`"));
    assert!(d.starts_with("content/services.yaml:1:") && d.contains("error:"), "{d}");
    let cache = std::fs::read_to_string(s.root().join(".gazette-cache/external-links.json")).expect("cache written");
    assert!(cache.contains(&format!("{base}/ok")) && !cache.contains(&format!("{base}/gone\"")));
}

#[test]
fn check_external_never_requests_the_sites_own_urls() {
    // Before launch the site's own canonical URLs do not answer yet: they are not
    // external links, so they are neither requested nor reported.
    let base = start_server();
    let s = site(&base, "/ok");
    s.write("gazette.yaml", &format!("title: 测试区政府信息公开\nbase_url: {base}/site/\n"));
    s.write("content/documents/c.md", &doc("c", "", &format!("见[本站文件]({base}/site/documents/a/)。")));
    let report = s.root().join("links.json");
    let r = check(&s, &report);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{base}/gone")), "other links are still checked:\n{}", r.stderr);
    assert!(!r.stderr.contains(&format!("{base}/site/")), "own URLs reported:\n{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let own: Vec<&serde_json::Value> = v["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter(|l| l["url"].as_str().is_some_and(|u| u.starts_with(&format!("{base}/site/"))))
        .collect();
    assert!(!own.is_empty(), "the body's link to the site itself is in the report");
    assert!(own.iter().all(|l| l["status"] == "own site"), "{own:#?}");
}
