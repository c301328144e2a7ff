//! The document page (公文): 公文要素, validity, relations both ways, 阅办联动,
//! interpretations, FAQs, 任务分解, JSON-LD.

use super::{IssueLink, Link, Named};
use crate::diag::Diagnostic;
use crate::markdown::Heading;
use crate::model::{DocIx, Validity};
use crate::render::emit::{Alt, Crumb, Rendered};
use crate::render::plan::{issue_label, issue_url, RowView};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;
use std::borrow::Cow;

const TEMPLATE: &str = "document.html";

#[derive(Serialize)]
struct DocumentView<'a> {
    title: &'a str,
    number: Option<&'a str>,
    index_number: Option<&'a str>,
    issuers: Vec<Named<'a>>,
    doc_type: Option<&'a str>,
    written: Option<String>,
    written_cn: Option<String>,
    published: String,
    published_cn: String,
    effective: Option<String>,
    effective_cn: Option<String>,
    expires: Option<String>,
    expires_cn: Option<String>,
    normative: bool,
    registration: Option<&'a str>,
    validity: &'static str,
    validity_slug: &'static str,
    /// The repealing or amending document.
    validity_cause: Option<RowView<'a>>,
    validity_cause_label: &'static str,
    topics: &'a [String],
    attachments: Vec<Attachment<'a>>,
    services: Vec<Named<'a>>,
    faq: Vec<Qa<'a>>,
    interpretations: Vec<InterpLink<'a>>,
    relations: Vec<Relation<'a>>,
    cited_by: Vec<CitedBy<'a>>,
    issues: Vec<IssueLink>,
    topics_in: Vec<Link<'a>>,
    /// 需求侧标签, each linking its tag page.
    tags: Vec<Link<'a>>,
    translations: Vec<LangLink<'a>>,
    translation_of: Option<LangLink<'a>>,
    lang: Option<&'a str>,
    consult_url: Option<&'a str>,
    /// The rendered body, its 落款 marked (see `mark_signature`).
    body: Cow<'a, str>,
    /// A 落款 from the metadata when the body has none (shown in print).
    signature: Option<Signature<'a>>,
    toc: Vec<&'a Heading>,
    /// schema.org `Legislation`, safe inside `<script>`.
    jsonld: String,
    tasks: &'a [crate::tasks::Task],
}

#[derive(Serialize)]
struct Attachment<'a> {
    title: &'a str,
    url: String,
    ext: Option<String>,
}

#[derive(Serialize)]
struct Qa<'a> {
    q: &'a str,
    a: &'a str,
    updated: Option<String>,
}

#[derive(Serialize)]
struct InterpLink<'a> {
    title: &'a str,
    url: String,
    form: &'a str,
}

#[derive(Serialize)]
struct Relation<'a> {
    label: &'static str,
    rows: Vec<RowView<'a>>,
}

#[derive(Serialize)]
struct CitedBy<'a> {
    title: &'a str,
    url: String,
    /// The kind of item when it is not a document.
    kind: Option<&'static str>,
}

#[derive(Serialize)]
struct LangLink<'a> {
    lang: &'a str,
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct Signature<'a> {
    issuers: Vec<&'a str>,
    date: Option<String>,
}

impl<'a> Renderer<'a> {
    /// The inputs key of document `i`'s page (see `deps`).
    pub(in crate::stages::render) fn document_page_inputs(&self, i: usize) -> u64 {
        self.document_inputs(i, TEMPLATE)
    }

