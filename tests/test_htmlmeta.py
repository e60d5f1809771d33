"""Page metadata (pipeline.htmlmeta) and outlet names (pipeline.outlets), each rule on a small page."""
from __future__ import annotations

import pytest

from pipeline import htmlmeta, ingest, outlets

BODY = "".join(f"<p>这是正文的第{i}段，讲述一家公司的上市进程和它面对的竞争压力，以及市场的反应。</p>" for i in range(6))


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def read(head: str = "", body: str = "", **kw) -> dict:
    meta = htmlmeta.read(page(head, body), **kw)
    return {**meta.values, "_origin": meta.origin}


# ------------------------------------------------------------------ outlet names


@pytest.mark.parametrize("name, canonical", [
    ("网易版权所有", "网易"),                          # a copyright line names the brand, never is the outlet
    ("www.chinanews.com,版权所有", "中国新闻网"),       # a host inside it
    ("中新网", "中国新闻网"),                           # one outlet, one name
    ("中國新聞網", "中国新闻网"),                       # in either script
    ("中央社即時新聞 CNA NEWS", "中央社"),
    ("Apple Daily 蘋果日報", "蘋果日報"),
    ("https://www.caixin.com", "财新网"),
    ("晚點LatePost", "晚点LatePost"),
    ("某某不知名网", ""),
])
def test_canonical_outlet_names(name, canonical):
    assert outlets.canonical(name) == canonical


def test_platforms_are_never_outlets():
    assert outlets.is_platform("微信公众平台") and outlets.is_platform("網易號") and outlets.is_platform("百家号")
    assert not outlets.is_platform("网易")


def test_hosts_map_to_outlets_longest_domain_first():
    assert outlets.by_host("money.163.com").name == "网易"
    assert outlets.by_host("mp.weixin.qq.com").kind == "platform"
    assert outlets.by_host("unknown.example.org") is None


@pytest.mark.parametrize("value, brand", [
    ("Copyright © 2017 某某日报 All rights reserved", "某某日报"),
    ("風傳媒 一個有國際觀、專注揭弊、觀點犀利批判性的新媒體！", "風傳媒"),   # slogan cut
    ("news.example.com", ""),                                               # a host is not a brand
])
def test_clean_brand(value, brand):
    assert outlets.clean_brand(value) == brand


def test_outlet_table_has_one_name_per_key():
    """Every variant and domain names one outlet: a clash would silently merge two newsrooms."""
    seen: dict[str, str] = {}
    for line in outlets.TABLE_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "outlet\t")):
            continue
        cols = line.split("\t")
        assert len(cols) == 6 and cols[5].strip(), f"row needs 6 columns and a reference: {line!r}"
        for variant in (cols[0], *cols[3].split("|")):
            key = outlets.key(variant)
            assert seen.setdefault(key, cols[0]) == cols[0], f"{variant!r} names {seen[key]!r} and {cols[0]!r}"


# ------------------------------------------------------------------ title


@pytest.mark.parametrize("doc_title, heading, expected", [
    ("智谱冲刺上市_新浪新闻", "智谱冲刺上市", "智谱冲刺上市"),
    ("郝龍斌：贊成修憲和內閣制 | 要聞 | 即時新聞 | 聯合新聞網", "", "郝龍斌：贊成修憲和內閣制"),
    ("無綫新聞 - 財經 - 市料美零售銷售與消費者信心續升", "", "市料美零售銷售與消費者信心續升"),
])
def test_title_without_site_and_channel_suffixes(doc_title, heading, expected):
    shown = heading or expected
    body = f"<div>首页 &gt; 新闻</div><h1>{shown}</h1><div>2020-07-04 12:10 来源：新华网</div>{BODY}"
    assert read(f"<title>{doc_title}</title>", body)["title"] == expected


def test_title_ignores_a_logo_heading_and_a_related_list_heading():
    body = ("<h1>ETtoday 新聞雲</h1><h3>相關新聞</h3><div>2014-12-10 00:01</div>"
            f"<div>如何推動區域經貿合作</div><div>2014-12-10 00:01</div>{BODY}")
    got = read("<title>如何推動區域經貿合作 | ETtoday 新聞雲</title>", body)
    assert got["title"] == "如何推動區域經貿合作"


def test_title_printed_one_character_at_a_time():
    body = f"<h2>一 名 休 班 警 涉 嫌 企 圖 車 內 盜 竊 被 捕</h2><div>2014-12-25 HKT 22:40</div>{BODY}"
    assert read("<title>香港電台</title>", body)["title"] == "一名休班警涉嫌企圖車內盜竊被捕"


