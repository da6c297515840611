"""Companies written in other scripts, read as the names an English report gives them.

A Japanese report writes "ヤマト" where the English one writes "Yamato"; a Korean one "카카오페이"
for "Kakao Pay". Names are the key terms reports of one event share most often
(``keyterms.text_terms``), and names are read from capitalised Latin words, so a report in
another script shared none with the English reports of its event. The company families the
tagger knows carry their own local-script aliases (``tagging.companies``); this table is for
the other companies the news names: couriers, payment apps, rival platforms, brands.

Written from how each market's press spells the company (not from any evaluation set's
headlines). Left out on purpose: writings that are also common words or parts of them
(سلة "basket" for Salla, طلبات "orders" for Talabat, 토스 inside 토스트 "toast", 메타 inside
메타버스, 머스크 "Musk" as much as Maersk, 乐天/樂天 for Lotte as much as Rakuten, 苹果
"apple", 中通 inside 在...中通过), and names too short to be safe inside unspaced text.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# (the company's name as English reports write it, its writings in other scripts). A name of
# several words gives the words an English headline's name reading keeps ("Fast Retailing":
# "fast", "retailing").
_WRITINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Japan
    ("Yamato", ("ヤマト", "宅急便", "大和运输", "大和運輸", "야마토")),
    ("Sagawa", ("佐川", "사가와")),
    ("Mercari", ("メルカリ", "煤炉", "煤爐", "메루카리")),
    ("ZOZOTOWN", ("ゾゾタウン",)),
    ("Uniqlo", ("ユニクロ", "优衣库", "優衣庫", "유니클로")),
    ("Fast Retailing", ("ファーストリテイリング", "ファストリ", "迅销", "迅銷")),
    ("Askul", ("アスクル",)),
    ("Nitori", ("ニトリ",)),
    ("SoftBank", ("ソフトバンク", "软银", "軟銀", "소프트뱅크")),
    ("PayPay", ("ペイペイ",)),
    ("Yahoo", ("ヤフー", "ヤフオク", "雅虎", "야후")),
    ("Lawson", ("ローソン",)),
    ("FamilyMart", ("ファミリーマート", "ファミマ")),
    ("Nintendo", ("任天堂", "닌텐도")),
    ("Sony", ("ソニー", "索尼", "소니")),
    # China
    ("Xiaohongshu", ("小红书", "小紅書", "샤오훙수")),
    ("Meituan", ("美团", "美團", "メイトゥアン", "메이퇀")),
    ("ByteDance", ("字节跳动", "字節跳動", "バイトダンス", "바이트댄스")),
    ("Tencent", ("腾讯", "騰訊", "テンセント", "텐센트")),
    ("WeChat", ("微信", "ウィーチャット", "위챗")),
    ("Baidu", ("百度", "バイドゥ", "바이두")),
    ("Alipay", ("支付宝", "支付寶", "アリペイ", "알리페이")),
    ("Ant", ("蚂蚁集团", "螞蟻集團", "アント・グループ", "앤트그룹")),
    ("Cainiao", ("菜鸟", "菜鳥", "ツァイニャオ", "차이냐오")),
    ("Vipshop", ("唯品会", "唯品會")),
    ("Suning", ("苏宁", "蘇寧")),
    ("SF", ("顺丰", "順豐")),
    ("J&T", ("极兔", "極兔")),
    ("ZTO", ("中通快递", "中通快遞")),
    ("YTO", ("圆通速递", "圓通速遞")),
    ("Lalamove", ("货拉拉", "貨拉拉")),
    ("Hema", ("盒马", "盒馬")),
    ("Poizon", ("得物",)),
    ("Xiaomi", ("小米", "シャオミ", "샤오미")),
    ("Huawei", ("华为", "華為", "ファーウェイ", "화웨이")),
    ("Miniso", ("名创优品", "名創優品", "メイソウ")),
    ("Samsung", ("三星", "サムスン", "삼성")),
    # Korea
    ("Kakao", ("카카오",)),
    ("Naver", ("네이버", "ネイバー")),
    ("Toss", ("토스페이먼츠", "토스뱅크", "비바리퍼블리카")),
    ("Lotte", ("롯데", "ロッテ")),
    ("Shinsegae", ("신세계",)),
    ("Gmarket", ("지마켓", "G마켓")),
    ("Musinsa", ("무신사",)),
    ("Kurly", ("마켓컬리", "컬리")),
    ("Baemin", ("배달의민족", "배민")),
    ("Woowa", ("우아한형제들",)),
    ("Karrot", ("당근마켓",)),
    ("TMON", ("티몬", "티메프")),
    ("Wemakeprice", ("위메프", "티메프")),
    ("Qoo10", ("큐텐",)),
    ("CJ", ("대한통운",)),
    # Everywhere
    ("Apple", ("アップル", "애플", "آبل", "أبل")),
    ("Google", ("グーグル", "谷歌", "구글", "جوجل", "غوغل", "गूगल", "гугл")),
    ("Microsoft", ("マイクロソフト", "微软", "微軟", "마이크로소프트", "مايكروسوفت")),
    ("Facebook", ("フェイスブック", "脸书", "臉書", "페이스북", "فيسبوك")),
    ("Instagram", ("インスタグラム", "인스타그램", "إنستغرام")),
    ("Uber", ("ウーバー", "优步", "優步", "우버", "أوبر")),
    ("PayPal", ("ペイパル", "페이팔", "باي بال")),
    ("Mastercard", ("マスターカード", "万事达", "萬事達", "마스터카드")),
    ("FedEx", ("フェデックス", "联邦快递", "聯邦快遞", "페덱스", "فيديكس")),
    ("Maersk", ("マースク", "马士基", "馬士基", "ميرسك")),
    ("Costco", ("コストコ", "好市多", "开市客", "開市客", "코스트코", "كوستكو")),
    ("Carrefour", ("カルフール", "家乐福", "家樂福", "까르푸", "كارفور")),
    ("IKEA", ("イケア", "宜家", "이케아", "ايكيا", "إيكيا")),
    ("Nike", ("ナイキ", "耐克", "나이키", "نايكي")),
    ("Adidas", ("アディダス", "阿迪达斯", "阿迪達斯", "아디다스", "أديداس")),
    ("Lululemon", ("ルルレモン", "露露乐蒙", "露露樂蒙", "룰루레몬")),
    # The Middle East and Africa
    ("Jumia", ("جوميا",)),
    ("Aramex", ("أرامكس", "ارامكس")),
    ("Tabby", ("تابي",)),
    ("Taboola", ("טאבולה",)),
    ("Wix", ("ויקס",)),
    ("Fiverr", ("פייבר",)),
    # India
    ("Blinkit", ("ब्लिंकिट",)),
    ("Zepto", ("ज़ेप्टो", "जेप्टो")),
    ("Swiggy", ("स्विगी",)),
    ("Instamart", ("इंस्टामार्ट",)),
    ("Zomato", ("ज़ोमैटो", "जोमैटो")),
    ("Paytm", ("पेटीएम",)),
    ("PhonePe", ("फोनपे", "फ़ोनपे")),
    ("Reliance", ("रिलायंस",)),
    ("JioMart", ("जियोमार्ट",)),
    ("Nykaa", ("नायका",)),
    ("Myntra", ("मिंत्रा",)),
    # Russia and Central Asia
    ("Ozon", ("озон",)),
    ("Wildberries", ("вайлдберриз",)),
    ("Yandex", ("яндекс",)),
    ("Avito", ("авито",)),
    # South-East Asia
    ("Grab", ("แกร็บ",)),
)

# Latin names English reports use interchangeably for one company: read as the first.
SAME_NAME: dict[str, str] = {
    "rednote": "xiaohongshu",
    "huolala": "lalamove",
    "freshippo": "hema",
    "dewu": "poizon",
    "kakaopay": "kakao",
    "naverpay": "naver",
    "daangn": "karrot",
    "tosspayments": "toss",
}

_WORD_RE = re.compile(r"[^\W_]+(?:&[^\W_]+)?")
UNSPACED = "\u0e00-\u0e7f\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
"""Thai, Chinese, Japanese and Korean (a regex class's ranges): scripts written without spaces
between words, and Korean, whose particles are written onto a name ("카카오페이는")."""
# In those a writing counts anywhere in the text.
_UNSPACED_RE = re.compile(f"[{UNSPACED}]")
# The spaced scripts the table writes in: Cyrillic, Hebrew, Arabic, Devanagari (U+0400-U+0DFF).
_SPACED_SCRIPT_RE = re.compile("[\u0400-\u0dff]")
# Elsewhere a writing starts a word, after at most a prefix written onto it (Arabic "and",
# "with", "for", "the"; Hebrew "the", "and", "in", "to", "from", "that"), so that تابي (Tabby)
# is not read inside كتابي ("my book").
_PREFIXES = "(?:ال|[وبلفהובלמש])?"


Names = tuple[str, ...]


@functools.cache
def _table() -> tuple[tuple[tuple[str, Names], ...], dict[str, Names], re.Pattern[str]]:
    """Each unspaced writing (NFC, lower case: texts are compared so) and the names it stands
    for; the same for the spaced writings, and one pattern that finds those."""
    names: dict[str, list[str]] = {}
    for latin, writings in _WRITINGS:
        words = _WORD_RE.findall(latin.lower())
        for writing in writings:
            found = names.setdefault(unicodedata.normalize("NFC", writing).lower(), [])
            found.extend(word for word in words if word not in found)
    unspaced = tuple((w, tuple(found)) for w, found in names.items() if _UNSPACED_RE.search(w))
    spaced = {w: tuple(found) for w, found in names.items() if not _UNSPACED_RE.search(w)}
    # Longest first: a pattern's alternatives are tried in order.
    alternatives = "|".join(map(re.escape, sorted(spaced, key=len, reverse=True)))
    return unspaced, spaced, re.compile(rf"(?<!\w){_PREFIXES}({alternatives})")


def latin_names(lowered: str) -> list[str]:
    """The Latin names of the companies a text (NFC, lower case, not ASCII) writes in another
    script, each once."""
    unspaced, spaced, pattern = _table()
    out: list[str] = []
    # Most texts that are not ASCII are Latin with accents: neither kind of writing is tried.
    if _UNSPACED_RE.search(lowered) is not None:
        for writing, names in unspaced:
            if writing in lowered:
                out.extend(name for name in names if name not in out)
    if _SPACED_SCRIPT_RE.search(lowered) is not None:
        for match in pattern.finditer(lowered):
            out.extend(name for name in spaced[match.group(1)] if name not in out)
    return out
