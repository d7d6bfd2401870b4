"""Speech metadata from the header block and the text: title, speaker, post, occasion, dates, type, topic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.extract.numerals import numeral_value
from monitor.extract.script import to_simplified

POSTS = (
    "书记|副书记|市长|副市长|区长|副区长|县长|副县长|州长|省长|副省长|主任|副主任|局长|副局长|厅长|部长|主席|"
    "镇长|乡长|秘书长|组长|常委|委员|专员|总经理|董事长|行长|旗长|盟长|署长|司长|处长"
)
SUBTITLE = re.compile(
    r"^[—－─\-]{0,2}\s*[(（]?\s*(?:在|于)(?P<occasion>.{2,60}?)(?:上)?的"
    r"(?:讲话|致辞|发言|报告|动员讲话|总结讲话|讲话提纲|主持词|工作报告)(?:提纲|稿)?\s*[)）]?$"
)
DATE_LINE = re.compile(r"^[(（]?\s*(?P<y>\d{4})\s*年\s*(?:(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})\s*日)?)?\s*[)）]?$")

cn_number = numeral_value  # small Chinese numerals (四 → 4, 十二 → 12), see monitor.extract.numerals
CN_DATE = re.compile(
    r"(?P<y>[〇○零ＯO一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?:(?P<d>[一二三四五六七八九十]{1,3})日)?"
)


def arabic_dates(text: str) -> str:
    """``二○一九年四月十二日`` → ``2019年4月12日`` (bylines of older speeches)."""

    def convert(match: re.Match) -> str:
        out = f"{numeral_value(match.group('y'))}年{numeral_value(match.group('m'))}月"
        return out + (f"{numeral_value(match.group('d'))}日" if match.group("d") else "")

    return CN_DATE.sub(convert, text)


MASKABLE = "Xx×*＊"
BYLINE = re.compile(
    rf"^(?P<post>[\u4e00-\u9fff、，,·（）()“”\-\s{MASKABLE}]{{0,40}}?(?:{POSTS}))\s*[　\s]\s*"
    rf"(?P<name>[\u4e00-\u9fff{MASKABLE}]{{2,4}})$"
)
BYLINE_TIGHT = re.compile(rf"^(?P<post>[\u4e00-\u9fff、，,]{{0,40}}?(?:{POSTS}))(?P<name>[\u4e00-\u9fff]{{2,3}})$")
TRAILING_DATE = re.compile(
    r"^(?P<head>.*?)\s*(?P<date>[(（]\s*(?:\d{4}|[〇○零一二三四五六七八九]{4})\s*年[^)）]*[)）])$"
)
NAME_DATE = re.compile(r"^(?P<name>[\u4e00-\u9fff]{2,4})\s*[(（]\s*(?P<date>\d{4}\s*年.*?)[)）]$")
REPORT_SPEAKER = re.compile(
    rf"(?P<post>[\u4e00-\u9fff、]{{0,12}}?(?:{POSTS}))(?P<name>[\u4e00-\u9fff]{{2,3}}?)"
    r"(?:同志)?(?:出席(?:会议)?并(?:作)?(?:重要)?讲话|在会上(?:作)?(?:重要)?讲话|作(?:重要)?讲话|发表(?:重要)?讲话|讲话)"
)
TITLE_SPEAKER = re.compile(
    rf"^(?P<post>[\u4e00-\u9fff、]{{0,16}}?(?:{POSTS}))?(?P<name>[\u4e00-\u9fff]{{2,3}})?(?:同志)?在"
)
DATE_PREFIX = re.compile(r"^\s*\d{6,8}\s*[:：\-_ ]\s*")
PUBLISHED = re.compile(
    r"(?:发布时间|发布日期|发表时间|日期|时间|更新时间|上传于|上传时间|上传日期)\s*[：:]?\s*"
    r"(?P<d>\d{4}[-/年.]\d{1,2}[-/月.]\d{1,2})"
)
EVENT_TIME = re.compile(
    r"(?:访谈时间|发布会时间|采访时间|会议时间|活动时间)\s*[：:]\s*(?P<d>\d{4}[-/年.]\d{1,2}[-/月.]\d{1,2})"
)
NEWS_DATELINE = re.compile(r"\d{1,2}月\d{1,2}日电")
ISO_DATE = re.compile(r"(?P<y>\d{4})[-/年.](?P<m>\d{1,2})[-/月.](?P<d>\d{1,2})")
MONTH_DAY = re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
SIGNED_DATE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$")
SALUTATION = re.compile(r"^(同志们|各位|尊敬的|女士们|朋友们|大家好|亲爱的)")
THIRD_PERSON = re.compile(
    r"出席并讲话|出席会议并讲话|发表讲话|作重要讲话|作讲话|讲话中指出|讲话中强调|他强调|他指出|他表示|她强调|她指出|"
    r"会议强调|会议指出|会议要求|会议认为|会上，|会议由.{1,20}主持"
)
TRANSCRIPT = re.compile(r"^[\[【]?(主持人|记者|问|答|网友|嘉宾|[\u4e00-\u9fff]{2,12}记者)\s*(?:[\]】]|[：:])")
NOTICE_TITLE = re.compile(r"(通知|通告|公告|公示|批复|函|决定|办法|方案|意见)$")
TRANSCRIPT_TITLE = re.compile(r"新闻发布会|发布会|答记者问|访谈|专访|采访实录|在线访谈|对话")

BIZENV_TERMS = {
    "营商环境": 3.0, "放管服": 2.0, "一网通办": 1.5, "最多跑一次": 1.5, "一件事": 1.0, "政务服务": 1.0,
    "审批": 0.5, "市场主体": 0.7, "经营主体": 0.7, "惠企": 1.0, "涉企": 1.0, "亲清": 1.0, "店小二": 1.0,
    "证照分离": 1.0, "减税降费": 0.8, "企业开办": 1.0, "不见面": 0.8, "承诺制": 1.0, "标准地": 1.0,
    "营商": 0.5, "优化服务": 0.5, "企业诉求": 1.0, "政商关系": 1.0, "便利化": 0.8, "跑一次": 0.5,
}  # fmt: skip
OTHER_TOPIC_TERMS = {
    "安全生产": 2.0, "隐患": 1.0, "消防": 1.0, "事故": 0.8, "乡村振兴": 2.0, "农村": 0.6, "农业": 0.6,
    "招商引资": 1.5, "招商": 0.6, "项目建设": 0.6, "防汛": 1.0, "疫情防控": 1.0, "生态环境": 0.8,
}  # fmt: skip
BIZENV_TITLE = re.compile(r"营商环境|放管服|一网通办|最多跑一次|政务服务|一件事|营商")
OTHER_TITLE = re.compile(r"安全生产|乡村振兴|招商引资|消防|防汛|疫情防控|项目推进|生态")


@dataclass
class Header:
    title: str | None = None
    subtitle: str | None = None
    occasion: str | None = None
    speaker: str | None = None
    speaker_post: str | None = None
    speech_date: str | None = None
    speech_date_precision: str | None = None
    lines: tuple[int, ...] = ()  # indices of the header lines in the block


def parse_date_line(line: str) -> tuple[str, str] | None:
    """``（2020年8月）`` → ``("2020-08", "month")``; a whole-line date only."""
    match = DATE_LINE.match(arabic_dates(line.strip()))
    if not match:
        return None
    year, month, day = match.group("y"), match.group("m"), match.group("d")
    if not 1949 <= int(year) <= 2100:
        return None
    if day and month:
        return f"{year}-{int(month):02d}-{int(day):02d}", "day"
    if month:
        return f"{year}-{int(month):02d}", "month"
    return year, "year"


def parse_header(lines: list[str], scan: int = 10) -> Header:
    """Find the speech header in the first lines: own title, ——在…上的讲话, byline (post + name), date."""
    header = Header()
    used: list[int] = []
    simplified = [to_simplified(line) for line in lines[:scan]]
    for index, line in enumerate(simplified):
        if SALUTATION.match(line):
            break
        trailing_date = TRAILING_DATE.match(line)
        if trailing_date and header.speech_date is None and parse_date_line(trailing_date.group("date")):
            header.speech_date, header.speech_date_precision = parse_date_line(trailing_date.group("date"))
            line = trailing_date.group("head")
            if not line:
                used.append(index)
                continue
            if header.speaker is None and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", line):
                header.speaker = _restore(lines[index], line)  # 王建国（2019年4月12日）
                used.append(index)
                continue
        subtitle = SUBTITLE.match(line)
        if subtitle and header.subtitle is None:
            header.subtitle = lines[index]
            header.occasion = _restore(lines[index], subtitle.group("occasion").strip())
            used.append(index)
            if index > 0 and index - 1 not in used and _title_like(simplified[index - 1]):
                header.title = lines[index - 1]
                used.append(index - 1)
            elif not line.startswith(("—", "－", "-", "─")):
                header.title = lines[index]  # a title of the form 在…上的讲话
            continue
        date = parse_date_line(line)
        if date and header.speech_date is None:
            header.speech_date, header.speech_date_precision = date
            used.append(index)
            continue
        byline = BYLINE.match(line) or BYLINE_TIGHT.match(line)
        if byline and header.speaker is None and len(line) <= 50:
            header.speaker_post = _restore(lines[index], byline.group("post")).strip(" 　")
            header.speaker = _restore(lines[index], byline.group("name"))
            used.append(index)
            continue
        if trailing_date:
            used.append(index)
            continue
        name_date = NAME_DATE.match(line)
        if name_date and header.speaker is None:
            header.speaker = _restore(lines[index], name_date.group("name"))
            date = parse_date_line(name_date.group("date"))
            if date:
                header.speech_date, header.speech_date_precision = date
            used.append(index)
    header.lines = tuple(sorted(used))
    return header


def _title_like(line: str) -> bool:
    return (
        6 <= len(line) <= 60
        and not line.endswith(("。", "：", ":"))
        and not line.startswith(("·", "•", "»", ">", "■", "◆", "|"))
    )


def _restore(original: str, simplified_part: str) -> str:
    """The part of the original (maybe traditional) line that matches a span found in its simplified form."""
    simplified = to_simplified(original)
    start = simplified.find(simplified_part)
    return original[start : start + len(simplified_part)] if start >= 0 else simplified_part


def clean_title(title: str | None) -> str | None:
    """Strip a repost's date prefix (``20211025:``) and surrounding noise from a title."""
    if not title:
        return None
    title = DATE_PREFIX.sub("", " ".join(title.split()))
    return title.strip(" -_|") or None


