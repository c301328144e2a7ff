//! The one 公文 recogniser behind every import format: lines of text (with what the format
//! knows of their layout) in, 公文要素 and a Markdown body out.
//!
//! It recognises a 红头 (发文机关标志 + `文件`), a standalone 发文字号, the title (wrapped over
//! lines, or wrapped in 《》), the 主送 line, the body, 附件说明, the signature and 成文日期
//! in every common form (`2024年5月10日`, `二〇二四年五月十日`, `2024.05.10`, `2024/5/10`,
//! `2024-05-10`), 抄送 and 印发 lines, `（此件公开发布）`, and header fields under their
//! common names, also letter-spaced (`索 引 号：`), several to a line, or in brackets
//! (`【制定机关】`). Traditional characters (號 發 關於) are recognised; text is kept as
//! written. Portal chrome (分享到, 扫一扫, 打印本页…) is dropped. The body becomes Markdown:
//! 一、 → `##`, （一） → `###`, `1.` items → a list; wrapped lines are rejoined.
//!
//! Every value records the source line it came from (for `--report`), and every unsure
//! value is a warning at its line and a `# REVIEW:` note in the written file.

use crate::date::Date;
use crate::diag::{Diagnostic, Loc};
use crate::docnum::{self, DocNumber};
use regex::Regex;
use std::sync::OnceLock;

/// One line (a paragraph for formats that have them) of a source, with its layout.
#[derive(Debug, Clone, Default)]
pub struct SourceLine {
    /// Where it is in the source: the line of a text file, the paragraph of a Word file.
    pub no: usize,
    pub text: String,
    pub hint: Hint,
}

/// What a format knows of a line's layout, for the recogniser's decisions.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hint {
    /// A whole paragraph: never joined to the previous line (Word, HTML).
    pub paragraph: bool,
    pub centered: bool,
    pub right: bool,
    /// Red text (a 红头), large text (a title).
    pub red: bool,
    pub large: bool,
    /// A heading level the source gave (Word styles, `<h2>`), 0 for none.
    pub heading: u8,
    /// Markdown the format wrote itself (a table row, an image): kept verbatim.
    pub verbatim: bool,
}

impl SourceLine {
    pub fn plain(no: usize, text: impl Into<String>) -> Self {
        SourceLine { no, text: text.into(), hint: Hint::default() }
    }
}

/// What the importer read from one source file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub title: String,
    pub attached_title: Option<String>,
    pub doc_number: Option<String>,
    pub index_number: Option<String>,
    pub issuer: Option<String>,
    pub written: Option<Date>,
    pub published: Option<Date>,
    pub effective: Option<Date>,
    pub expires: Option<Date>,
    /// `已废止`, `失效`, `已修改` from a 时效性 field (有效 is left to be derived).
    pub validity: Option<String>,
    pub topics: Vec<String>,
    pub disclosure: String,
    /// Set when a value that decides publication is unclear: held back until reviewed.
    pub draft: bool,
    pub doc_type: Option<String>,
    pub body: String,
    /// Notes for the editor, one per unsure value (also reported as warnings).
    pub review: Vec<String>,
    /// Every value found, with the source line it came from: (field, value, line).
    pub found: Vec<(&'static str, String, usize)>,
}