def test_title_from_the_line_above_the_date_when_the_document_title_is_only_the_site():
    body = f"<div>首页 - 新闻动态</div><div>2019年中国人文地理学术年会成功举行！</div><div>发布时间：2019-05-18</div>{BODY}"
    assert read("<title>新闻动态--中国地理学会官网</title>", body)["title"] == "2019年中国人文地理学术年会成功举行！"


# ------------------------------------------------------------------ date


@pytest.mark.parametrize("text, iso", [
    ("2015-05-21 05:03:58 来源:", "2015-05-21T05:03:58"),
    ("2024年04月24日23:52 | 来源：新华网", "2024-04-24T23:52"),
    ("2014.12.13 01:06 pm", "2014-12-13T13:06"),
    ("2014-12-17 (16:31)", "2014-12-17T16:31"),
    ("2023-03-28T01:45:01+08:00", "2023-03-28T01:45:01+08:00"),
    ("2021-06-21T18:00:00Z", "2021-06-21T18:00:00Z"),
    ("發布時間：18-03-08 23:16", "2018-03-08T23:16"),
    ("没有日期", ""),
])
def test_iso_date(text, iso):
    assert htmlmeta.iso_date(text) == iso


def test_month_day_year_only_where_allowed():
    assert htmlmeta.iso_date("11-22-2014") == "" and htmlmeta.iso_date("11-22-2014", allow_mdy=True) == "2014-11-22"


def test_date_from_structured_data_first_then_the_header_adds_the_time():
    body = f"<h1>某某新闻标题在这里</h1><div>2024年04月24日23:52 | 来源：新华网</div>{BODY}"
    got = read('<meta name="publishdate" content="2024-04-24"><title>某某新闻标题在这里--人民网</title>', body)
    assert got["published"] == "2024-04-24T23:52"
    assert got["_origin"]["published"] == "meta:publishdate+header"


def test_date_from_a_wechat_page_timestamp_as_china_time():
    html = page("<title>标题</title>", f'<h1>一日一技：延迟调用</h1>{BODY}<script>var ct = "1581418020";</script>')
    assert htmlmeta.read(html).values["published"] == "2020-02-11T18:47:00+08:00"


# ------------------------------------------------------------------ outlet, site, platform


def test_credited_source_of_a_republished_story_is_the_outlet():
    body = ("<div>网易首页 &gt; 财经频道 &gt; 正文</div><h1>八部委如何玩转互联网+</h1>"
            f"<div>2015-05-21 05:03:58 来源:</div><div><a href='#'>21世纪经济报道(广州)</a></div>{BODY}")
    got = read('<meta name="Copyright" content="网易版权所有"><title>八部委如何玩转互联网+_网易财经</title>', body)
    assert got["outlet"] == "21世纪经济报道" and got["site"] == "网易"
    assert got["_origin"]["outlet"] == "html:header:来源"


def test_the_site_brand_when_nothing_is_credited_never_a_copyright_string():
    body = f"<h1>某条新闻的标题文字</h1><div>2015-07-04 13:52:00</div>{BODY}"
    got = read('<meta name="Copyright" content="网易版权所有"><title>某条新闻的标题文字_网易财经</title>', body)
    assert got["outlet"] == "网易" and got["site"] == "网易"


def test_unknown_site_keeps_its_cleaned_brand():
    body = f"<h1>某条新闻的标题文字</h1><div>2015-07-04 13:52:00</div>{BODY}"
    got = read('<meta property="og:site_name" content="某某日报 版权所有"><title>某条新闻的标题文字</title>', body)
    assert got["outlet"] == "某某日报"


def test_wechat_post_outlet_is_the_account_not_the_platform():
    head = ('<meta property="og:site_name" content="微信公众平台"><meta property="og:url" '
            'content="http://mp.weixin.qq.com/s?__biz=x"><title>一日一技：延迟调用</title>')
    body = f'<h1>一日一技：延迟调用</h1><div><span id="js_name"> 未闻Code </span></div>{BODY}'
    got = read(head, body)
    assert got["outlet"] == "未闻Code" and got["platform"] == "微信公众号"


def test_self_media_account_from_the_163_source_line():
    head = '<meta property="og:url" content="https://www.163.com/dy/article/G33O1QTA05372UZS.html"><title>广西某事件画面曝光</title>'
    body = f"<h1>广西某事件画面曝光</h1><div>2021-02-18 07:02:10 来源: 松科说娱乐</div>{BODY}"
    got = read(head, body)
    assert got["outlet"] == "松科说娱乐" and got["platform"] == "网易号" and got["site"] == "网易"


