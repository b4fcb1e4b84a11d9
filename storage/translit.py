"""Latin spellings of the places and names in the news, and their Arabic script.

A reader whose keyboard is Latin types ``Tartus`` (the English help's own example) while the
archive writes ``طرطوس``. Search looks each run of Latin words up here (``lookup``) and, when
found, asks for the Arabic spellings too. A table, not rules: names are spelt by convention
(``Latakia`` is ``اللاذقية``, not a letter-by-letter rendering), and a wrong guess would find
unrelated articles. Keys are lower-case ASCII words separated by one space; hyphens and
apostrophes in a query split words the same way (``Deir ez-Zor`` is ``deir ez zor``).
"""

from __future__ import annotations

from collections.abc import Sequence

_TABLE_TEXT = """
tartus, tartous, tartouss: طرطوس
latakia, lattakia, latakiya, ladhiqiyah: اللاذقية
hmeimim, khmeimim, hmeymim, humaymim: حميميم
damascus, dimashq: دمشق
aleppo, halab: حلب
homs: حمص
hama, hamah: حماة
idlib, idleb: إدلب
raqqa, raqqah, rakka: الرقة
deir ez zor, deir ezzor, deir al zor, deir ez zur, deir el zor: دير الزور
daraa, deraa, dara'a: درعا
quneitra, qunaytirah: القنيطرة
suwayda, sweida, suwaida, as suwayda: السويداء
hasakah, hasaka, hassakeh, al hasakah: الحسكة
qamishli, qamishlo, kamishli: القامشلي
palmyra, tadmur, tadmor: تدمر
afrin, efrin: عفرين
kobani, kobane, ain al arab: عين العرب, كوباني
manbij, menbij: منبج
jableh, jabla: جبلة
baniyas, banias: بانياس
douma, duma: دوما
ghouta, eastern ghouta: الغوطة
yarmouk: اليرموك
golan: الجولان
syria: سوريا, سورية
russia: روسيا
turkey, turkiye: تركيا
iran: إيران
iraq: العراق
lebanon: لبنان
jordan: الأردن
egypt: مصر
israel: إسرائيل
palestine: فلسطين
gaza: غزة
west bank: الضفة الغربية
jerusalem, al quds: القدس
saudi arabia, saudi: السعودية
yemen: اليمن
qatar: قطر
kuwait: الكويت
bahrain: البحرين
oman: عمان
uae, emirates: الإمارات
libya: ليبيا
tunisia: تونس
algeria: الجزائر
morocco: المغرب
sudan: السودان
america, usa, united states: الولايات المتحدة, أمريكا
france: فرنسا
britain, uk, united kingdom: بريطانيا
germany: ألمانيا
china: الصين
ukraine: أوكرانيا
moscow: موسكو
washington: واشنطن
paris: باريس
london: لندن
beirut: بيروت
baghdad: بغداد
mosul: الموصل
basra: البصرة
cairo: القاهرة
alexandria: الإسكندرية
amman: عمان
riyadh: الرياض
jeddah: جدة
doha: الدوحة
dubai: دبي
abu dhabi: أبوظبي, أبو ظبي
ankara: أنقرة
istanbul: إسطنبول
tehran: طهران
aden: عدن
sanaa: صنعاء
hodeidah: الحديدة
tripoli: طرابلس
benghazi: بنغازي
khartoum: الخرطوم
geneva: جنيف
astana: أستانا
sochi: سوتشي
assad, al assad: الأسد
bashar, bashar al assad: بشار الأسد
putin: بوتين
lavrov: لافروف
trump: ترامب
biden: بايدن
erdogan: أردوغان
macron: ماكرون
netanyahu: نتنياهو
sharaa, al sharaa, ahmed al sharaa: الشرع
jolani, julani, al jolani: الجولاني
khamenei: خامنئي
nasrallah: نصر الله
hezbollah, hizbollah, hizballah: حزب الله
hamas: حماس
isis, isil, daesh, daish: داعش
kurds, kurdish: الأكراد, الكرد
sdf: قسد
houthis, houthi: الحوثيين, الحوثي
taliban: طالبان
nato: الناتو
united nations: الأمم المتحدة
"""


def _load(text: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        keys, _, arabic = line.partition(":")
        spellings = tuple(s.strip() for s in arabic.split(","))
        for key in keys.split(","):
            table[" ".join(key.replace("'", " ").split())] = spellings
    return table


#: ``"deir ez zor" -> ("دير الزور",)``: lower-case Latin words to Arabic spellings.
TABLE = _load(_TABLE_TEXT)
#: The longest key, in words: how far ``lookup`` looks ahead.
MAX_WORDS = max(len(k.split()) for k in TABLE)


def lookup(words: Sequence[str]) -> tuple[int, tuple[str, ...]] | None:
    """The longest key that ``words`` (lower-case Latin tokens) start with: how many words it
    takes and its Arabic spellings; None when ``words[0]`` starts no name of the table."""
    for n in range(min(MAX_WORDS, len(words)), 0, -1):
        found = TABLE.get(" ".join(words[:n]))
        if found is not None:
            return n, found
    return None