impl Parsed {
    fn note(&mut self, field: &'static str, value: impl Into<String>, line: usize) {
        self.found.push((field, value.into(), line));
    }
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

/// Traditional characters of 公文 vocabulary, read as simplified for recognising only
/// (the text is kept as written).
pub fn simplified(s: &str) -> String {
    const PAIRS: &[(char, char)] = &[
        ('號', '号'),
        ('發', '发'),
        ('關', '关'),
        ('於', '于'),
        ('辦', '办'),
        ('規', '规'),
        ('見', '见'),
        ('報', '报'),
        ('議', '议'),
        ('請', '请'),
        ('紀', '纪'),
        ('細', '细'),
        ('劃', '划'),
        ('決', '决'),
        ('頒', '颁'),
        ('佈', '布'),
        ('實', '实'),
        ('機', '机'),
        ('構', '构'),
        ('標', '标'),
        ('題', '题'),
        ('時', '时'),
        ('開', '开'),
        ('類', '类'),
        ('別', '别'),
        ('務', '务'),
        ('廳', '厅'),
        ('員', '员'),
        ('會', '会'),
        ('區', '区'),
        ('縣', '县'),
        ('國', '国'),
        ('門', '门'),
        ('為', '为'),
        ('條', '条'),
        ('處', '处'),
        ('進', '进'),
        ('團', '团'),
        ('協', '协'),
        ('貫', '贯'),
        ('徹', '彻'),
        ('傳', '传'),
        ('達', '达'),
        ('體', '体'),
        ('書', '书'),
        ('項', '项'),
        ('統', '统'),
        ('計', '计'),
        ('點', '点'),
        ('護', '护'),
        ('產', '产'),
        ('業', '业'),
        ('廣', '广'),
        ('東', '东'),
        ('陽', '阳'),
        ('長', '长'),
        ('來', '来'),
        ('屬', '属'),
        ('權', '权'),
        ('證', '证'),
        ('稱', '称'),
        ('効', '效'),
        ('現', '现'),
        ('廢', '废'),
        ('級', '级'),
        ('檔', '档'),
        ('單', '单'),
    ];
    s.chars().map(|c| PAIRS.iter().find(|(t, _)| *t == c).map_or(c, |(_, s)| *s)).collect()
}

/// Chinese numerals of a date (`二〇二四`, `十二`, `三十一`) as a number.
fn cn_number(s: &str, positional: bool) -> Option<u32> {
    let digit = |c: char| match c {
        '〇' | '零' | 'Ｏ' | 'O' | '0' => Some(0),
        c => "一二三四五六七八九".chars().position(|d| d == c).map(|p| p as u32 + 1),
    };
    if s.is_empty() {
        return None;
    }
    if positional {
        // A year is written digit by digit: 二〇二四.
        return s.chars().try_fold(0u32, |n, c| Some(n * 10 + digit(c)?));
    }
    // Months and days: 五, 十, 十二, 二十, 三十一.
    match s.chars().collect::<Vec<_>>().as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// `2024年5月10日`, `2024 年 05 月 10 日`, `二〇二四年五月十日`.
pub fn cn_date(s: &str) -> Option<Date> {
    static R: OnceLock<Regex> = OnceLock::new();
    let c = re(&R, r"^([0-9〇零一二三四五六七八九Ｏ]{4})\s*年\s*([0-9一二三四五六七八九十]{1,3})\s*月\s*([0-9一二三四五六七八九十]{1,3})\s*日$")
        .captures(s.trim())?;
    let num = |t: &str, pos: bool| t.parse::<u32>().ok().or_else(|| cn_number(t, pos));
    let (y, m, d) = (num(&c[1], true)?, num(&c[2], false)?, num(&c[3], false)?);
    Date::parse(&format!("{y:04}-{m:02}-{d:02}"))
}

/// A date in any common form; a time after it (`2024-05-16 10:30`) is ignored.
pub fn any_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let s = s.split([' ', '\u{3000}', 'T']).next().filter(|d| d.len() >= 8).unwrap_or(s);
    Date::parse(s).or_else(|| cn_date(s)).or_else(|| {
        let p: Vec<&str> = s.split(['-', '/', '.']).collect();
        (p.len() == 3 && p.iter().all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit())))
            .then(|| Date::parse(&format!("{}-{:0>2}-{:0>2}", p[0], p[1], p[2])))
            .flatten()
    })
}

/// "2024513" and the like: a date whose separators were lost. Returns the one reading that
/// is a real date, or `None` when there is none or more than one.
pub fn garbled_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if !(s.len() == 6 || s.len() == 7) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, rest) = s.split_at(4);
    let mut found = Vec::new();
    for cut in 1..rest.len() {
        let (m, d) = rest.split_at(cut);
        if let Some(date) = Date::parse(&format!("{y}-{m:0>2}-{d:0>2}")) {
            if m.len() <= 2 && d.len() <= 2 {
                found.push(date);
            }
        }
    }
    (found.len() == 1).then(|| found[0])
}

fn is_han(c: char) -> bool {
    crate::markdown::is_cjk(c)
}

/// Remove spaces between Chinese characters and make half-width punctuation next to
/// Chinese full-width.
pub fn tidy(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    // Whether a full-width （ was written: a later ) closes it as ）.
    let mut opened = false;
    for (i, &c) in chars.iter().enumerate() {
        let prev = out.chars().last();
        let next = chars[i + 1..].iter().copied().find(|c| !c.is_whitespace());
        let near_han = prev.is_some_and(is_han) || next.is_some_and(is_han);
        match c {
            ' ' | '\u{3000}' | '\u{a0}' if prev.is_some_and(is_han) && next.is_some_and(is_han) => {}
            ' ' | '\u{3000}' | '\u{a0}' if prev.is_some_and(is_han) && next.is_some_and(|n| "（(《“".contains(n)) =>
                {}
            ',' if near_han => out.push('，'),
            ':' if near_han && !next.is_some_and(|n| n == '/') => out.push('：'),
            ';' if near_han => out.push('；'),
            '(' if near_han => out.push('（'),
            ')' if near_han || opened => out.push('）'),
            '?' if near_han => out.push('？'),
            '!' if near_han => out.push('！'),
            c => out.push(c),
        }
        opened |= out.ends_with('（');
    }
    out
}

/// Escape what Markdown would read as markup in plain official text.
fn md_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|' | '\\') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// Page furniture: everything after one of these is not the document.
const CHROME_START: &[&str] =
    &["分享到", "打印 关闭", "【打印】", "【关闭】", "政策性文件留言咨询", "相关附件：", "相关稿件"];