def test_wire_dateline_credits_the_agency_and_names_the_reporter():
    line = "（中央社記者盧太城台東縣12日電）大陸海協會經貿交流團，今天參訪台東。"
    assert htmlmeta.story_byline(line) == {"outlet": "中央社", "author": "盧太城"}
    assert htmlmeta.story_byline("2018-02-28 14:31中央社 澎湖縣28日電") == {"outlet": "中央社"}
    assert htmlmeta.story_byline("【聯合晚報╱記者楊正海╱即時報導】") == {"outlet": "聯合晚報", "author": "楊正海"}
    assert htmlmeta.story_byline("香港文匯報訊（記者 鄭治祖）不少法庭訴訟") == {"outlet": "香港文匯報", "author": "鄭治祖"}


def test_an_author_licensing_his_own_column_credits_no_outlet():
    body = f"<h1>三星失意 路在何方？</h1><div>2015-07-03 11:31:00</div>{BODY}<p>本文为李光斗独家授权网易财经发布。</p>"
    got = read('<meta name="Copyright" content="网易版权所有"><title>三星失意 路在何方？_网易财经</title>', body,
               main_text="正文。\n本文为李光斗独家授权网易财经发布。")
    assert got["outlet"] == "网易"


# ------------------------------------------------------------------ author and editor


@pytest.mark.parametrize("value, names", [
    ("记者 何苗 张梦洁", ["何苗", "张梦洁"]),
    ("文/竇文雪", ["竇文雪"]),
    ("吳垠慧／台北報導", ["吳垠慧"]),
    ("潘照文、張逸民", ["潘照文", "張逸民"]),
    ("林 薏茹", ["林薏茹"]),                     # a name printed with a space after the surname
    ("kingname", ["kingname"]),
    ("綜合報導", []),                             # a desk
    ("編譯中心", []),
    ("ETtoday 新聞雲", []),                       # an organisation
    ("账号 密码 自动登录 登录并发表", []),          # widget text
    ("CSDN.NET", []),
])
def test_person_names(value, names):
    assert htmlmeta.person_names(value) == names


def test_header_fields_author_editor_and_source_on_one_line():
    body = f"<h1>嫦娥五号为什么是最复杂任务</h1><div>2020-11-23 10:22:14 出处：快科技 作者：宪瑞 编辑：宪瑞 人气：5380</div>{BODY}"
    got = read("<title>嫦娥五号为什么是最复杂任务</title>", body)
    assert got["author"] == "宪瑞" and got["editor"] == "宪瑞" and got["outlet"] == "快科技"


def test_editor_is_never_the_author_and_the_foot_byline_wins():
    body = ("<h1>坚定实施扩大内需战略</h1><div>2020-07-04 12:10:24</div><div>来源：求是网</div>"
            f"<div>责任编辑：孔德明</div>{BODY}<p>（评论员 罗博 萧海川）</p>")
    got = read('<meta name="author" content="孔德明"><title>坚定实施扩大内需战略</title>', body,
               main_text="正文。\n正是有了英勇的你们，才有这座英雄的城！（评论员 罗博 萧海川）")
    assert got["author"] == "罗博、萧海川" and got["editor"] == "孔德明"


def test_no_byline_means_no_author():
    body = f"<h1>某条新闻的标题文字</h1><div>2015-07-04 13:52:00</div><div>綜合報導</div>{BODY}<div>网友：小明</div>"
    got = read('<meta name="author" content="某某网"><title>某条新闻的标题文字</title>', body)
    assert "author" not in got


def test_a_meta_author_the_page_never_shows_is_not_a_byline():
    got = read('<meta name="author" content="孔德明"><title>某条新闻的标题文字</title>',
               f"<h1>某条新闻的标题文字</h1><div>2015-07-04 13:52:00</div>{BODY}")
    assert "author" not in got


def test_lone_name_under_the_headline_glued_to_the_date():
    body = f"<h1>这个约会软件想帮你找对象</h1><div>谢若含2017-03-01 14:27:02</div>{BODY}"
    assert read("<title>这个约会软件想帮你找对象</title>", body)["author"] == "谢若含"


# ------------------------------------------------------------------ through ingest


def test_ingest_record_has_site_platform_editor_and_provenance():
    head = '<meta name="Copyright" content="网易版权所有"><title>八部委如何玩转互联网+_网易财经</title>'
    body = (f"<h1>八部委如何玩转互联网+</h1><div>2015-05-21 05:03:58 来源: 21世纪经济报道</div>{BODY}"
            "<p>本文来源：21世纪经济报道 作者：何苗 张梦洁</p><p>责任编辑：王晓易_NE0011</p>")
    record = ingest.ingest_file({"id": "p", "source": "p.html", "meta": {}}, page(head, body).encode("utf-8"))
    assert (record["outlet"], record["site"], record["author"], record["title"]) == (
        "21世纪经济报道", "网易", "何苗、张梦洁", "八部委如何玩转互联网+")
    assert record["published"] == "2015-05-21T05:03:58"
    assert set(record["provenance"]) >= {"outlet", "site", "platform", "editor", "author", "title", "published"}
    assert record["provenance"]["outlet"] == "html:header:来源"


