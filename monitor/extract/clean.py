"""Line-level cleaning of a body block: chrome, promotion, paywalls, spam, glosses, hard line breaks.

Each rule is a small function of one line; :func:`clean_lines` applies them in order and keeps what it removed
with the reason, so a wrong removal can be explained.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from monitor.extract.options import DEFAULT_OPTIONS, ExtractOptions

# -- truncation ---------------------------------------------------------------------------------------------
END_MARKERS = [
    re.compile(p, re.I)
    for p in (
        r"^[（(]?未完[,，]?\s*全文共\s*\d+\s*字[,，]?\s*当前显示\s*\d+\s*字[)）]?",
        r"^全文共\s*\d+\s*字[,，]?\s*当前显示\s*\d+\s*字",
        r"^(点击|查看)?阅读全文",
        r"^(?:……|\.\.\.)?\s*打开\s*app\s*(阅读|查看)全文",
        r"剩余\s*\d+\s*[%％]\s*(的)?内容",
        r"打开\s*app.{0,4}(阅读|查看)(全文|完整)",
        r"^下载\s*app.{0,6}(阅读|查看)全文",
        r"^预览结束",
        r"^\d+(\.\d+)?元\s*免费试读",
        r"^免费试读",
        r"剩余\s*\d+\s*字.{0,12}(会员|登录|登陆|下载|付费|扫码)",
        r"^(想阅读完全部|阅读完整内容|查看完整内容|完整内容).{0,20}(登录|登陆|会员|注册)",
        r"^(本文|本文档)为(付费|会员专享)",
        r"^试读已结束",
        r"^(余下|剩下|剩余)(全文|内容).{0,20}(登录|会员|下载|付费|扫码)",
    )
]
MID_MARKER = re.compile(r"^[…\.]*\s*(省略|隐藏|此处省略)\s*\d+\s*字.{0,20}(会员|登录|登陆|阅读|下载)?.*$")

# -- page chrome and promotion ---------------------------------------------------------------------------------
CHROME_PATTERNS = [
    re.compile(p)
    for p in (
        r"^(发布|发表|更新|成文|印发)?(时间|日期)\s*[：:]",
        r"^(来源|信息来源|文章来源|作者|编辑|责任编辑|审核|撰稿|浏览次数|浏览量|阅读量|点击数|点击量|访问量)\s*[：:]",
        r"(发布时间|发布日期|信息来源|浏览次数|浏览量|阅读次数)\s*[：:]",
        r"【?\s*字[体号]\s*[：:]?\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小",
        r"^[【\[]?(打印|打印本页|关闭|关闭窗口|返回顶部|收藏|分享到?|纠错)[】\]]?(\s*[【\[]?(打印|打印本页|关闭|关闭窗口|返回顶部|收藏|分享|纠错)[】\]]?)*$",
        r"^(扫一扫|手机扫码|扫码(阅读|查看|打开)|微信扫一扫)|在手机(上)?打开(当前页|本页)|用手机看",
        r"^(无障碍|长者模式|适老化|读屏|智能问答)",
        r"网站标识码|ICP备|ICP证|公网安备|版权所有|Copyright|©|主办单位|主办\s*[：:]|承办\s*[：:]|技术支持\s*[：:]",
        r"^(当前位置|您当前的位置|您现在的位置|所在位置|位置)\s*[：:]",
        r"^(首页|首頁)\s*[>＞»/]",
        r"^(上一篇|下一篇|上一條|下一條|上一条|下一条)\s*[：:]",
        r"^(相关(内容|文章|链接|新闻|阅读|範文|范文)|相關(內容|文章|範文)|热门推荐|熱門推薦|推荐阅读|本周热门|本月热门)",
        r"^(分享|分享到|分享本文)\s*[：:]?",
        r"^(时间|時間)\s*[：:]\s*\d{4}-\d{1,2}-\d{1,2}",
        r"^\d{4}-\d{1,2}-\d{1,2}(\s+\d{1,2}:\d{2}(:\d{2})?)?(\s+\d+)?$",
        r"^(文章导读|文章導讀|正文|全文)$",
        r"^关于本文$|^本文标题\s*[：:]|^链接地址\s*[：:]|^本文链接\s*[：:]",
        r"^(阅读|閱讀|浏览|瀏覽)\s*[：:]?\s*\d+\s*次",
        r"^[-—–\s]*\d{1,4}[-—–\s]*$|^第\s*\d+\s*页(\s*共\s*\d+\s*页)?$",
        r"^(往期推荐|往期回顾|往期精选|延伸阅读|相关推荐|猜你喜欢|精彩推荐|你可能还喜欢)",
        r"^(编者按|編者按)\s*[：:]",
        r"^.{0,40}(供图|摄影?|/摄|图片来源[：:].{0,20})$",
        r"^[（(]?本文(转载|轉載|来源|來源|来自|來自|整理|系|为|內容|内容).{0,60}[）)]?$",
        r"^[\u4e00-\u9fff]{1,10}〔\d{4}〕\d+号$",
        r"^.{0,50}\s篇\s*\d+$|^篇\s*\d+$",
        r"^\d+\s*(人|次)?(阅读|浏览|閱讀|瀏覽)$",
    )
]
PROMO_KEYWORDS = re.compile(
    r"公众号|公眾號|微信|QQ|qq|代写|代寫|代笔|代筆|会员|會員|下载|下載|赞赏|讚賞|打赏|打賞|赏赞|"
    r"VIP|vip|范文网|範文網|范文库|客服|扫码|掃碼|转载请注明|轉載請注明|版权归|侵删|联系老师|登录|登陆|登錄"
)
PROMO_HANDLE = re.compile(
    r"(?:公众号|公眾號)\s*[：:]?\s*【[^】]{1,20}】|(?:微信|微信号|QQ|qq)\s*[：:号]?\s*[A-Za-z0-9_-]{5,}|"
    r"www\.|https?://|\.com\b|\.net\b|\.cn\b"
)
PROMO_STRONG = re.compile(
    r"小编|为大家整理|為大家整理|希望对大家有所帮助|希望對大家有所幫助|欢迎阅读与收藏|供大家参考|仅供参考|僅供參考|"
    r"加微信|關注公眾號|关注公众号|公文代写|材料代写|代写服务|代寫|请加QQ|請加QQ|开通会员|開通會員|"
    r"转载请注明出处|轉載請注明出處|更多精彩|更多公文|更多範文|更多范文|海量优质范文|海量優質範文"
)
PAYWALL_LINES = re.compile(r"^¥\s*\d|^\d+(\.\d+)?\s*元$|^请选择打赏|^尚未有人|^如果喜欢本篇")
TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňḿ"
# lowercase syllables with at least one tone mark: (yíng shāng), never (GDP) or (5G)
PINYIN_GLOSS = re.compile(rf"[（(]\s*(?=[a-zü{TONED}\s]*[{TONED}])[a-zü{TONED}]+(?:\s+[a-zü{TONED}]+)*\s*[)）]")
RELATED_HEADING = re.compile(
    r"(相关文章|相关阅读|相关推荐|相关链接|往期推荐|往期回顾|延伸阅读|猜你喜欢|相關文章|相關閱讀|热门文章|最新文章)\s*[：:]?$"
)
TERMINAL = "。！？；：…”’」』）)!?;:"


@dataclass
class CleanResult:
    paragraphs: list[str]
    truncated: bool = False
    truncation_marker: str | None = None
    cut: str | None = None  # "end" | "middle"
    removed: list[tuple[str, str]] = field(default_factory=list)  # (line, reason)


PROMO_PREFIX = re.compile(
    r"^.{0,120}?(?:加微信|微信|QQ|qq|微信号|公众号)\s*[:：]?\s*(?:【[^】]{1,20}】|[A-Za-z0-9_\-]{5,})[!！。，,]?(?=[\u4e00-\u9fff“])"
)


def strip_promo_prefix(line: str) -> str:
    """Drop a promotion glued to the start of a line (``…如需公文代写加微信:1795297329树立…``): keep the rest."""
    match = PROMO_PREFIX.match(line)
    if match and PROMO_KEYWORDS.search(match.group(0)):
        rest = strip_promo_prefix(line[match.end() :])
        return rest if len(rest) >= 8 else ""  # a short tail (``每日更新``) belongs to the promotion
    return line


def strip_glosses(line: str) -> str:
    """Drop pinyin glosses inside words: ``營商(yíng shāng)環境`` → ``營商環境``."""
    return PINYIN_GLOSS.sub("", line)


def end_marker(line: str) -> bool:
    return any(p.search(line) for p in END_MARKERS)


def mid_marker(line: str) -> bool:
    return bool(MID_MARKER.match(line))


SHORT_WITH_URL = re.compile(r"www\.|https?://|\.(com|cn|net|org)\b", re.I)


def is_page_chrome(line: str) -> bool:
    if len(line) <= 60 and SHORT_WITH_URL.search(line):
        return True  # a site banner or link line, not speech text
    return len(line) <= 200 and any(p.search(line) for p in CHROME_PATTERNS)


def is_promotion(line: str, options: ExtractOptions = DEFAULT_OPTIONS) -> bool:
    """A promotion or paywall line: a keyword in a short line, or a keyword with a handle, URL or number.

    Long speech paragraphs may mention 微信公众号 or 会员 in passing; they are kept.
    """
    if PROMO_STRONG.search(line) or PAYWALL_LINES.search(line):
        return True
    if not PROMO_KEYWORDS.search(line):
        return False
    return len(line) <= options.promo_max_line or bool(PROMO_HANDLE.search(line))


def rejoin_hard_breaks(lines: list[str]) -> list[str]:
    """Join lines wrapped at a fixed width (PDF conversions, ``<br>`` every N characters) into paragraphs.

    The wrap width is the most common line length when it accounts for a large share of the lines; a line of
    that width that does not end a sentence continues on the next line.
    """
    lengths = Counter(len(line) for line in lines if len(line) >= 16)
    if not lengths:
        return lines
    width, count = lengths.most_common(1)[0]
    if count < 4 or count < 0.3 * len(lines):
        return lines
    joined: list[str] = []
    carry = ""
    for line in lines:
        text = carry + line
        if len(line) == width and not line.endswith(tuple(TERMINAL)):
            carry = text
            continue
        joined.append(text)
        carry = ""
    if carry:
        joined.append(carry)
    return joined


def clean_lines(
    lines: list[str],
    *,
    is_learned_chrome=None,
    drop_exact: set[str] | None = None,
    options: ExtractOptions = DEFAULT_OPTIONS,
) -> CleanResult:
    """Remove everything that is not the body; detect truncation. ``lines`` are the main block's lines."""
    result = CleanResult(paragraphs=[])
    drop_exact = {d for d in (drop_exact or set()) if d}
    kept: list[str] = []
    for raw in lines:
        glossless = strip_glosses(raw).strip()
        line = strip_promo_prefix(glossless).strip()
        if line != glossless:
            result.removed.append((glossless[: len(glossless) - len(line)], "promotion"))
        if not line:
            continue
        if end_marker(line):
            result.truncated, result.truncation_marker, result.cut = True, line, "end"
            result.removed.append((line, "truncation"))
            break
        if mid_marker(line):
            result.truncated, result.truncation_marker = True, line
            result.cut = result.cut or "middle"
            result.removed.append((line, "truncation"))
            continue
        if RELATED_HEADING.search(line) and len(line) <= 60 and len(kept) >= 3:
            result.removed.append((line, "related list"))
            break  # what follows a related-list heading at the end of the body is the list
        reason = _removal_reason(line, is_learned_chrome, drop_exact, options)
        if reason:
            result.removed.append((line, reason))
            continue
        kept.append(line)
    result.paragraphs = rejoin_hard_breaks(kept)
    return result


SPEECH_FORMULA = re.compile(
    r"^(同志们|同志們|各位|尊敬的|女士们|朋友们|大家好|谢谢|謝謝)|我讲|我講|我们|我們|大家|讲话|講話|"
    r"^[一二三四五六七八九十]+[、．.]|^[（(][一二三四五六七八九十]+[)）]|^第[一二三四五六七八九十]+[，,、]"
)


def speech_formula(line: str) -> bool:
    """Lines every speech of a site repeats (同志们：, 下面我讲三点意见, 谢谢大家！, headings): never chrome."""
    return bool(SPEECH_FORMULA.search(line))


def _removal_reason(line, is_learned_chrome, drop_exact, options) -> str | None:
    if line in drop_exact:
        return "repeated title"
    if is_learned_chrome is not None and is_learned_chrome(line) and not speech_formula(line):
        return "learned chrome"
    if is_page_chrome(line):
        return "page chrome"
    if is_promotion(line, options):
        return "promotion"
    if len(line) <= 3 and not re.search(r"[\u4e00-\u9fff0-9A-Za-z]", line):
        return "fragment"
    return None