/// Page furniture lines, dropped where they stand.
const CHROME_LINE: &[&str] = &[
    "打印",
    "关闭",
    "image.png",
    "打印本页",
    "关闭窗口",
    "扫一扫",
    "【打印本页】",
    "【关闭窗口】",
    "收藏",
    "纠错",
    "返回顶部",
];
const CHROME_PREFIX: &[&str] = &[
    "扫一扫",
    "附件下载",
    "相关解读",
    "相关链接",
    "【字体",
    "字体：",
    "字号：",
    "【字号",
    "浏览次数",
    "访问次数",
    "阅读次数",
    "点击数",
    "上一篇",
    "下一篇",
    "责任编辑",
    "【打印",
    "当前位置：",
    "您当前的位置",
    "您所在的位置",
    "网站首页 >",
    "首页 >",
    "首页>",
];

/// Header fields under their common names: (names, field). A name may be letter-spaced
/// (`索 引 号`) or in brackets (`【制定机关】`).
const HEADER_FIELDS: &[(&[&str], &str)] = &[
    (&["索引号", "索取号"], "index_number"),
    (&["发文机关", "发布机构", "制定机关", "发文单位", "发布单位"], "issuer"),
    (&["发文字号", "文号", "字号", "文件编号"], "doc_number"),
    (&["成文日期", "成文时间"], "written"),
    (&["发布日期", "公布日期", "发布时间", "公布时间"], "published"),
    (&["施行日期", "生效日期", "实施日期"], "effective"),
    (&["有效期至", "有效期", "失效日期", "废止日期"], "expires"),
    (&["时效性", "有效性"], "validity"),
    (&["主题分类", "主题类别", "分类"], "topics"),
    (&["公开方式", "公开类别", "公开属性", "公开形式"], "disclosure"),
    (&["标题", "名称", "文件名称"], "title"),
];

fn header_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        let mut names: Vec<&str> = HEADER_FIELDS.iter().flat_map(|(n, _)| n.iter().copied()).collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.chars().count())); // 有效期至 before 有效期
        let spaced: Vec<String> = names
            .iter()
            .map(|n| n.chars().map(|c| regex::escape(&c.to_string())).collect::<Vec<_>>().join(r"[\s\u{3000}]*"))
            .collect();
        let alt = spaced.join("|");
        Regex::new(&format!(r"(?:【({alt})】|\[({alt})\]|({alt})[\s\u{{3000}}]*[:：])[\s\u{{3000}}]*"))
            .expect("header regex")
    })
}

/// Whether `cell` is exactly a header field's name (`索引号`, `发文字号：`).
pub fn is_header_field(cell: &str) -> bool {
    header_field(cell.trim().trim_end_matches(['：', ':']).trim_matches(['【', '】'])).is_some()
}

/// Whether a text begins with a header field (`发布机构：…`, `【字号】…`).
pub fn starts_with_header_field(text: &str) -> bool {
    header_regex().captures(text).is_some_and(|c| c.get(0).is_some_and(|m| m.start() == 0))
}

/// Whether a table row's text holds a header field anywhere.
pub fn has_header_field(text: &str) -> bool {
    header_regex().is_match(text) || text.split_whitespace().any(is_header_field)
}

fn header_field(name: &str) -> Option<&'static str> {
    let n: String = simplified(name).chars().filter(|c| !c.is_whitespace() && *c != '\u{3000}').collect();
    HEADER_FIELDS.iter().find(|(names, _)| names.contains(&n.as_str())).map(|(_, f)| *f)
}

pub fn doc_type_of(title: &str) -> Option<String> {
    let t = simplified(title);
    crate::model::DOC_TYPES.iter().filter(|d| t.ends_with(*d)).max_by_key(|d| d.len()).map(|d| d.to_string())
}

pub fn looks_like_organ(s: &str) -> bool {
    let s = simplified(s);
    s.chars().count() <= 30
        && ["政府", "办公室", "办公厅", "委员会", "局", "委", "厅", "办", "院", "部", "署", "中心"]
            .iter()
            .any(|e| s.ends_with(e))
        && !s.contains(['，', '。', ',', '：', ':'])
}

/// The validity a 时效性 value states, when it is not plainly in force.
fn validity_of(v: &str) -> Option<&'static str> {
    let v = simplified(v);
    if v.contains("废止") {
        Some("已废止")
    } else if v.contains("失效") {
        Some("失效")
    } else if v.contains("修改") || v.contains("修订") {
        Some("已修改")
    } else if v.contains("尚未") || v.contains("未生效") {
        Some("尚未生效")
    } else {
        None
    }
}