TITLE_SEPARATORS = re.compile(r"\s*(?:--|——|—|_|\||｜|(?<!\d)-(?!\d)|－)\s*")


def strip_site_suffix(title: str) -> str:
    """The article part of a ``<title>``: the longest segment between separators (the site name is shorter)."""
    segments = [segment.strip() for segment in TITLE_SEPARATORS.split(title) if segment.strip()]
    return max(segments, key=len) if segments else title


def normalise_date(text: str | None) -> str | None:
    if not text:
        return None
    match = ISO_DATE.search(text)
    if not match:
        return None
    return f"{match.group('y')}-{int(match.group('m')):02d}-{int(match.group('d')):02d}"


def published_date(meta: dict[str, str], page_text: str) -> str | None:
    """The page's publication date: guideline ``PubDate``, then a 发布时间 line, then a bare timestamp line."""
    for key in ("PubDate", "pubdate", "publishdate", "PublishDate", "firstpublishedtime"):
        if meta.get(key):
            date = normalise_date(meta[key])
            if date:
                return date
    match = PUBLISHED.search(page_text)
    if match:
        return normalise_date(match.group("d"))
    bare = re.search(r"^\s*(\d{4}-\d{1,2}-\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?", page_text, re.M)
    return normalise_date(bare.group(1)) if bare else None


