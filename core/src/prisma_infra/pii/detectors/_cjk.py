"""Chinese, Japanese and Korean person names: family name first, no capitals, often no space.

A name is split into a family name (a single-character Chinese or Korean
surname below, or a listed two-character one such as 佐藤 or 欧阳) and a given
name; honorifics after it (様, 先生, 님) are dropped and count as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CANDIDATE", "CjkName", "parse"]

#: Han (with 々), kana and Hangul syllables.
_CHARS = "\u3005\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af"
_NAME = re.compile(rf"(?P<family>[{_CHARS}]{{1,3}})[ \u3000](?P<given>[{_CHARS}]{{1,4}})|[{_CHARS}]{{1,5}}")
#: After the name, with or without a space.
_HONORIFICS = ("様", "さま", "さん", "殿", "氏", "君", "先生", "女士", "小姐", "老师", "님", "씨", "선생님")
#: The most frequent single-character surnames of China (simplified and traditional forms) and Korea.
#: Left out: characters that are ordinary words far more often than surnames (文, 明, 和, 国, 海).
_SINGLE = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍"
    "涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤穆卓缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏"
    "席卫米柏宗瞿桂佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝封谈匡鞠惠荆乐冀郁"
    "胥班储栗燕楚鄢劳谌奚皮粟冼蔺楼满闻厉伊仝郜阚权帅屠朴盖练廉禹井祖漆巴丰支卿狄计索宣晋初门容敬扈晁芮"
    "陳張劉黃趙吳鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸賈韋鄒龔萬錢嚴湯顏莊聶魯聞羅楊孫馬胡郭梁宋唐"
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변"
    "염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부"
)
#: A name in running text: one or two runs of CJK characters, then maybe an honorific.
CANDIDATE = (
    rf"[{_CHARS}]{{1,5}}(?:[ \u3000][{_CHARS}]{{1,4}})?"
    rf"(?:[ \u3000]?(?:{'|'.join(sorted(_HONORIFICS, key=len, reverse=True))}))?"
)
_DOUBLE = frozenset(
    ["欧阳", "司马", "诸葛", "上官", "司徒", "东方", "慕容", "歐陽", "司馬", "諸葛",
     "황보", "남궁", "제갈", "선우", "독고", "사공"]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CjkName:
    family: str
    given: str
    #: A listed or frequent family name, and the given name in the shipped lists.
    family_known: bool
    given_known: bool
    honorific: bool
    #: Written with a space between family and given name (``高橋 舞``).
    spaced: bool = False


def _strip_honorific(value: str) -> tuple[str, bool]:
    for honorific in _HONORIFICS:
        if value.endswith(honorific) and len(value) > len(honorific) + 1:
            return value.removesuffix(honorific).rstrip(" \u3000"), True
    return value, False


def parse(value: str, first: Callable[[str], bool], last: Callable[[str], bool]) -> CjkName | None:
    """``value`` as a CJK name (at most 5 characters without a space), or ``None``; ``first``/``last``
    look names up."""
    text, honorific = _strip_honorific(value.strip())
    match = _NAME.fullmatch(text)
    if match is None:
        return None
    if match["given"]:
        family, given = match["family"], match["given"]
        known = family in _SINGLE or family in _DOUBLE or last(family)
        return CjkName(family, given, known, first(given), honorific, spaced=True)
    if len(text) == 1:  # a given name, or a family name, on its own
        return CjkName(text, "", text in _SINGLE, False, honorific)
    # Without a space: the longest known family name that leaves a given name of one to three characters.
    for size in (2, 1):
        family, given = text[:size], text[size:]
        if 1 <= len(given) <= 3 and (family in _DOUBLE or (size == 1 and family in _SINGLE) or last(family)):
            return CjkName(family, given, True, first(given), honorific)
    return CjkName(text[:1], text[1:], False, False, honorific)