/// Read a plain-text document. `src` names the file in warnings.
pub fn parse(src: &str, text: &str) -> (Parsed, Vec<Diagnostic>) {
    let lines = text.lines().enumerate().map(|(i, l)| SourceLine::plain(i + 1, l)).collect();
    recognise(src, lines)
}

/// Recognise a document from its lines. `src` names the file in warnings.
pub fn recognise(src: &str, input: Vec<SourceLine>) -> (Parsed, Vec<Diagnostic>) {
    static TOP: OnceLock<Regex> = OnceLock::new();
    static SUB: OnceLock<Regex> = OnceLock::new();
    static ITEM: OnceLock<Regex> = OnceLock::new();
    static ATTACHED: OnceLock<Regex> = OnceLock::new();
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    static NUM_IN_TEXT: OnceLock<Regex> = OnceLock::new();
    static PAGE_NO: OnceLock<Regex> = OnceLock::new();
    static PRINTED: OnceLock<Regex> = OnceLock::new();
    let mut warns = Vec::new();
    let mut p = Parsed { disclosure: "主动公开".into(), ..Default::default() };
    let warn = |warns: &mut Vec<Diagnostic>, p: &mut Parsed, line: usize, msg: String| {
        p.review.push(format!("{msg} (source line {line})"));
        warns.push(Diagnostic::warning(&Loc::new(src, line, 1), msg));
    };
    let page_no =
        re(&PAGE_NO, r"^[—–\-－─]{1,2}\s*[0-9]{1,4}\s*[—–\-－─]{1,2}$|^第\s*[0-9]+\s*页(\s*共\s*[0-9]+\s*页)?$");

    // 1. Lines, trimmed, chrome and page numbers dropped.
    let mut lines: Vec<SourceLine> = Vec::new();
    for l in input {
        // Control characters and Unicode line/paragraph separators come with text copied
        // from web pages; YAML would read them as line breaks or refuse them (found by the
        // importer fuzzer), and a reader cannot see them. They go.
        let raw: String = l
            .text
            .chars()
            .filter(|&c| (!c.is_control() || c == '\t') && !matches!(c, '\u{2028}' | '\u{2029}'))
            .collect();
        let t = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}' || c == '\u{feff}');
        if CHROME_START.iter().any(|c| t.starts_with(c)) {
            break;
        }
        if t.is_empty()
            || CHROME_LINE.contains(&t)
            || CHROME_PREFIX.iter().any(|c| t.starts_with(c))
            || page_no.is_match(t)
        {
            continue;
        }
        lines.push(SourceLine { no: l.no, text: t.to_string(), hint: l.hint });
    }

    // 2. Header fields (`发布机构:… 索取号:…`, `索 引 号：…`, `【字号】…`), on lines that
    //    start with one; those lines are not body text.
    let header_re = header_regex();
    let mut kept = Vec::new();
    let mut raw_number: Option<(String, usize)> = None;
    for l in lines.drain(..) {
        if l.hint.verbatim {
            kept.push(l);
            continue;
        }
        let marks: Vec<(usize, usize, &'static str)> = header_re
            .captures_iter(&l.text)
            .filter_map(|c| {
                let m = c.get(0)?;
                let name = c.get(1).or(c.get(2)).or(c.get(3))?.as_str();
                Some((m.start(), m.end(), header_field(name)?))
            })
            .collect();
        if marks.is_empty() || marks[0].0 > 0 {
            kept.push(l);
            continue;
        }
        for (k, (_, end, field)) in marks.iter().enumerate() {
            let stop = marks.get(k + 1).map_or(l.text.len(), |m| m.0);
            let v = l.text[*end..stop].trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}').to_string();
            if v.is_empty() {
                continue;
            }
            match *field {
                "published" => {
                    p.published = any_date(&v).or(p.published);
                    p.note("published", &v, l.no);
                }
                "written" => {
                    p.written = any_date(&v).or(p.written);
                    p.note("written", &v, l.no);
                }
                "effective" => {
                    p.effective = any_date(&v);
                    p.note("effective", &v, l.no);
                }
                "expires" => {
                    p.expires = any_date(&v);
                    p.note("expires", &v, l.no);
                }
                "validity" => {
                    p.validity = validity_of(&v).map(str::to_string);
                    p.note("validity", &v, l.no);
                }
                "topics" => {
                    p.topics = v
                        .split(['\\', '/', '、', ';', '；', ','])
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty())
                        .take(1)
                        .collect();
                    p.note("topics", &v, l.no);
                }
                "index_number" => {
                    p.index_number = Some(v.clone());
                    p.note("index_number", &v, l.no);
                }
                "issuer" => {
                    p.issuer = Some(tidy(&v));
                    p.note("issuer", &v, l.no);
                }
                "doc_number" => raw_number = Some((v, l.no)),
                "title" => {
                    p.title = tidy(&v);
                    p.note("title", &v, l.no);
                }
                "disclosure" => {
                    let simple = simplified(&v);
                    // The category named, even with words around it (`主动公开（全文）`).
                    match ["主动公开", "依申请公开", "不予公开"].iter().find(|d| simple.contains(*d)) {
                        Some(d) => {
                            p.disclosure = d.to_string();
                            p.note("disclosure", &v, l.no);
                        }
                        None => {
                            // Publishing is the one thing not to guess: hold it back.
                            let msg =
                                format!("unknown 公开类别 `{v}`; imported as `draft: true` until someone checks it");
                            warn(&mut warns, &mut p, l.no, msg);
                            p.draft = true;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut lines = kept;

    // 3. 红头, standalone 发文字号, title: before the 主送 line (or the first body
    //    paragraph when there is none).
    // The head ends at the 主送 line, or without one (a 公告, a 令) at the first sentence.
    let head_of = |lines: &[SourceLine]| -> usize {
        let salute = lines.iter().take(12).position(|l| {
            let t = &l.text;
            (t.ends_with('：') || t.ends_with(':')) && t.chars().count() <= 80 && !t.starts_with("附件")
        });
        salute.unwrap_or_else(|| {
            lines
                .iter()
                .take(8)
                .position(|l| l.text.chars().count() > 60 || l.text.ends_with(['。', '；']))
                .unwrap_or(0)
        })
    };
    let head_end = head_of(&lines);
    // A title already known (a header field, a meta tag, a semantic tag) is not body text
    // where the page shows it again, on one line or wrapped over several.
    if !p.title.is_empty() {
        let title = tidy(&p.title);
        let mut k = 0;
        while k < head_end.min(lines.len()) {
            let mut joined = String::new();
            let mut end = k;
            while end < head_end.min(lines.len()) && title.starts_with(&(joined.clone() + &tidy(&lines[end].text))) {
                joined.push_str(&tidy(&lines[end].text));
                end += 1;
                if joined == title {
                    break;
                }
            }
            if joined == title
                || (joined.chars().count() >= 8
                    && title.trim_matches(['《', '》']) == joined.trim_matches(['《', '》']))
            {
                lines.drain(k..end);
                break;
            }
            k += 1;
        }
    }
    let head_end = head_of(&lines);
    let mut drop = Vec::new();
    let mut title_lines: Vec<usize> = Vec::new();
    for (k, l) in lines.iter().enumerate().take(head_end) {
        if l.hint.verbatim {
            continue;
        }
        let t = tidy(&l.text);
        let simple = simplified(&t);
        if let Some(organ) = simple.strip_suffix("文件").filter(|o| looks_like_organ(o)) {
            let organ = t.chars().take(organ.chars().count()).collect::<String>();
            if p.issuer.is_none() {
                p.note("issuer", &organ, l.no);
                p.issuer = Some(organ);
            }
            drop.push(k);
        } else if !matches!(docnum::parse(&t), DocNumber::Invalid) && t.chars().count() < 30 {
            raw_number.get_or_insert((t, l.no));
            drop.push(k);
        } else if p.title.is_empty()
            && (simple.contains("关于")
                || doc_type_of(&simple).is_some()
                || l.hint.large
                || l.hint.heading == 1
                || !title_lines.is_empty())
        {
            // A title wrapped over lines: keep taking lines until it ends as a title does.
            let joined: String = title_lines.iter().map(|&j| tidy(&lines[j].text)).collect::<String>();
            let done = !title_lines.is_empty()
                && (doc_type_of(&joined).is_some() || joined.ends_with('》') || joined.ends_with('）'));
            if !done {
                title_lines.push(k);
                drop.push(k);
            }
        }
    }
    if p.title.is_empty() && !title_lines.is_empty() {
        let joined: String = title_lines.iter().map(|&j| tidy(&lines[j].text)).collect();
        p.note("title", &joined, lines[title_lines[0]].no);
        p.title = joined;
    }
    drop.sort_unstable();
    drop.dedup();
    for k in drop.into_iter().rev() {
        lines.remove(k);
    }
    // A title wrapped in 《》 as a whole (`《关于…的通知》`) loses the marks.
    if p.title.starts_with('《') && p.title.ends_with('》') && p.title.matches('《').count() == 1 {
        p.title = p.title.trim_start_matches('《').trim_end_matches('》').to_string();
    }
    if let Some((raw, line)) = raw_number {
        p.note("doc_number", &raw, line);
        match docnum::parse(&raw) {
            DocNumber::Canonical(c) => p.doc_number = Some(c),
            DocNumber::Variant(c) => {
                if raw.replace([' ', '\u{3000}'], "") != c && simplified(&raw).replace([' ', '\u{3000}'], "") != c {
                    warn(&mut warns, &mut p, line, format!("发文字号 `{raw}` written as `{c}`"));
                }
                p.doc_number = Some(c);
            }
            DocNumber::Invalid => {
                warn(&mut warns, &mut p, line, format!("发文字号 `{raw}` is not a valid 发文字号; left out"))
            }
        }
    }

    // 4. Dates, signature, 印发 line, (此件公开发布), attached document's title.
    let attached_re = re(&ATTACHED, r"^\d{4}年.{2,40}(要点|方案|办法|规定|细则|意见|计划|规划|措施|指引|清单)$");
    let printed_re = re(&PRINTED, r"^(.{2,40}?)\s*([0-9〇零一二三四五六七八九Ｏ]{4}\s*年.{1,8}日)\s*印发$");
    let mut body_lines: Vec<SourceLine> = Vec::new();
    for l in lines {
        if l.hint.verbatim {
            body_lines.push(l);
            continue;
        }
        let t = tidy(&l.text);
        if let Some(d) = cn_date(&t) {
            if p.written.is_none() {
                p.written = Some(d);
                p.note("written", &t, l.no);
                if let Some(prev) = body_lines.last() {
                    if looks_like_organ(&prev.text) && p.issuer.is_none() {
                        p.note("issuer", &prev.text, prev.no);
                        p.issuer = Some(prev.text.clone());
                    }
                }
            }
            body_lines.push(SourceLine { no: l.no, text: t, hint: l.hint });
            continue;
        }
        if let Some(d) = garbled_date(&t) {
            warn(&mut warns, &mut p, l.no, format!("成文日期 `{t}` is garbled; read as {d}"));
            if p.written.is_none() {
                p.written = Some(d);
                p.note("written", &t, l.no);
            }
            body_lines.push(SourceLine { no: l.no, text: d.chinese(), hint: l.hint });
            continue;
        }
        if t == "（此件公开发布）" || t == "(此件公开发布)" {
            p.disclosure = "主动公开".into();
            p.note("disclosure", &t, l.no);
            continue;
        }
        if printed_re.is_match(&t) {
            // 版记: `某某办公室 2024年5月10日印发` stays the last line of the body.
            p.note("printed", &t, l.no);
        }
        if p.attached_title.is_none() && attached_re.is_match(&t) {
            p.attached_title = Some(t.clone());
        }
        body_lines.push(SourceLine { no: l.no, text: t, hint: l.hint });
    }

    // 5. Titles: the notice's, derived from the attached document when the source has none.
    let quoted = re(&QUOTED, r"《([^《》]{4,60})》");
    if p.attached_title.is_none() {
        p.attached_title = body_lines.iter().take(6).find_map(|l| quoted.captures(&l.text).map(|c| c[1].to_string()));
    }
    if p.title.is_empty() {
        match &p.attached_title {
            Some(a) => {
                let line = body_lines.first().map_or(1, |l| l.no);
                p.title = format!("关于印发《{a}》的通知");
                let msg = format!("the source has no title; using `{}`", p.title);
                warn(&mut warns, &mut p, line, msg);
            }
            None => {
                let first = body_lines
                    .first()
                    .map(|l| (l.no, l.text.chars().take(40).collect::<String>()))
                    .unwrap_or((1, "未命名文件".into()));
                p.title = first.1.clone();
                let msg = format!("no title found; using the first line `{}`", p.title);
                warn(&mut warns, &mut p, first.0, msg);
            }
        }
    }
    p.doc_type = doc_type_of(&p.title);
    if p.issuer.is_none() {
        static REGION: OnceLock<Regex> = OnceLock::new();
        let region = p
            .attached_title
            .as_deref()
            .and_then(|a| re(&REGION, r"年(.{2,4}?[区县市])").captures(a).map(|c| c[1].to_string()));
        let line = body_lines.first().map_or(1, |l| l.no);
        match region {
            Some(r) => {
                let organ = format!("{r}人民政府");
                warn(&mut warns, &mut p, line, format!("发文机关 not stated; inferred `{organ}` from the title"));
                p.issuer = Some(organ);
            }
            None => warn(&mut warns, &mut p, line, "发文机关 not found; set `issuer`".into()),
        }
    }
    if p.published.is_none() {
        p.published = p.written;
    }

    // 6. References in the text that are broken 发文字号 (e.g. 沪府办字〔20245号).
    let num_re = re(&NUM_IN_TEXT, r"[\p{Han}]{1,12}[〔\[［(（【﹝][0-9]{1,8}[〕\]］)）】﹞]?[0-9]*\s*号");
    for l in body_lines.iter().filter(|l| !l.hint.verbatim) {
        for m in num_re.find_iter(&l.text) {
            let s = m.as_str();
            if s.contains(['〔', '[', '［', '【', '﹝']) && docnum::canonical(s).is_none() && !s.contains(['(', '（'])
            {
                warn(&mut warns, &mut p, l.no, format!("broken 发文字号 `{s}` in the text; kept as written"));
            }
        }
    }
    for l in body_lines.iter().filter(|l| !l.hint.verbatim) {
        if l.text.matches('《').count() != l.text.matches('》').count() {
            warn(&mut warns, &mut p, l.no, "unbalanced 《》 in the text; kept as written".into());
        }
    }

    // 7. Body: rejoin wrapped lines, then structure.
    let top = re(&TOP, r"^[一二三四五六七八九十]+、");
    let sub = re(&SUB, r"^[（(][一二三四五六七八九十]+[）)]");
    let item = re(&ITEM, r"^(\d{1,3})[.．、](\S)");
    let structural = |t: &str| top.is_match(t) || sub.is_match(t) || item.is_match(t) || cn_date(t).is_some();
    // A paragraph and how it is to be written.
    struct Para {
        text: String,
        hint: Hint,
    }
    let mut paras: Vec<Para> = Vec::new();
    for l in body_lines {
        let t = l.text;
        if let Some(prev) = paras.last_mut() {
            let ends = prev.text.ends_with(['。', '；', '：', '！', '？', '…', '”', '）', ')', '」', '』']);
            let prev_structural = structural(&prev.text)
                || p.attached_title.as_deref() == Some(prev.text.as_str())
                || looks_like_organ(&prev.text)
                || prev.text.starts_with("附件")
                || prev.hint.verbatim
                || prev.hint.heading > 0;
            let joinable = !l.hint.paragraph && !l.hint.verbatim && !l.hint.right && l.hint.heading == 0;
            if joinable
                && !ends
                && !prev_structural
                && !structural(&t)
                && !looks_like_organ(&t)
                && p.attached_title.as_deref() != Some(t.as_str())
                && prev.text.chars().count() > 20
            {
                prev.text.push_str(&t);
                continue;
            }
        }
        paras.push(Para { text: t, hint: l.hint });
    }
    let mut md = String::new();
    let mut in_list = false;
    let mut in_table = false;
    for Para { text: t, hint } in paras {
        let is_item = !hint.verbatim && item.is_match(&t);
        let is_row = hint.verbatim && t.starts_with('|');
        if (in_list && !is_item) || (in_table && !is_row) {
            md.push('\n');
        }
        in_list = is_item;
        in_table = is_row;
        if hint.verbatim {
            md.push_str(&t);
            md.push_str(if is_row { "\n" } else { "\n\n" });
        } else if p.attached_title.as_deref() == Some(t.as_str()) {
            md.push_str(&format!("## {}\n\n", md_escape(&t)));
        } else if hint.heading > 0 && t.chars().count() <= 60 {
            let level = "#".repeat(usize::from(hint.heading.clamp(2, 4)));
            md.push_str(&format!("{level} {}\n\n", md_escape(&t)));
        } else if top.is_match(&t) && t.chars().count() <= 40 && !t.ends_with('。') {
            md.push_str(&format!("## {}\n\n", md_escape(&t)));
        } else if sub.is_match(&t) {
            match t.find('。') {
                Some(i) if t[..i].chars().count() <= 40 => {
                    md.push_str(&format!("### {}\n\n", md_escape(&t[..i])));
                    let rest = t[i + '。'.len_utf8()..].trim();
                    if !rest.is_empty() {
                        md.push_str(&format!("{}\n\n", md_escape(rest)));
                    }
                }
                _ if t.chars().count() <= 40 => md.push_str(&format!("### {}\n\n", md_escape(&t))),
                _ => md.push_str(&format!("{}\n\n", md_escape(&t))),
            }
        } else if let Some(c) = item.captures(&t) {
            let n = c[1].to_string();
            let rest = &t[c.get(2).expect("group").start()..];
            md.push_str(&format!("{n}. {}\n", md_escape(rest)));
        } else {
            md.push_str(&format!("{}\n\n", md_escape(&t)));
        }
    }
    p.body = md.trim_end().to_string() + "\n";
    (p, warns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbled_dates_have_one_reading_or_none() {
        assert_eq!(garbled_date("2024513").map(|d| d.to_string()), Some("2024-05-13".into()));
        assert_eq!(garbled_date("2024111"), None, "2024-1-11 or 2024-11-1");
        assert_eq!(garbled_date("abc"), None);
    }

    #[test]
    fn dates_in_every_common_form() {
        for s in [
            "2024年5月10日",
            "2024 年 05 月 10 日",
            "二〇二四年五月十日",
            "2024.05.10",
            "2024/5/10",
            "2024-05-10",
            "2024-05-10 09:30",
        ] {
            assert_eq!(any_date(s).map(|d| d.to_string()).as_deref(), Some("2024-05-10"), "{s}");
        }
        assert_eq!(cn_date("二〇一一年五月三十日").map(|d| d.to_string()).as_deref(), Some("2011-05-30"));
        assert_eq!(cn_date("二〇二三年十二月三十一日").map(|d| d.to_string()).as_deref(), Some("2023-12-31"));
        assert_eq!(cn_date("二〇二三年十三月一日"), None);
    }

    #[test]
    fn tidies_chinese_text() {
        assert_eq!(
            tidy("上海市静安区人民政府办公室 关于印发《2023年静安区政务公开 工作要点》的通知"),
            "上海市静安区人民政府办公室关于印发《2023年静安区政务公开工作要点》的通知"
        );
        assert_eq!(tidy("各镇人民政府,街道办事处:"), "各镇人民政府，街道办事处：");
        assert_eq!(tidy("(责任单位:区政府办)"), "（责任单位：区政府办）");
    }

    #[test]
    fn header_fields_letter_spaced_bracketed_and_several_to_a_line() {
        let (p, _) = parse(
            "t.txt",
            "索 引 号：000014349/2024-00047　　主题分类：城乡建设、环境保护\n发文机关：国务院　成文日期：2024年05月10日\n标　　题：国务院关于加强生态环境保护的意见\n发文字号：国发〔2024〕12号　发布日期：2024年05月14日\n\n各省、自治区、直辖市人民政府：\n\n现提出如下意见。\n",
        );
        assert_eq!(p.index_number.as_deref(), Some("000014349/2024-00047"));
        assert_eq!(p.issuer.as_deref(), Some("国务院"));
        assert_eq!(p.doc_number.as_deref(), Some("国发〔2024〕12号"));
        assert_eq!(p.written.map(|d| d.to_string()).as_deref(), Some("2024-05-10"));
        assert_eq!(p.published.map(|d| d.to_string()).as_deref(), Some("2024-05-14"));
        assert_eq!(p.title, "国务院关于加强生态环境保护的意见");
        assert_eq!(p.topics, ["城乡建设"]);
        assert!(!p.body.contains("索引号") && !p.body.contains("索 引 号"), "{}", p.body);
        let (p, _) = parse(
            "l.txt",
            "上海市公共场所控制吸烟条例实施办法\n【制定机关】上海市人民政府 【字号】沪府令第5号 【公布日期】2011.05.30 【施行日期】2011.07.01 【时效性】现行有效\n\n第一条 为了实施条例，制定本办法。\n\n二〇一一年五月三十日\n",
        );
        assert_eq!(p.issuer.as_deref(), Some("上海市人民政府"));
        assert_eq!(p.doc_number.as_deref(), Some("沪府令第5号"));
        assert_eq!(p.published.map(|d| d.to_string()).as_deref(), Some("2011-05-30"));
        assert_eq!(p.effective.map(|d| d.to_string()).as_deref(), Some("2011-07-01"));
        assert_eq!(p.written.map(|d| d.to_string()).as_deref(), Some("2011-05-30"));
        assert_eq!(p.validity, None, "现行有效 is left to be derived");
        assert_eq!(p.title, "上海市公共场所控制吸烟条例实施办法");
    }

    #[test]
    fn wrapped_and_bracketed_titles_and_an_attachment_line_before_the_signature() {
        let (p, _) = parse(
            "w.txt",
            "上海市经济和信息化委员会关于印发《上海市推进\n工业互联网平台发展若干措施》的通知\n\n各有关单位：\n\n现将《上海市推进工业互联网平台发展若干措施》印发给你们，请认真贯彻执行。\n\n附件：上海市推进工业互联网平台发展若干措施\n上海市经济和信息化委员会\n2024年3月1日\n",
        );
        assert_eq!(p.title, "上海市经济和信息化委员会关于印发《上海市推进工业互联网平台发展若干措施》的通知");
        assert!(
            p.body.contains("附件：上海市推进工业互联网平台发展若干措施\n\n上海市经济和信息化委员会\n"),
            "{}",
            p.body
        );
        let (p, _) = parse(
            "b.txt",
            "《北京市人民政府办公厅关于加强政务公开工作的通知》\n发布日期:2023-06-01\n各区人民政府,市政府各委、办、局:\n为做好政务公开工作(以下简称公开),现通知如下。\n",
        );
        assert_eq!(p.title, "北京市人民政府办公厅关于加强政务公开工作的通知");
        assert!(p.body.contains("为做好政务公开工作（以下简称公开），现通知如下。"), "{}", p.body);
    }

    #[test]
    fn traditional_characters_are_recognised_and_kept() {
        let (p, _) = parse(
            "t.txt",
            "臺北市政府文件\n府發〔2024〕3號\n臺北市政府關於加強資訊公開的通知\n各局處：\n請照辦。\n臺北市政府\n2024年3月5日\n",
        );
        assert_eq!(p.issuer.as_deref(), Some("臺北市政府"));
        assert_eq!(
            p.doc_number.as_deref(),
            Some("府發〔2024〕3号"),
            "號 read as 号 (the contract's canonical form); the 代字 as written"
        );
        assert_eq!(p.title, "臺北市政府關於加強資訊公開的通知", "kept as written");
        assert_eq!(p.doc_type.as_deref(), Some("通知"));
    }
}