OCCASION_IN_TITLE = re.compile(r"在(?P<occ>.{4,60}?)上的(讲话|致辞|发言|报告)")
OCCASION_IN_TEXT = re.compile(
    r"(?:今天|今天上午|今天下午|这次|此次|本次)[，,]?(?:[^。！？]{0,14}?(?:召开|举行|举办))?(?:的)?"
    r"(?P<occ>[^，。；！、召]{2,40}(?:大会|会议|推进会|座谈会|动员会|部署会|现场会|调度会|培训会|论坛|发布会))"
    r"(?=的|上|，|,|。|$)"
)
OCCASION_IN_NOTICE = re.compile(r"关于(?:召开|举行|举办)(?P<occ>.{4,40}?)的通知")
OCCASION_HELD = re.compile(
    r"^(?P<occ>.{4,60}?(?:大会|会议|推进会|座谈会|动员会|部署会|现场会|发布会|论坛))(?:召开|举行|举办)?$"
)


def find_occasion(title: str | None, paragraphs: list[str]) -> str | None:
    """The meeting: from ``在…上的讲话``, a report's ``…大会召开`` title, or ``今天召开…会议`` in the text."""
    simplified = to_simplified(title or "")
    match = (
        OCCASION_IN_TITLE.search(simplified) or OCCASION_IN_NOTICE.search(simplified) or OCCASION_HELD.match(simplified)
    )
    if match:
        return match.group("occ")
    for paragraph in paragraphs[:3]:
        match = OCCASION_IN_TEXT.search(to_simplified(paragraph))
        if match:
            return match.group("occ")
    return None


TRANSCRIPT_SPEAKER = re.compile(r"^[\[【]?(?P<name>[\u4e00-\u9fff]{2,3})(?:[\]】]|[：:])")


def transcript_speaker(paragraphs: list[str]) -> tuple[str | None, str | None]:
    """The first official who answers (``谭振宇：…``) and the post the host introduced them with."""
    for paragraph in paragraphs[:12]:
        match = TRANSCRIPT_SPEAKER.match(paragraph)
        if match and match.group("name") not in ("主持人", "记者", "提问", "回答", "网友", "嘉宾", "问", "答"):
            name = match.group("name")
            text = "".join(paragraphs[:6])
            post = re.search(rf"(?P<post>[\u4e00-\u9fff、]{{0,16}}?(?:{POSTS})){name}", text)
            return name, (trim_post(re.sub(r"^.*[，。；]", "", post.group("post"))) if post else None)
    return None, None