    pub(in crate::stages::render) fn document(&self, i: usize) -> Result<Rendered, Diagnostic> {
        let ix = self.ix;
        let c = &ix.content;
        let d = &c.documents[i];
        let r = &ix.rel[i];
        let dir = ix.url(ItemId::Doc(i));
        let inputs = self.document_page_inputs(i);
        if let Some(page) = self.reuse_inputs(routes::file(&dir), inputs, d.src.file()) {
            return Ok(page);
        }
        let body = self.bodies.body(ItemId::Doc(i));
        let mut faq: Vec<Qa> = d
            .faq
            .iter()
            .zip(&self.bodies.doc_faq[i])
            .map(|(q, a)| Qa { q: &q.q, a, updated: q.updated.map(|u| u.to_string()) })
            .collect();
        for &k in &r.faq_sets {
            for (q, a) in c.faqs[k].items.iter().zip(&self.bodies.faq_sets[k.0]) {
                faq.push(Qa { q: &q.q, a, updated: q.updated.map(|u| u.to_string()) });
            }
        }
        let rows_of = |v: &[ItemId]| -> Vec<RowView> { v.iter().map(|&t| self.target_row(t)).collect() };
        let relations: Vec<Relation> = [
            ("政策依据", &r.basis),
            ("配套文件", &r.supporting),
            ("以本文件为依据", &r.basis_of),
            ("本文件为其配套文件", &r.supporting_of),
            ("本文件修改了", &r.amends),
            ("本文件废止了", &r.repeals),
            ("修改本文件的文件", &r.amended_by),
            ("废止本文件的文件", &r.repealed_by),
            ("其他相关文件", &r.related),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(label, v)| Relation { label, rows: rows_of(v) })
        .collect();
        let cited_by = ix
            .cited_by
            .of(i)
            .iter()
            .map(|&t| CitedBy {
                title: ix.title(t),
                url: ix.url(t),
                kind: (!matches!(t, ItemId::Doc(_))).then(|| t.kind_label()),
            })
            .collect();
        let interpretations = r
            .interpretations
            .iter()
            .map(|&k| {
                let it = &c.interpretations[k];
                InterpLink { title: &it.title, url: ix.url(k.into()), form: &it.form }
            })
            .collect();
        let lang_of = |j: DocIx| c.documents[j].lang.as_deref().unwrap_or(&self.cfg.language);
        let lang_link = |j: DocIx| LangLink { lang: lang_of(j), title: &c.documents[j].title, url: ix.url(j.into()) };
        let issuers = ix.issuers(i);
        let issuer_names: Vec<&str> = issuers.iter().map(|o| o.name.as_str()).collect();
        // 落款 (GB/T 9704): mark the body's own 发文机关署名 and 成文日期 so they sit right-
        // aligned; a body without them gets a 落款 block (shown in print) from the metadata.
        let html = self.bodies.html(ix, ItemId::Doc(i));
        let (signed_body, has_sign) = mark_signature(super::html_of(&html), &issuer_names, d.written);
        let signature = (!has_sign).then(|| Signature { issuers: issuer_names, date: d.written.map(|w| w.chinese()) });

        let mut meta = self.meta(d.title.as_str(), "document", "documents", &dir);
        meta.has_code = body.is_some_and(|b| b.has_code);
        meta.breadcrumbs.push(Crumb { title: "公文库", url: routes::DOCUMENTS_PAGE });
        if let Some(lang) = &d.lang {
            meta.lang = lang;
        }
        if let Some(j) = r.translation_of {
            meta.alternates.push(Alt { lang: lang_of(j), url: ix.url(j.into()) });
        }
        for &j in &r.translations {
            meta.alternates.push(Alt { lang: lang_of(j), url: ix.url(j.into()) });
        }
        if !meta.alternates.is_empty() {
            meta.alternates.push(Alt { lang: meta.lang, url: dir.clone() });
        }
        let view = DocumentView {
            title: &d.title,
            number: d.doc_number.as_deref(),
            index_number: d.index_number.as_deref(),
            issuers: issuers.iter().map(|o| Named { name: &o.name, url: routes::organ(&o.id) }).collect(),
            doc_type: d.doc_type.as_deref(),
            written: d.written.map(|x| x.to_string()),
            written_cn: d.written.map(|x| x.chinese()),
            published: d.published.to_string(),
            published_cn: d.published.chinese(),
            effective: d.effective.map(|x| x.to_string()),
            effective_cn: d.effective.map(|x| x.chinese()),
            expires: d.expires.map(|x| x.to_string()),
            expires_cn: d.expires.map(|x| x.chinese()),
            normative: d.normative,
            registration: d.registration.as_deref(),
            validity: r.validity.label(),
            validity_slug: r.validity.slug(),
            validity_cause: r.validity_cause.map(|j| self.row(j.0)),
            validity_cause_label: if r.validity == Validity::Repealed { "废止文件" } else { "修改文件" },
            topics: &d.topics,
            attachments: d
                .attachments
                .iter()
                .map(|a| Attachment {
                    title: &a.title,
                    url: routes::encode_path(&a.path),
                    ext: a.path.rsplit_once('.').map(|(_, e)| e.to_uppercase()).filter(|e| e.len() <= 5),
                })
                .collect(),
            services: d
                .services
                .iter()
                .filter_map(|s| ix.services.get(s.as_str()))
                .map(|&k| Named { name: &c.services[k].name, url: c.services[k].url.clone() })
                .collect(),
            faq,
            interpretations,
            relations,
            cited_by,
            issues: r
                .issues
                .iter()
                .map(|&k| IssueLink { label: issue_label(&c.issues[k]), url: issue_url(&c.issues[k]) })
                .collect(),
            topics_in: r.topics.iter().map(|&k| Link { title: &c.topics[k].title, url: ix.url(k.into()) }).collect(),
            tags: super::tag_links(&d.tags),
            translations: r.translations.iter().map(|&j| lang_link(j)).collect(),
            translation_of: r.translation_of.map(lang_link),
            lang: d.lang.as_deref(),
            consult_url: d.consult_url.as_deref(),
            body: signed_body,
            signature,
            toc: body
                .map(|b| b.headings.iter().filter(|h| h.level <= 3).collect::<Vec<_>>())
                .filter(|h| h.len() >= 3)
                .unwrap_or_default(),
            jsonld: self.jsonld(i),
            tasks: self.tasks(i),
        };
        self.page(TEMPLATE, &dir, meta, "doc", view, d.src.file()).map(|page| page.with_inputs(inputs))
    }

