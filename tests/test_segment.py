"""segment: tokens with tags and offsets, the user dictionary, the content rule, the table."""
from __future__ import annotations

import tempfile

import pytest
import rjieba

from pipeline import records, segment
from pipeline.config import SEEDS


@pytest.fixture(scope="session")
def tokenizers() -> dict[str, segment.Tokenizer]:
    """Both backends with the seeds' story dictionary (seeds/userdict.txt), as the seeds run."""
    return {backend: segment.Tokenizer(backend=backend, extra_userdict=SEEDS / "userdict.txt").load()
            for backend in segment.BACKENDS}


@pytest.fixture(scope="session")
def normalized(seed_outputs) -> list[dict]:
    return list(records.read_jsonl(seed_outputs / "03_normalize" / "articles.jsonl"))


@pytest.fixture(scope="session")
def segmented(seed_outputs) -> list[dict]:
    return list(records.read_jsonl(seed_outputs / "04_segment" / "articles.jsonl"))


# ---------------------------------------------------------------- the pure core

@pytest.mark.parametrize("text, expected", [
    ("营收243.77亿元，增长50%", "营收/v 243.77亿元/mq ，/x 增长/v 50%/mq"),
    ("243.77 亿元", "243.77 亿元/mq"),
    ("达3.5万亿美元和1,200元", "达/v 3.5万亿美元/mq 和/c 1,200元/mq"),
    ("智谱发布GLM-4.5与GLM-4.1V-9B-Base", "智谱/nt 发布/v GLM-4.5/nz 与/p GLM-4.1V-9B-Base/nz"),
    ("在ChatGPT-3.5之后，Qwen2.5和DeepSeek-R1", "在/p ChatGPT-3.5/nz 之后/f ，/x Qwen2.5/nz 和/c DeepSeek-R1/nz"),
    ("AI六小龙的大模型", "AI/eng 六小龙/n 的/uj 大模型/n"),
    ("智谱清言与MaaS平台", "智谱清言/nz 与/p MaaS/n 平台/n"),
    ("央国企和国资", "央国企/j 和/c 国资/j"),
    ("外国资本", "外国/ns 资本/n"),  # a user-dict word (国资) does not cut through better words
    ("2025年", "2025/m 年/m"),  # a year is not a quantity with a unit
    ("a  b", "a/eng  /x  /x b/eng"),  # every whitespace character is kept
])
def test_tags_table(tokenizers, text, expected):
    tokens = tokenizers["rjieba"].tag(text)
    assert " ".join(f"{w}/{t}" for w, t in tokens) == expected


@pytest.mark.parametrize("word, tag, content", [
    ("大模型", "n", 1), ("裁员", "v", 1), ("亮眼", "a", 1), ("MaaS", "n", 1), ("GLM", "eng", 1),
    ("央企", "j", 1), ("国有", "b", 1), ("钱", "n", 1), ("说", "v", 1), ("人", "n", 1),
    ("的", "uj", 0), ("在", "p", 0), ("和", "c", 0), ("也", "d", 0), ("我们", "r", 0),
    ("，", "x", 0), (" ", "x", 0), ("\n", "x", 0), ("2025", "m", 0), ("50%", "mq", 0),
    ("是", "v", 0), ("the", "eng", 0), ("The", "eng", 0), ("THE", "eng", 0),
    ("朱赟德", "x", 1),  # a word the HMM found: rjieba says "x", we say nz
])
def test_content_rule(tokenizers, word, tag, content):
    assert tokenizers["rjieba"].describe(word, tag)[1] == content


@pytest.mark.parametrize("backend", segment.BACKENDS)
def test_user_dictionary_tags_win(tokenizers, backend):
    # 国资 is "vn" in jieba's dictionary; jieba-rs's add_word would keep that tag
    assert tokenizers[backend].tag("国资") == [("国资", "j")]


def test_unknown_cjk_words_become_nz(tokenizers):
    assert tokenizers["rjieba"].describe("朱赟德", "x") == ("nz", 1)
    assert tokenizers["rjieba"].describe("，", "x") == ("x", 0)


@pytest.mark.parametrize("backend", segment.BACKENDS)
def test_tokens_offsets_start_at_the_sentence(tokenizers, backend):
    tokens = tokenizers[backend].tokens("智谱的GLM-4.5。", start=100)
    assert [t[:4] for t in tokens] == [("智谱", "nt", 100, 102), ("的", "uj", 102, 103),
                                       ("GLM-4.5", "nz", 103, 110), ("。", "x", 110, 111)]
    assert [t[4] for t in tokens] == [1, 0, 1, 0]


def test_empty_text_has_no_tokens(tokenizers):
    assert tokenizers["rjieba"].tokens("") == []


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown backend"):
        segment.Tokenizer(backend="pkuseg")