def test_sidecar_still_overrides_the_page():
    body = f"<h1>某条新闻的标题文字</h1><div>2015-07-04 13:52:00 来源：新华网</div>{BODY}"
    record = ingest.ingest_file({"id": "p", "source": "p.html", "meta": {"outlet": "我的标注"}},
                                page("<title>某条新闻的标题文字</title>", body).encode("utf-8"))
    assert record["outlet"] == "我的标注" and record["provenance"]["outlet"] == "sidecar"


def test_a_date_without_time_takes_the_time_the_page_prints_for_that_day():
    body = f"<h1>阿拉比卡墜空頭</h1>{BODY}{BODY}<div><a href='/x'>2014年12月12日13:47</a></div>"
    got = read("<title>阿拉比卡墜空頭 | 蘋果日報</title>", body, fallback_date="2014-12-12")
    assert got["published"] == "2014-12-12T13:47" and got["_origin"]["published"] == "trafilatura+page-time"


@pytest.mark.parametrize("footer, published", [
    ("<div>Copyright © 1998 某某论坛 版权所有</div>", ""),          # a year alone: trafilatura says 1998-01-01
    ("<div>© 2004-2006 某某网</div>", ""),
    ("<div>发表于 1998年1月1日</div>", "1998-01-01"),               # the page shows that day
    ("<div>发表于 1998-01-01</div>", "1998-01-01"),
])
def test_a_year_alone_is_not_a_date(footer, published):
    """htmldate turns a year it finds (a copyright line) into 1 January: no page date from that
    unless the page shows the day (CWCE: five of its dated pages came out so, all wrong)."""
    body = "".join(f"<p>这是第{i}段正文，讲述了论坛里关于旅行的讨论，内容相当长，足够被识别为正文内容。</p>" for i in range(8))
    record = ingest.ingest_file({"id": "p", "source": "p.html", "meta": {}},
                                page("<title>旅行讨论</title>", f"<h1>旅行讨论</h1>{body}{footer}").encode("utf-8"))
    assert record["published"] == published


@pytest.mark.parametrize("line, names", [
    ("光明日报记者 王建宏 张文攀", ["王建宏", "张文攀"]),
    ("顶端新闻·河南商报记者马俊峰/文", ["马俊峰"]),
    ("本报记者罗科苏盈发自北京 23日下午，在北大万众楼二层举行的论坛上，多位学者发言。", ["罗科苏盈"]),
    ("新华日报·交汇点记者 徐睿翔", ["徐睿翔"]),
    ("記者 陳怡君 台北報導", ["陳怡君"]),
    ("记者张三了解到，这家公司已经裁员。", []),       # a sentence, not a byline
    ("本报记者 北京报道", []),                      # a place is no name
    ("央视记者", []),
])
def test_a_reporter_line_with_its_outlet_under_the_headline(line, names):
    assert author_of(f"<p>{line}</p>{BODY}") == "、".join(names)


def author_of(story: str, headline: str = "某地举行新春活动现场") -> str:
    """The author ingest gives a page of ``headline`` over ``story`` (HTML)."""
    html = page(f"<title>{headline}</title>", f"<h1>{headline}</h1>{story}")
    return ingest.ingest_file({"id": "p", "source": "p.html", "meta": {}}, html.encode("utf-8"))["author"]


@pytest.mark.parametrize("last, names", [
    ("到头来，他仍是一位自甘穷酸的外科医生。（袁源）", ["袁源"]),
    ("（常书香 马丹阳）", ["常书香", "马丹阳"]),
    ("所有的改革难道不都是利益再分配的过程吗？”（姚峰 上海报道）", ["姚峰"]),
    ("更为戏曲导演艺术的发展起到极大推动作用。（总台记者 张倩）", ["张倩"]),
    ("更为戏曲导演艺术的发展起到极大推动作用。（总台记者 张倩） |  | ", ["张倩"]),   # a table's cells after it
    ("活动将持续到月底。（完）", []),
    ("活动将持续到月底。（上海）", []),
    ("活动将持续到月底。（资料图）", []),
    ("活动将持续到月底。（待续）", []),
    ("活动将持续到月底。（新华社）", []),
])
def test_a_sign_off_closing_the_story_names_its_author(last, names):
    assert author_of(f"{BODY}<p>{last}</p>") == "、".join(names)


def test_a_name_in_brackets_before_the_source_in_the_header():
    header = "<div>BUSINESS.SOHU.COM 2004年7月16日08:19 [ 黄宇 ] 来源：[ 国际金融报 ]</div>"
    assert author_of(header + BODY, headline="洛克菲勒家族的新动向") == "黄宇"