    /// schema.org `Legislation` for a document, as a string safe inside `<script>`.
    fn jsonld(&self, i: usize) -> String {
        let ix = self.ix;
        let d = &ix.content.documents[i];
        let r = &ix.rel[i];
        // Without an absolute base_url, JSON-LD keeps the metadata and leaves every URL
        // out (CONTRACT §7: never relative URLs).
        let abs = |v: &[ItemId]| -> Vec<String> { v.iter().filter_map(|t| self.cfg.absolute(&ix.url(*t))).collect() };
        let url = self.cfg.absolute(&ix.url(ItemId::Doc(i)));
        let ld = Legislation {
            context: "https://schema.org",
            kind: "Legislation",
            id: url.as_deref(),
            url: url.as_deref(),
            name: &d.title,
            in_language: d.lang.as_deref().unwrap_or(&self.cfg.language),
            date_published: d.published.to_string(),
            legal_force: r.validity.schema_org(),
            passed_by: ix
                .issuers(i)
                .iter()
                .map(|o| Organization { kind: "GovernmentOrganization", name: &o.name })
                .collect(),
            identifier: d.doc_number.as_deref(),
            date: d.written.map(|w| w.to_string()),
            date_version: d.effective.map(|e| e.to_string()),
            legislation_type: d.doc_type.as_deref(),
            changes: abs(&r.amends),
            consolidates: abs(&r.repeals),
            based_on: abs(&r.basis),
            keywords: (!d.topics.is_empty()).then(|| d.topics.join(",")),
        };
        let json = serde_json::to_string(&ld).unwrap_or_default();
        if !json.contains(['<', '>', '&']) {
            return json;
        }
        json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
    }
}

/// schema.org `Legislation`; keys in the order a JSON object sorts them, optional ones
/// left out when empty.
#[derive(Serialize)]
struct Legislation<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "datePublished")]
    date_published: String,
    #[serde(rename = "inLanguage")]
    in_language: &'a str,
    #[serde(rename = "isBasedOn", skip_serializing_if = "Vec::is_empty")]
    based_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keywords: Option<String>,
    #[serde(rename = "legislationChanges", skip_serializing_if = "Vec::is_empty")]
    changes: Vec<String>,
    #[serde(rename = "legislationConsolidates", skip_serializing_if = "Vec::is_empty")]
    consolidates: Vec<String>,
    #[serde(rename = "legislationDate", skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(rename = "legislationDateVersion", skip_serializing_if = "Option::is_none")]
    date_version: Option<String>,
    #[serde(rename = "legislationIdentifier", skip_serializing_if = "Option::is_none")]
    identifier: Option<&'a str>,
    #[serde(rename = "legislationLegalForce")]
    legal_force: &'static str,
    #[serde(rename = "legislationPassedBy")]
    passed_by: Vec<Organization<'a>>,
    #[serde(rename = "legislationType", skip_serializing_if = "Option::is_none")]
    legislation_type: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Organization<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

/// Give the body's signature paragraphs (an issuer's name, the 成文日期 in Chinese) the
/// classes the stylesheets place as GB/T 9704 does. Returns the body and whether both
/// were found; the body is borrowed when nothing was marked.
fn mark_signature<'b>(html: &'b str, issuers: &[&str], written: Option<crate::date::Date>) -> (Cow<'b, str>, bool) {
    let mut out = Cow::Borrowed(html);
    let mut found_issuer = false;
    // memmem's reverse search (SIMD) over a body of tens of kilobytes, per page.
    let rfind = |hay: &str, needle: &str| memchr::memmem::rfind(hay.as_bytes(), needle.as_bytes());
    for n in issuers {
        let plain = format!("<p>{}</p>", crate::markdown::escape(n));
        if let Some(i) = rfind(&out, &plain) {
            let marked = format!("<p class=\"signature\">{}</p>", crate::markdown::escape(n));
            out.to_mut().replace_range(i..i + plain.len(), &marked);
            found_issuer = true;
        }
    }
    let mut found_date = false;
    if let Some(w) = written {
        let plain = format!("<p>{}</p>", w.chinese());
        if let Some(i) = rfind(&out, &plain) {
            out.to_mut().replace_range(i..i + plain.len(), &format!("<p class=\"sign-date\">{}</p>", w.chinese()));
            found_date = true;
        }
    }
    (out, found_issuer && found_date || (issuers.is_empty() && found_date))
}
