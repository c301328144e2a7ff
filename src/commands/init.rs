//! `gazette init DIR`: a small site that builds as it is, showing each content kind.

use std::path::Path;

const FILES: &[(&str, &str)] = &[
    // The build output, the link-check cache, and the lock and staging folders a build
    // keeps beside its output.
    (".gitignore", "/public\n/.gazette-cache\n.*.gazette-*\n"),
    ("gazette.yaml", "title: 示例区人民政府 政府信息公开\nbase_url: https://www.example.gov.cn/\nlanguage: zh-CN\nfooter:\n  organizer: 示例区人民政府办公室\n  site_code: \"3100000000\"\n  icp: 沪ICP备00000000号\n  contact: 021-00000000\n# 需求侧标签目录: documents' `tags` come from these values (tags/, finder/).\ntag_catalog:\n  适用对象: [企业, 个人, 社会组织]\n  生命周期: [企业开办, 经营发展, 就业, 养老]\n"),
    ("content/organs.yaml", "- id: qzf\n  name: 示例区人民政府\n  short_name: 区政府\n- id: qzfb\n  name: 示例区人民政府办公室\n  short_name: 区府办\n  parent: qzf\n"),
    ("content/services.yaml", "- id: gkxx-sq\n  name: 政府信息公开申请\n  url: https://zwdt.example.gov.cn/item/gkxx\n  organ: qzfb\n"),
    ("content/documents/2024/qfb-2024-1.md", "---\ntitle: 示例区人民政府办公室关于印发《2024年示例区政务公开工作要点》的通知\ndoc_number: 示府办发〔2024〕1号\nindex_number: 000000000A/2024-00001\nissuer: qzfb\ndoc_type: 通知\nwritten: 2024-05-10\npublished: 2024-05-16\ntopics: [政务公开]\ntags: [企业, 个人]\nservices: [gkxx-sq]\n---\n\n各镇人民政府、街道办事处，区政府各部门：\n\n现将《2024年示例区政务公开工作要点》印发给你们，请认真贯彻落实。\n\n## 一、总体要求\n\n坚持以公开为常态、不公开为例外。\n\n## 二、重点任务\n\n### （一）深化重点领域信息公开\n\n及时发布政策文件，做好**“政策解读”**工作。\n"),
    ("content/interpretations/jd-qfb-2024-1.md", "---\ntitle: 《2024年示例区政务公开工作要点》解读\ninterprets: qfb-2024-1\nform: 文字\npublished: 2024-05-17\n---\n\n本次印发的[工作要点](doc:qfb-2024-1#二重点任务)共两部分。依据示府办发〔2024〕1号……\n"),
    ("content/faqs/qfb-2024-1.yaml", "for: qfb-2024-1\nitems:\n  - q: 如何申请政府信息公开？\n    a: 可通过[在线申请](service:gkxx-sq)提交。\n"),
    ("content/gazette/2024-1.yaml", "year: 2024\nnumber: 1\ntotal: 1\npublished: 2024-05-31\nsections:\n  - title: 区政府办公室文件\n    items: [qfb-2024-1]\n"),
    ("content/topics/zwgk.md", "---\ntitle: 政务公开\nmatch:\n  topics: [政务公开]\n---\n\n政务公开相关政策。\n"),
    ("content/pages/guide.md", "---\ntitle: 政府信息公开指南\n---\n\n## 一、主动公开\n\n本机关主动公开的政府信息……\n"),
];

pub fn init(dir: &Path) -> Result<(), String> {
    if dir.join("gazette.yaml").exists() {
        return Err(format!("{} already holds a gazette site (gazette.yaml exists)", dir.display()));
    }
    for (path, text) in FILES {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    Ok(())
}