def test_userdict_lines_parse(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("# comment\n智谱 nt\n大模型 100 n\nMaaS\n\n", encoding="utf-8")
    assert segment.read_userdict(path) == [segment.Entry("智谱", None, "nt"), segment.Entry("大模型", 100, "n"),
                                           segment.Entry("MaaS", None, None)]


def test_project_dictionary_tags_are_content_tags():
    for entry in segment.read_userdict():
        assert entry.tag in segment.CONTENT_TAGS, entry


def test_stopwords_keep_content_characters():
    stop = segment.read_stopwords()
    assert {"的", "了", "我们", "the", "The"} <= stop
    assert not {"钱", "股", "税", "人", "说", "大"} & stop


def test_jieba_backend_loads_silently_and_leaves_no_cache(tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tok = segment.Tokenizer(backend="jieba", extra_userdict=SEEDS / "userdict.txt").load()
    assert tok.tag("智谱大模型") == [("智谱", "nt"), ("大模型", "n")]
    assert capfd.readouterr().err == ""
    assert list(tmp_path.iterdir()) == []


def test_rjieba_memo_agrees_with_rjieba_tag(normalized):
    """The rjieba backend cuts and looks tags up per word: it must equal tagging in context."""
    ours = segment.Tokenizer(protect=False, warm_words=None, extra_userdict=SEEDS / "userdict.txt").load()
    reference = rjieba.Jieba()
    for entry in ours.entries_:
        reference.add_word(entry.word, entry.freq, entry.tag)
    user_tags = {entry.word: entry.tag for entry in ours.entries_ if entry.tag}  # ours override
    for record in normalized:
        for sentence in record["sentences"]:
            expected = [(w, ours.describe(w, user_tags.get(w, t))[0]) for w, t in reference.tag(sentence["text"])]
            assert ours.tag(sentence["text"]) == expected


@pytest.mark.parametrize("backend", segment.BACKENDS)
def test_tagging_an_article_at_once_gives_each_sentence_its_own_tags(tokenizers, normalized, backend):
    """tagged_all cuts the sentences joined by newlines: the same words and tags as one by one."""
    tok = tokenizers[backend]
    texts = [s["text"] for r in normalized for s in r["sentences"]]
    assert len(texts) > 100
    assert tok.tagged_all(texts) == [tok.tagged(t) for t in texts]
    # GLM-4.5 and 243.77亿元 at a sentence's start and end: the protect pass sees each sentence alone
    edges = ["GLM-4.5发布", "营收243.77亿元", "50%", "AI公司", "智谱AI"]
    assert tok.tagged_all(edges) == [tok.tagged(t) for t in edges]


@pytest.mark.parametrize("texts", [["第一句\r", "第二句"], ["有换行\n的一句", "第二句"], ["一句"], []])
def test_tagging_at_once_falls_back_when_a_newline_would_not_separate(tokenizers, texts):
    tok = tokenizers["rjieba"]
    assert tok.tagged_all(texts) == [tok.tagged(t) for t in texts]


def test_warm_and_cold_tokenizers_agree(normalized):
    cold = segment.Tokenizer(warm_words=None).load()
    warm = segment.Tokenizer().load()
    for record in normalized:
        for sentence in record["sentences"]:
            assert cold.tokens(sentence["text"]) == warm.tokens(sentence["text"])


# ---------------------------------------------------------------- the seeds

DOMAIN_TERMS = ["智谱", "智谱AI", "智谱清言", "大模型", "六小龙", "五小龙", "六小虎", "MaaS", "AutoGLM", "ChatGLM",
                "DeepSeek", "GLM-4.5", "GLM-4.6", "GLM-4.1V-9B-Base", "GLM-130B", "ChatGPT-3.5", "243.77 亿元",
                "30亿元", "国资", "央国企", "上市辅导", "张鹏", "张帆", "唐杰", "港交所", "招股书", "多模态", "智能体",
                "算力", "豆包", "通义千问", "月之暗面", "阶跃星辰", "商汤", "MiniMax", "百川智能", "零一万物"]


@pytest.mark.parametrize("backend", segment.BACKENDS)
def test_domain_terms_stay_whole_in_the_seeds(tokenizers, normalized, backend):
    """Where a term starts and ends at token boundaries, no boundary falls inside it.

    (An occurrence that a token crosses is not the term: 中国|资本 holds 国资.)"""
    tokenizer = tokenizers[backend]
    whole = {term: 0 for term in DOMAIN_TERMS}
    for record in normalized:
        for sentence in record["sentences"]:
            tokens = tokenizer.tokens(sentence["text"])
            bounds = {t[2] for t in tokens} | {tokens[-1][3]}
            for term in DOMAIN_TERMS:
                at = sentence["text"].find(term)
                while at >= 0:
                    end = at + len(term)
                    if at in bounds and end in bounds:
                        assert not any(at < b < end for b in bounds), (backend, term, sentence["text"])
                        whole[term] += 1
                    at = sentence["text"].find(term, at + 1)
    assert all(whole.values()), [term for term, n in whole.items() if not n]  # each term is in the seeds


def test_seed_records_shape_and_offsets(normalized, segmented):
    assert [r["id"] for r in segmented] == [r["id"] for r in normalized]
    for upstream, record in zip(normalized, segmented):
        assert list(record)[:4] == ["id", "source", "outlet", "title"]
        assert [record[k] for k in ("id", "source", "outlet", "title")] == \
               [upstream[k] for k in ("id", "source", "outlet", "title")]
        text = upstream["text"]
        assert len(record["sentences"]) == len(upstream["sentences"])
        n_tokens = n_content = 0
        for sentence in record["sentences"]:
            tokens = segment.sentence_tokens(sentence)
            assert len(sentence["tokens"]) == len(sentence["pos"].split(" ")) == len(sentence["content"])
            assert segment.content_words(sentence) == [t[0] for t in tokens if t[4]]
            assert "".join(t[0] for t in tokens) == sentence["text"]
            assert tokens[0][2] == sentence["start"]
            for word, pos, start, end, content in tokens:
                assert text[start:end] == word and pos and content in (0, 1)
            n_tokens += len(tokens)
            n_content += sum(t[4] for t in tokens)
        assert (record["n_tokens"], record["n_content"]) == (n_tokens, n_content)
        assert 0.3 < n_content / n_tokens < 0.7


def render_tokens(record: dict) -> str:
    """One line per sentence: token/pos, content words marked with *; whitespace shown escaped."""
    lines = []
    for sentence in record["sentences"]:
        cells = []
        for word, pos, _, _, content in segment.sentence_tokens(sentence):
            shown = word.encode("unicode_escape").decode("ascii") if word.isspace() else word
            cells.append(f"{shown}/{pos}{'*' if content else ''}")
        lines.append(f"{sentence['index']}: " + " ".join(cells))
    return "\n".join(lines) + "\n"


def test_seed_tokens_snapshot(segmented, snapshot):
    for record in segmented:
        snapshot(f"segment/{record['id']}", render_tokens(record))


# ---------------------------------------------------------------- the table

def test_table_one_row_per_token(seed_outputs, segmented):
    frame = segment.TABLES["segment"](seed_outputs / "04_segment")
    assert list(frame.columns) == list(segment.COLUMNS)
    assert len(frame) == sum(r["n_tokens"] for r in segmented)
    assert frame["is_content"].sum() == sum(r["n_content"] for r in segmented)
    first = segment.sentence_tokens(segmented[0]["sentences"][0])[0]
    row = frame.iloc[0]
    assert (row["id"], row["sentence"], row["token"], row["pos"], row["start"], row["end"]) == \
           (segmented[0]["id"], 0, first[0], first[1], first[2], first[3])
    assert frame["is_content"].dtype == bool and frame["start"].dtype == "int64"


def test_story_dictionary_words_kept_whole():
    """A story's words (story.toml [dictionary] words) reach the tokenizer after the project's."""
    plain = segment.load_resources(segment.STAGE.params)
    assert "六小龙" not in plain.cut("AI六小龙的大模型")
    story = segment.load_resources({**segment.STAGE.params, "user_words": ["六小龙 n", "大模型"],
                                    "user_stopwords": ["模型"]})
    assert story.cut("AI六小龙的大模型") == ["AI", "六小龙", "的", "大模型"]
    assert "模型" in story.stopwords_ and "模型" not in plain.stopwords_


@pytest.mark.parametrize("text, word", [("智谱的C端业务", "C端"), ("面向B端客户", "B端"), ("G端市场", "G端")])
def test_market_segments_stay_whole(text, word):
    tok = segment.load_resources(segment.STAGE.params)
    assert word in tok.cut(text)


def test_markup_debris_is_not_counted_but_kept():
    """URLs, e-mail addresses and percent-encoded runs stay in the tokens, are not content,
    and are listed with their kind (they were top "distinctive terms" of a scraped corpus)."""
    tok = segment.load_resources(segment.STAGE.params)
    text = "详见https://example.com/a?q=%E5%9B%BD，或写信到press@example.org，编码%E6%B8%AF%E9%90%B5留存。"
    record = {"id": "a", "source": "a", "outlet": "", "title": "",
              "sentences": [{"index": 0, "text": text, "start": 0}]}
    out = segment.process_record(record, tok)
    sentence = out["sentences"][0]
    assert "".join(sentence["tokens"]) == text
    assert [kind for _, _, kind in sentence["debris"]] == ["url", "email", "encoded"]
    words = segment.content_words(sentence)
    assert not any(w.lower() in {"https", "example", "com", "press", "org", "e5", "e6"} for w in words), words
    assert {"详见", "写信", "编码", "留存"} <= set(words)


def test_plain_sentences_get_no_debris_field():
    tok = segment.load_resources(segment.STAGE.params)
    record = {"id": "a", "source": "a", "outlet": "", "title": "",
              "sentences": [{"index": 0, "text": "增长50%，利润率为3%。", "start": 0}]}
    assert "debris" not in segment.process_record(record, tok)["sentences"][0]


def test_cantonese_function_words_are_stopwords():
    tok = segment.load_resources(segment.STAGE.params)
    words = [w for w, _, _, _, c in tok.tokens("佢哋唔系咁讲嘅，而家冇人知点解") if c]
    assert not {"佢哋", "唔", "系", "咁", "嘅", "而家", "冇", "点解"} & set(words), words
