"""The strip stage: rule table, tail, title, audit fields, and the seeds."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import records, strip
from pipeline.runner import Skip


@pytest.fixture(scope="module")
def rules():
    return strip.load_rules()


def reason_of(line: str, rules, *, before: str = "", after: str = "") -> str | None:
    """The reason ``line`` is removed with, in an article that has body around it."""
    body = "这是正文的第一段，内容足够长，不会被当作模板删除。\n" * 3
    text = f"{body}{before}{line}\n{after}{body}"
    _, removed = strip.strip_lines(text, rules)
    target = body.count("\n") + before.count("\n")
    return next((r["reason"] for r in removed if r["line"] == target), None)


@pytest.mark.parametrize("line, reason", [
    ("![]()", "image"),
    ("![图片](http://x/y.jpg)", "image"),
    ("文/竇文雪", "byline"),
    ("文丨江思遠(yuǎn)", "byline"),
    ("文 | 华商韬略 耳令", "byline"),
    ("作者：张三", "byline"),
    ("记者 刘涛", "byline"),
    ("編輯/子夜", "editor"),
    ("责任编辑：王五", "editor"),
    ("責任編輯:王五", "editor"),
    ("（ 责任编辑：魏喆 ）", "editor"),
    ("来源：新华网", "source"),
    ("來源:新華網", "source"),
    ("本文来自微信公众号“光锥智能”，作者：郝鑫", "source"),
    ("本文來自微信公眾號「光錐智能」", "source"),
    ("圖源智譜官網", "caption"),
    ("图源：视觉中国", "caption"),
    ("題圖來源:智譜官網(wǎng)", "caption"),
    ("题图来自：Unsplash", "caption"),
    ("▲唐杰介绍悟道大模型团队组建,智源研究院", "caption"),
    ("(本文頭圖來源于智譜官網。)", "caption"),
    ("特別聲明:以上內容(如有圖片或視頻亦包括在內)為自媒體平臺“網易號”用戶上傳并發布,本平臺僅提供信息存儲服務。",
     "disclaimer"),
    ("特别声明：以上内容为自媒体平台“网易号”用户上传并发布，本平台仅提供信息存储服务。", "disclaimer"),
    ("Notice: The content above (including the pictures and videos if any) is uploaded and posted by a user of "
     "NetEase Hao, which is a social media platform and only provides information storage services.", "disclaimer"),
    ("声明：该文观点仅代表作者本人，搜狐号系信息发布平台，搜狐仅提供信息存储空间服务。", "disclaimer"),
    ("返回搜狐，查看更多", "disclaimer"),
    ("海量资讯、精准解读，尽在新浪财经APP", "disclaimer"),
    ("未经授权，不得转载", "disclaimer"),
    ("国产av一二三区|日本不卡动作网站|黄色天天久久影片|99草成人免费在线视频", "spam"),
    ("網(wǎng)易首頁 > 網(wǎng)易號(hào) > 正文 申請(qǐng)入駐", "navigation"),
    ("您的位置：主页>艺术教育>院校招生资讯", "navigation"),
    ("無障礙瀏覽 進入關懷版", "navigation"),
    ("分享至", "share"),
    ("分享到 微信 微博 QQ空间", "share"),
    ("点赞 12 收藏 3", "share"),
    ("京公網安備 11011402013531號", "registration"),
    ("京ICP证000009号", "registration"),
    ("点击上方蓝字关注我们", "follow_prompt"),
    ("點擊上方藍字關注", "follow_prompt"),
    ("阅读原文", "follow_prompt"),
    ("點擊閱讀原文", "follow_prompt"),
    ("长按识别二维码关注", "follow_prompt"),
    ("掃碼關注公眾號", "follow_prompt"),
    ("点个在看", "follow_prompt"),
    ("請加入成為眾新聞的月費訂戶，長期支持我們的工作。所有訂戶都可以收到我們的「每周時事」通訊 。", "follow_prompt"),
    ("月費訂戶 [網址：hkcnews.com/aboutus/#subscribe](/web/20211207172248/https://www.hkcnews.com/)", "follow_prompt"),
    ("---", "separator"),
    ("****", "separator"),
    ("**博客 | 讀者來論**", "byline"),
])
def test_boilerplate_line_is_removed_with_its_reason(line, reason, rules):
    assert reason_of(line, rules) == reason


@pytest.mark.parametrize("line", [
    "1、被曝上市前裁員、多位高管離職,智譜怎么了?",           # section heading
    "01 調整業務線智譜重整商業化棋盤",                          # numbered heading
    "C端困局:AI不相信“先來後到”",                              # heading with a colon
    "智譜帶來 AI 市場估值新敘事。",                             # standfirst
    "記者:你為甚麼選擇離開?",                                   # interview question
    "大模型技術的完全自主可控,是我們最核心的一項競爭力。",
    "扫码支付已经成为城市生活的日常，老人却常常被挡在门外。",  # about QR codes, not a footer
    "收入、成本和利润三者的关系是这次讨论的重点。",
    "↓ 流程图从这里开始 ↓",                                      # arrows are not captions
    "2025",
])
def test_body_line_is_kept(line, rules):
    assert reason_of(line, rules) is None


def test_lone_counter_goes_only_before_a_share_widget(rules):
    assert reason_of("0", rules, after="分享至\n") == "share"
    assert reason_of("0", rules, after="正文继续。\n") is None


def test_first_line_outlet_and_author(rules):
    kept, removed = strip.strip_lines("光錐智能 葉紅魚\n有望首家沖刺上市的六小虎之一智譜,成了近期的焦點。", rules)
    assert removed == [{"line": 0, "text": "光錐智能 葉紅魚", "reason": "byline"}]
    kept, removed = strip.strip_lines("正文第一段。\n光錐智能 葉紅魚\n正文第二段。", rules)
    assert removed == []


def test_related_tail_removes_everything_after(rules):
    body = "\n".join(f"正文第{i}段，讲的是一件事情的来龙去脉。" for i in range(6))
    text = body + "\n相關(guān)推薦\n某標題\n\n某賬號\n2025-12-24 13:38:59\n無障礙瀏覽 進入關懷版"
    kept, removed = strip.strip_lines(text, rules)
    assert [ln for _, ln in kept] == body.split("\n")
    assert [r["line"] for r in removed] == [6, 7, 9, 10, 11]
    assert {r["reason"] for r in removed} == {"related"}


def test_related_block_in_the_middle_ends_at_the_next_paragraph(rules):
    """HK portals put 相關報道 and its links mid-article; the article goes on after them."""
    before = "\n".join(f"正文第{i}段，讲的是一件事情的来龙去脉。" for i in range(6))
    links = "相關報道：\n[「雙學三子」案　上訴庭副庭長VS原審裁判官判詞](https://example.org/a)\n某標題，一句話。"
    after = ("本港共有7間裁判法院，聆訊控罪範圍廣泛，包括 [簡易程序罪行和可公訴罪行](https://example.org/b) ，"
             "較嚴重的可公訴罪行會移交區域法院或高等法院原訟法庭審理。法院每年處理的案件數以十萬計。")
    kept, removed = strip.strip_lines(f"{before}\n{links}\n{after}\n最後一段也是正文。", rules)
    assert [ln for _, ln in kept] == [*before.split("\n"), after, "最後一段也是正文。"]
    assert [(r["line"], r["reason"]) for r in removed] == [(6, "related"), (7, "related"), (8, "related")]


@pytest.mark.parametrize("line, body", [
    ("某標題，一句話。", False),
    ("晚一點，好一點。商業的真相總是在晚點。《晚點LatePost》官方賬號", False),   # a teaser: two ends, 28 characters
    ("[一條很長的鏈接標題，但是鏈接的網址不算字數](https://example.org/" + "x" * 200 + ")", False),
    ("社民連主席吳文遠，因去年向時任特首梁振英投擲三文治，結果誤中梁身後的署理總督察，被控普通襲擊罪。案件早前審結。", True),
    ("段" * 80, True),
])
def test_looks_like_body(line, body):
    assert strip.looks_like_body(line) is body


def test_related_heading_near_the_top_is_not_a_tail(rules):
    text = "相关推荐\n" + "\n".join(f"正文第{i}段，讲的是一件事情的来龙去脉。" for i in range(6))
    kept, removed = strip.strip_lines(text, rules)
    assert removed == [] and len(kept) == 7  # too early to be a tail; the heading stays, audit shows it


def test_title_line_dropped_only_at_the_top(rules):
    text = "智譜沖刺上市\n正文第一段。\n智譜沖刺上市"
    kept, removed = strip.strip_lines(text, rules, title="智譜沖刺上市")
    assert removed == [{"line": 0, "text": "智譜沖刺上市", "reason": "title"}]
    assert [ln for _, ln in kept] == ["正文第一段。", "智譜沖刺上市"]


def test_record_audit_fields_and_warning(rules):
    record = {"id": "a", "source": "a.txt", "outlet": "", "title": "", "text": "![]()\n編輯/子夜\n正文。"}
    out = strip.process_record(record, rules)
    assert list(out)[:4] == ["id", "source", "outlet", "title"]
    assert out["text"] == "正文。"
    assert [r["line"] for r in out["removed"]] == [0, 1]
    assert out["removed_share"] == round(10 / 13, 6)
    assert out["warnings"] == ["strip removed 77% of the text (2 lines)"]


def test_nothing_left_is_skipped(rules):
    with pytest.raises(Skip, match="no body left after strip"):
        strip.process_record({"id": "a", "source": "a.txt", "text": "![]()\n分享至\n\n"}, rules)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_strip_never_raises_and_accounts_for_every_line(text):
    rules = strip.load_rules()
    kept, removed = strip.strip_lines(text, rules)
    lines = text.split("\n")
    seen = sorted([i for i, _ in kept] + [r["line"] for r in removed])
    assert seen == [i for i, ln in enumerate(lines) if strip.line_key(ln)]
    assert len(seen) == len(set(seen))


# ------------------------------------------------------------------ the seeds


def seed_records(seed_outputs):
    return {r["id"]: r for r in records.read_jsonl(seed_outputs / "02_strip" / "articles.jsonl")}


def test_seeds_boilerplate_gone_and_body_kept(seed_outputs):
    by_prefix = {k[:3]: v for k, v in seed_records(seed_outputs).items()}
    assert set(by_prefix) == {"000", "001", "002", "003", "004"}
    gone = {
        "000": ["![]()", "文/竇文雪", "編輯/子夜", "圖源智譜官網", "(本文頭圖來源于智譜官網。)", "特別聲明", "Notice:"],
        "001": ["![]()", "特別聲明", "Notice:"],
        "002": ["光錐智能 葉紅魚", "京公網安備"],
        "003": ["文 | 华商韬略 耳令", "▲唐杰"],
        "004": ["国产av", "網(wǎng)易首頁", "分享至", "文丨江思遠(yuǎn)", "題圖來源", "特別聲明", "Notice:",
                "相關(guān)推薦", "熱點(diǎn)推薦", "秋楓未語", "2025-12-24", "往期回顧", "無障礙瀏覽", "財(cái)經(jīng)要聞"],
    }
    kept = {
        "000": ["預計將在10月完成上市輔導計劃的智譜", "1、被曝上市前裁員、多位高管離職,智譜怎么了?",
                "綜合來看,智譜必須要盡快證明自己能將技術實力轉化為盈利能力"],
        "001": ["C端失守,B端重組", "轉(zhuǎn)型之痛:", "智譜的上市之路,正是這場行業(yè)大考的第一個重要交卷時刻。"],
        "002": ["有望首家沖刺上市的六小虎之一智譜", "01 調整業務線智譜重整商業化棋盤", "總體上看,智譜的這次調整看似是陣痛"],
        "003": ["半年时间,智谱集齐了5座城市的国资平台", "大模型技术的完全自主可控,是我们最核心的一项竞争力。",
                "4年前,顶着AI第一股上市的商汤科技"],
        "004": ["智譜帶來 AI 市場估值新敘事。", "核心數(shù)據(jù)匯總",
                "AI 是一場關(guān)于生產(chǎn)力和社會(huì)變革的智能無限之戰(zhàn),現(xiàn)在戰(zhàn)役才剛剛開始。"],
    }
    for prefix, record in by_prefix.items():
        lines = record["text"].split("\n")
        for start in gone[prefix]:
            assert not any(ln.startswith(start) for ln in lines), (prefix, start)
        for start in kept[prefix]:
            assert any(ln.startswith(start) for ln in lines), (prefix, start)
        assert "" not in lines
    # ingest found 004's title in its first line: a field, not body
    assert by_prefix["004"]["title"] == "沖刺第一股,中國最大獨立模型廠商的成色、能力與野心"
    assert {"line": 4, "text": "沖刺第一股,中國最大獨(dú)立模型廠商的成色、能力與野心", "reason": "title"} in \
        by_prefix["004"]["removed"]
    lines_004 = by_prefix["004"]["text"].split("\n")
    assert lines_004[-1].startswith("AI 是一場關")
    assert not any(ln == "0" for ln in lines_004)


def test_seeds_removed_lines_point_into_the_input(seed_outputs):
    ingest = {r["id"]: r for r in records.read_jsonl(seed_outputs / "01_ingest" / "articles.jsonl")}
    for id_, record in seed_records(seed_outputs).items():
        source_lines = ingest[id_]["text"].split("\n")
        for item in record["removed"]:
            assert source_lines[item["line"]].strip() == item["text"]
        assert 0 < record["removed_share"] < 0.5 or id_.startswith("004")


def test_seeds_snapshot(seed_outputs, snapshot):
    for id_, record in sorted(seed_records(seed_outputs).items()):
        snapshot(f"strip/{id_}", {k: record[k] for k in ("id", "source", "text", "removed_share", "removed")})


def test_tables(seed_outputs):
    frame = strip.to_frame(seed_outputs / "02_strip")
    assert list(frame.columns)[:3] == ["id", "source", "outlet"]
    assert {"text", "removed_share", "n_removed", "removed"} <= set(frame.columns)
    assert len(frame) == 5
    removed = strip.removed_frame(seed_outputs / "02_strip")
    assert list(removed.columns) == ["id", "source", "line", "text", "reason"]
    assert len(removed) == frame["n_removed"].sum()


def test_a_comment_section_runs_to_the_end_even_through_prose():
    rules = strip.load_rules()
    body = "某地日前出台新政，从融资、税费和用地三个方面支持小微企业发展，预计惠及全市三万余家企业。新政明确，对符合条件的小微企业给予贷款贴息。"
    reply = "网友甲：我觉得这个政策很好，希望能够真正落实到位，让更多的小微企业受益，而不是停留在纸面上。大家怎么看？说说你们的看法吧。"
    text = "\n".join([body, body, "| \\| 回复线索： |", reply, reply + "！"])
    kept, removed = strip.strip_lines(text, rules)
    assert [ln for _, ln in kept] == [body, body]
    assert [r["reason"] for r in removed] == ["comments"] * 3


def test_a_comment_header_early_in_the_text_does_not_cut_the_article():
    rules = strip.load_rules()
    body = "某地日前出台新政，从融资、税费和用地三个方面支持小微企业发展，预计惠及全市三万余家企业。新政明确，对符合条件的小微企业给予贷款贴息。"
    kept, _ = strip.strip_lines("\n".join(["最新评论", *[body] * 12]), rules)
    assert sum(ln == body for _, ln in kept) == 12     # the section only starts after 5 % of the text


def _page(i: int, site: str) -> dict:
    return {"id": f"{site}-{i}", "site": site, "url": f"https://{site}/{i}.html",
            "text": f"第{i}篇报道的正文，讲述事情的经过和各方的说法，内容各不相同，编号{i}。\n"
                    "本网站所刊载信息，不代表本站观点。\n欢迎下载客户端\n"
                    f"第{i}篇的第二段，继续叙述细节。"}


def test_lines_recurring_across_a_sites_articles_are_found():
    from pipeline import recurring

    pages = [_page(i, "news.example.cn") for i in range(6)] + [_page(i, "other.example.cn") for i in range(3)]
    found = recurring.recurring(pages)
    assert set(found) == {"news.example.cn"}  # the other site has too few articles to tell
    assert set(found["news.example.cn"]) == {"本网站所刊载信息，不代表本站观点。", "欢迎下载客户端"}
    assert recurring.recurring([{**p, "site": "", "url": ""} for p in pages]) == {}  # no site: not compared


def test_ingests_reduce_by_ranges_in_processes_is_one_pass(tmp_path, monkeypatch):
    """Ingest's reduce lists the lines and the texts by ranges of 1 to 3 articles, in two forked
    processes, and counts them in the parent: the same files as one pass over every article (the
    recurring lines; the copies, each with the first article it repeats in file order)."""
    from pipeline import duplicates, ingest, recurring
    from pipeline.runner import ranges

    pages = ([_page(i, "news.example.cn") for i in range(7)] + [_page(i, "other.example.cn") for i in range(6)]
             + [{**_page(i, "tail.example.cn"), "text": "只此一行"} for i in range(2)])
    pages = [pages[i] for i in (0, 7, 1, 8, 13, 2, 3, 9, 10, 4, 14, 11, 5, 6, 12)]  # the sites interleaved
    pages.insert(9, {**pages[5], "id": "copy-1", "text": pages[5]["text"].replace("\n", "\n  ")})  # spaces aside
    pages.append({**pages[5], "id": "copy-2"})
    path = tmp_path / "articles.jsonl"
    records.write_jsonl(path, pages)
    expected = recurring.recurring(pages)
    assert set(expected) == {"news.example.cn", "other.example.cn"}
    records.write_json(tmp_path / "expected.json", expected)
    first = pages[5]["id"]
    assert duplicates.find(duplicates.fingerprints(pages)) == {"copy-1": first, "copy-2": first,
                                                               "tail.example.cn-1": "tail.example.cn-0"}
    records.write_json(tmp_path / "expected_copies.json", duplicates.find(duplicates.fingerprints(pages)))
    size = 2 * max(len(records.dumpb(page)) + 1 for page in pages)  # 1 to 3 articles a range
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", size)
    assert len(ranges.byte_ranges(path, size)) >= 5
    for jobs in (1, 2):
        summary = ingest.finish(tmp_path, {}, jobs=jobs)
        assert (tmp_path / recurring.FILE).read_bytes() == (tmp_path / "expected.json").read_bytes()
        assert (tmp_path / duplicates.FILE).read_bytes() == (tmp_path / "expected_copies.json").read_bytes()
        assert summary == {"recurring_lines": {site: len(lines) for site, lines in expected.items()},
                           "duplicates": 3}


def test_a_copy_is_the_same_outlet_and_the_same_text():
    """Same text under another outlet is syndication, not a copy; the outlet comes before the site;
    an empty text repeats nothing; whitespace runs do not tell texts apart."""
    from pipeline import duplicates

    text = "某公司今日宣布裁员。\n\n消息人士称，涉及约百人。"
    pages = [{"id": "a", "outlet": "甲报", "site": "x.cn", "text": text},
             {"id": "b", "outlet": "乙报", "site": "x.cn", "text": text},          # another outlet
             {"id": "c", "outlet": "甲报", "site": "y.cn", "text": text.replace("\n\n", "\n")},
             {"id": "d", "outlet": "", "site": "x.cn", "text": text},            # no outlet: the site
             {"id": "e", "outlet": "", "site": "x.cn", "text": text + "另据报道。"},
             {"id": "f", "outlet": "甲报", "text": "  "}, {"id": "g", "outlet": "甲报", "text": ""},
             {"id": "h", "url": "https://news.example.hk/1", "text": text},
             {"id": "i", "url": "https://www.news.example.hk/a/1", "text": text},   # one site, two hosts
             {"id": "j", "url": "https://m.example.hk/1", "text": text}]            # a site of its own
    assert duplicates.find(duplicates.fingerprints(pages)) == {"c": "a", "i": "h"}


def test_a_statement_several_articles_quote_in_their_body_is_not_recurring():
    """A corpus about one story: the same short statement quoted mid-body by most of a site's
    articles is the story's, not the site's; the footer line at the end of each still recurs."""
    from pipeline import recurring

    statement = "公司方面回应称，此次调整属于正常的组织优化。"
    pages = []
    for i in range(6):
        body = [f"第{i}篇第{j}段，讲述事件的第{j}个细节，各篇措辞不同。" for j in range(20)]
        if i < 4:
            body.insert(5, statement)
        pages.append({"id": str(i), "site": "news.example.cn", "text": "\n".join([*body, "本网站所刊载信息，不代表本站观点。"])})
    found = recurring.recurring(pages)["news.example.cn"]
    assert statement not in found
    assert set(found) == {"本网站所刊载信息，不代表本站观点。"}


def test_strip_removes_recurring_lines_with_their_reason(tmp_path):
    from pipeline import recurring, strip

    pages = [_page(i, "news.example.cn") for i in range(6)]
    found = tmp_path / recurring.FILE
    found.write_text(__import__("json").dumps(recurring.recurring(pages), ensure_ascii=False), encoding="utf-8")
    rules = strip.load_resources({**strip.STAGE.params, "_recurring": str(found)})
    out = strip.process_record({**pages[0], "source": "a", "outlet": "", "title": ""}, rules)
    assert [(r["text"], r["reason"]) for r in out["removed"]] == [
        ("本网站所刊载信息，不代表本站观点。", "recurring"), ("欢迎下载客户端", "recurring")]
    assert "第0篇的第二段" in out["text"] and "不代表本站观点" not in out["text"]
    plain = strip.process_record({**pages[0], "source": "a", "outlet": "", "title": ""}, strip.load_resources(
        strip.STAGE.params))
    assert not any(r["reason"] == "recurring" for r in plain["removed"])


def test_a_corpus_run_removes_a_sites_recurring_lines(tmp_path):
    import json

    from pipeline.run import run_pipeline

    corpus = tmp_path / "c.jsonl"
    pages = [_page(i, "news.example.cn") for i in range(6)]
    corpus.write_text("".join(json.dumps({"id": p["id"], "url": p["url"], "text": p["text"]}, ensure_ascii=False)
                              + "\n" for p in pages), encoding="utf-8")
    out = tmp_path / "out"
    run_pipeline(corpus, out, jobs=1, progress=False, warn=lambda m: None, log=lambda m: None,
                 only=["ingest", "strip"])
    manifest = json.loads((out / "01_ingest" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["recurring_lines"] == {"news.example.cn": 2}
    stripped = [json.loads(line) for line in open(out / "02_strip" / "articles.jsonl", encoding="utf-8")]
    assert all("不代表本站观点" not in r["text"] for r in stripped)
    assert all(any(x["reason"] == "recurring" for x in r["removed"]) for r in stripped)


def test_a_recurring_paragraph_of_prose_stays_and_a_rare_line_is_not_recurring():
    from pipeline import recurring, strip

    background = ("该公司成立于二〇一九年，总部位于北京，主要从事大模型研发。先后完成多轮融资，"
                  "投资方包括多家国有资本平台和知名风险投资机构，员工总数超过八百人。")  # two sentences: prose
    pages = [{**_page(i, "news.example.cn"), "text": _page(i, "news.example.cn")["text"] + "\n" + background
              + ("\n相关阅读" if i < 2 else "")} for i in range(6)]
    found = recurring.recurring(pages)["news.example.cn"]
    assert background in found and "相关阅读" not in found       # in 2 of 6 articles: under the floor of 3
    rules = dataclasses.replace(strip.load_rules(), recurring={"news.example.cn": frozenset(found)})
    out = strip.process_record({**pages[0], "source": "a", "outlet": "", "title": ""}, rules)
    assert background in out["text"]                              # prose is never removed for recurring
    assert {r["text"] for r in out["removed"] if r["reason"] == "recurring"} == {
        "本网站所刊载信息，不代表本站观点。", "欢迎下载客户端"}


def test_a_copy_of_an_earlier_article_of_its_outlet_is_left_out_unless_the_story_keeps_it(tmp_path):
    """A page scraped twice: ingest's reduce names the copy, strip skips it with the reason (the
    manifest lists it, so the report does) and the first stays; another outlet's identical text
    (syndication) stays. With ``[strip] duplicates = "keep"`` every copy goes on, and a cached
    strip is recomputed when the setting or the set of copies changes."""
    import json

    import pipeline
    from pipeline import fit
    from pipeline import story as stories
    from pipeline.run import run_ingest, run_stage

    text = "某公司今日宣布裁员，涉及约百人。\n公司方面回应称，此次调整属于正常的组织优化。"
    rows = [{"id": "first", "outlet": "甲报", "text": text}, {"id": "wire", "outlet": "乙报", "text": text},
            {"id": "copy", "outlet": "甲报", "text": text + "\n"},
            {"id": "other", "outlet": "甲报", "text": "另一篇报道，讲述市场的反应。"}]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    keep = tmp_path / "keep.toml"
    keep.write_text('[strip]\nduplicates = "keep"\n', encoding="utf-8")
    out = tmp_path / "out"
    said: list[str] = []

    def strip_ids(story=None) -> tuple[list[str], list[dict]]:
        run_ingest(corpus, out, progress=False, warn=said.append, story=story)
        run_stage("strip", out, progress=False, warn=said.append, story=story)
        manifest = json.loads((out / "02_strip" / "manifest.json").read_text(encoding="utf-8"))
        return [r["id"] for r in records.read_jsonl(out / "02_strip" / "articles.jsonl")], manifest["skipped"]

    ids, skipped = strip_ids()
    assert json.loads((out / "01_ingest" / "duplicates.json").read_text(encoding="utf-8")) == {"copy": "first"}
    assert ids == ["first", "wire", "other"]
    assert [(s["id"], s["reason"]) for s in skipped] == [
        ("copy", "duplicate of 'first': the same text as that earlier article of the same outlet")]
    assert any("c.jsonl#3: skipped: duplicate of 'first'" in m for m in said)
    table = pipeline.load("duplicates", output_dir=out)
    assert table[["id", "source", "outlet", "copy_of", "copy_of_source"]].values.tolist() == [
        ["copy", "c.jsonl#3", "甲报", "first", "c.jsonl#1"]]
    (warning,) = fit.duplicate_warnings(out)
    assert warning.startswith("1 article(s) repeat an earlier article of their outlet word for word")
    assert "strip left them out" in warning
    assert strip_ids(stories.load(keep)) == (["first", "wire", "copy", "other"], [])
    assert "1 were kept: each counts again" in fit.duplicate_warnings(out)[0]
    assert strip_ids(stories.DEFAULT)[0] == ["first", "wire", "other"]  # the cache does not keep it either way
    rows[2]["text"] = "改过的一篇。"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert strip_ids() == (["first", "wire", "copy", "other"], [])  # no copy left: no cached skip either
    assert fit.duplicate_warnings(out) == []
    assert pipeline.load("duplicates", output_dir=out).empty