POST_NOISE = re.compile(r"^.*(今天|今日|昨天|上午|下午|晚上|邀请到|请到|我们|出席|主持|会上|了|由|和|与|及)")


def trim_post(post: str | None) -> str | None:
    """Cut words before the post that a loose match picked up (``今天上午市委书记`` → ``市委书记``)."""
    if not post:
        return None
    return POST_NOISE.sub("", post) or None


def report_speaker(text: str) -> tuple[str | None, str | None]:
    """``市委书记陆承远出席并讲话`` → (``陆承远``, ``市委书记``)."""
    match = REPORT_SPEAKER.search(to_simplified(text[:3000]))
    if not match:
        return None, None
    post = re.sub(r"^.*[，。；、]", "", match.group("post"))
    return match.group("name"), trim_post(post)


def title_speaker(title: str | None) -> tuple[str | None, str | None]:
    """``市委书记在全区…上的讲话`` → (None, ``市委书记``); ``张三同志在…`` → (``张三``, None)."""
    if not title:
        return None, None
    match = TITLE_SPEAKER.match(to_simplified(title))
    if not match:
        return None, None
    return match.group("name"), match.group("post")


def report_date(paragraphs: list[str], published: str | None) -> tuple[str | None, str | None]:
    """A report's meeting date: ``3月8日上午，…召开`` in the first paragraphs, the year from publication."""
    if not published:
        return None, None
    for paragraph in paragraphs[:3]:
        match = MONTH_DAY.search(NEWS_DATELINE.sub("", paragraph))
        if match:
            year = int(published[:4])
            date = f"{year}-{int(match.group('m')):02d}-{int(match.group('d')):02d}"
            if date > published[:10]:  # 12月30日 reported on 2022-01-03 happened the year before
                date = f"{year - 1}{date[4:]}"
            return date, "day"
    return None, None


def event_date(page_text: str) -> tuple[str | None, str | None]:
    """An interview's or press conference's own date row (``访谈时间：2023-08-17``)."""
    match = EVENT_TIME.search(page_text)
    return (normalise_date(match.group("d")), "day") if match else (None, None)


def signed_date(paragraphs: list[str]) -> tuple[str | None, str | None]:
    """A notice's date: the ``2023年8月14日`` line at its end."""
    for paragraph in reversed(paragraphs[-4:]):
        match = SIGNED_DATE.match(paragraph.strip())
        if match:
            return f"{match.group('y')}-{int(match.group('m')):02d}-{int(match.group('d')):02d}", "day"
    return None, None


def classify_doc_type(title: str, paragraphs: list[str], header: Header) -> str:
    """``speech``, ``speech_report``, ``transcript``, ``notice`` or ``other`` from title and text shape."""
    title = to_simplified(title or "")
    body = to_simplified("\n".join(paragraphs[:80]))
    lines = body.splitlines()
    if NOTICE_TITLE.search(title) and "讲话" not in title or re.search(r"特此(通知|公告|通告)", body):
        return "notice"
    if TRANSCRIPT_TITLE.search(title) or sum(1 for line in lines if TRANSCRIPT.match(line)) >= 3:
        return "transcript"
    first_person = len(re.findall(r"我们|我讲|我想|我市|我区|我县|我省", body))
    salutation = any(SALUTATION.match(line) for line in lines[:5])
    third_person = len(THIRD_PERSON.findall(body))
    if header.subtitle or salutation:
        return "speech"
    if third_person >= 1 and third_person * 3 >= first_person / 3:
        return "speech_report"
    if re.search(r"讲话|致辞|发言", title) and first_person >= 3:
        return "speech"
    return "other"


def topic_relevance(title: str, paragraphs: list[str]) -> tuple[str, float]:
    """``bizenv`` or ``other`` and a relevance score (weighted business-environment terms per 1,000 characters).

    Same-genre speeches on 安全生产, 乡村振兴 or 招商引资 mention 营商环境 in passing; their own terms count
    against it, and a title naming another topic needs a clearly business-environment body.
    """
    title = to_simplified(title or "")
    body = to_simplified("".join(paragraphs))
    size = max(len(body), 500) / 1000
    positive = sum(weight * body.count(term) for term, weight in BIZENV_TERMS.items()) / size
    negative = sum(weight * body.count(term) for term, weight in OTHER_TOPIC_TERMS.items()) / size
    score = positive - 0.5 * negative
    if BIZENV_TITLE.search(title):
        score += 3.0
    if OTHER_TITLE.search(title) and not BIZENV_TITLE.search(title):
        score -= 3.0
    return ("bizenv" if score >= 1.0 else "other"), round(score, 2)
