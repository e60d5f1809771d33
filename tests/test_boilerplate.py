"""HTML boilerplate signals (pipeline.boilerplate) and strip acting on them, on small fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import boilerplate, ingest, strip

FIXTURES = Path(__file__).parent / "fixtures" / "html"
ANCHORS = {"外地企业纷纷来此投资建厂", "一季度经济数据出炉", "小微企业贷款余额创新高", "关于我们", "联系我们", "广告服务"}
PROSE = "某地日前出台新政，从融资、税费和用地三个方面支持小微企业发展，预计惠及全市三万余家企业。新政明确，对符合条件的小微企业给予贷款贴息。"


def test_a_run_of_short_linked_lines_is_a_list_whatever_its_length():
    text = "\n".join([PROSE, "外地企业纷纷来此投资建厂", "一季度经济数据出炉", PROSE])
    assert boilerplate.hints(text, anchors=ANCHORS, precise=None) == {1: "link_list", 2: "link_list"}


def test_a_single_linked_line_inside_the_story_stays():
    text = "\n".join([PROSE, "一季度经济数据出炉", PROSE])
    assert boilerplate.hints(text, anchors=ANCHORS, precise=None) == {}


@pytest.mark.parametrize("row, layout", [
    ("|  |  |  |", True),                              # empty layout cells
    ("|---|---|", True),
    ("| 关于我们 | 联系我们 | 广告服务 |", True),      # a navigation bar built from a table
    ("| 国籍 | 韩国 |", False),                         # a key and its value
    (f"| 作者 | {PROSE} |", False),                     # a paragraph in a layout table
])
def test_layout_table_rows(row, layout):
    got = boilerplate.hints("\n".join([PROSE, row]), anchors=ANCHORS | {"韩国"}, precise=None)
    assert (got.get(1) == "layout_table") is layout


def test_a_short_line_printed_three_times_is_a_widget():
    text = "\n".join([PROSE, "← 返回", PROSE, "← 返回", PROSE, "← 返回"])
    assert set(boilerplate.hints(text, anchors=set(), precise=None).values()) == {"repeated_line"}


def test_a_page_of_entries_keeps_the_first_entry():
    footer = "由某某张贴 @ 2005-06-1{} 03:25:55 ({}) 共 {} 篇评论"
    text = "\n".join([PROSE, footer.format(4, 370, 11), "第二篇" + PROSE, footer.format(3, 697, 29),
                      "第三篇" + PROSE, footer.format(1, 924, 17)])
    got = boilerplate.hints(text, anchors=set(), precise=None)
    assert 0 not in got and 1 not in got and set(got.values()) == {"other_entries"} and max(got) == 5


def test_lines_the_precise_extraction_drops_go_unless_they_are_prose():
    text = "\n".join(["猜你喜欢这些内容", PROSE, "另一段正文" + PROSE])
    precise = PROSE   # the stricter extractor kept only the first paragraph
    assert boilerplate.hints(text, anchors=set(), precise=precise) == {0: "outside_main_text"}
    assert boilerplate.hints(text, anchors=set(), precise="") == {}      # an empty second opinion is ignored


def test_strip_removes_hinted_lines_and_lists_each_with_its_reason():
    rules = strip.load_rules()
    text = "\n".join([PROSE, "外地企业纷纷来此投资建厂", PROSE])
    kept, removed = strip.strip_lines(text, rules, hints={1: "link_list"})
    assert [ln for _, ln in kept] == [PROSE, PROSE]
    assert removed == [{"line": 1, "text": "外地企业纷纷来此投资建厂", "reason": "link_list"}]


def test_page_through_ingest_and_strip():
    record = ingest.ingest_file({"id": "t", "source": "teaser_list.html", "meta": {}},
                                (FIXTURES / "teaser_list.html").read_bytes())
    assert (record["title"], record["outlet"], record["author"]) == ("某地出台新政支持小微企业发展", "某某日报", "王小明")
    assert record["published"] == "2024-03-05T10:20"
    out = strip.process_record(record, strip.load_rules())
    assert "本报讯" in out["text"] and "有效期三年" in out["text"]
    for junk in ("外地企业纷纷来此投资建厂", "小微企业贷款余额创新高", "关于我们", "首页"):
        assert junk not in out["text"]
    # what the extractor kept and the markup calls boilerplate is listed with its reason
    assert {"line": 3, "text": "| 关于我们 | 联系我们 | 广告服务 |", "reason": "layout_table"} in out["removed"]


def test_lines_inside_a_comment_section_of_the_markup():
    from pipeline import htmlmeta

    html = (f"<html><body><h1>标题</h1><div class='article'><p>{PROSE}</p></div>"
            "<div id='comment_list'><p>网友小明：说得太好了，支持！</p><p>网友小红：不同意。</p></div></body></html>")
    comments = boilerplate.comment_texts(htmlmeta.parse(html))
    text = "\n".join([PROSE, "网友小明：说得太好了，支持！"])
    assert boilerplate.hints(text, anchors=set(), precise=None, comments=comments) == {1: "comments"}


def test_a_board_thread_keeps_the_first_post():
    post = "| 用户{} | 我觉得这个政策很好，希望能够真正落实到位，让更多的小微企业受益。 |"
    text = "\n".join([post.format("甲"), "| ← 返回 |", post.format("乙"), "| Re: 回复 |", post.format("丙")])
    got = boilerplate.hints(text, anchors=set(), precise=None)
    assert 0 not in got and got[2] == got[4] == "other_entries"


def test_a_data_table_is_not_a_thread():
    row = "| 第{}季度 | 营收同比增长百分之十二，主要来自海外市场的订单增加和新产品的上市。 |"
    text = "\n".join([PROSE, row.format(1), row.format(2), row.format(3), PROSE])
    assert boilerplate.hints(text, anchors=set(), precise=None) == {}


def test_a_saved_fragment_without_html_and_body_is_read_as_a_page():
    fragment = ('<text id="http://blog.example.com/1.aspx" title="很高兴入住博客堂" encoding="unset">'
                '<div id="top"><h1><a href="/">某某的博客</a></h1></div><div class="post">'
                + "".join(f"<p>{PROSE}第{i}段。</p>" for i in range(4)) + "</div></text>")
    record = ingest.ingest_file({"id": "f", "source": "f.html", "meta": {}}, fragment.encode("utf-8"))
    assert "第0段" in record["text"] and "第3段" in record["text"]


def test_a_sentence_the_precise_extraction_drops_stays_however_short():
    # the closing lines of a notice and a numbered list's items end as sentences do; a teaser does not
    lines = ["三、自本通告发布之日起，上述区域内新迁入的人口不享有相关补偿政策。", "特此通告。",
             "1.每天研读文件，你将更加了解政策。", "猜你喜欢这些内容", "外地企业纷纷来此投资建厂"]
    text = "\n".join([PROSE, *lines])
    got = boilerplate.hints(text, anchors=ANCHORS, precise=PROSE)
    assert got == {4: "outside_main_text", 5: "outside_main_text"}
    # a sentence that is link text is still a teaser
    assert boilerplate.hints("\n".join([PROSE, "一季度经济数据出炉。"]), anchors={"一季度经济数据出炉"},
                             precise=PROSE) == {1: "outside_main_text"}


DATA_TABLE = ["| 年份 | 节目名称 | 电视台 |", "|---|---|---|", "| 2012年 | 逃离危机 | KBS |",
              "| 2014年 | 看见你的声音 | Mnet |", "| 2016年 | 欢迎光临 | SBS |"]


def test_a_data_table_stays_whatever_its_links():
    # a table with a head (th cells: trafilatura's |---| rule) and three full rows is content, though its
    # cells are links and the precise extraction leaves it out
    anchors = {"逃离危机", "看见你的声音", "欢迎光临", "KBS", "Mnet", "SBS"}
    text = "\n".join([PROSE, *DATA_TABLE])
    assert boilerplate.data_table_rows(text.split("\n")) == {1, 2, 3, 4, 5}
    assert boilerplate.hints(text, anchors=anchors, precise=PROSE) == {}
    # two rows are not enough to call it a data table: the same rows then go as the other signals say
    short = "\n".join([PROSE, *DATA_TABLE[:4]])
    assert boilerplate.data_table_rows(short.split("\n")) == set()
    assert set(boilerplate.hints(short, anchors=anchors, precise=PROSE)) == {1, 2, 3, 4}


@pytest.mark.parametrize("table", [
    # a layout table with a head: one cell filled a row (a nested table flattened)
    ["| 四年前中500万现穷困潦倒 |  |", "|---|---|", "| 点击财富 |  |", "| • 车爵仕汽车酷装美容 |  |",
     "| • 韩国田园风情特色饰品 |  |", "| 更多>> |  |"],
    # a navigation bar drawn as a head row
    ["| 首页 | 滚动 | 管理 | 营销 |", "|---|---|---|---|"],
    # a calendar widget: digits only
    ["| 一 | 二 | 三 |", "|---|---|---|", "| 1 | 2 | 3 |", "| 4 | 5 | 6 |", "| 7 | 8 | 9 |"],
])
def test_layout_tables_with_a_head_are_not_data_tables(table):
    assert boilerplate.data_table_rows([PROSE, *table]) == set()
