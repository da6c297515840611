"""The words story clustering reads text with: stop words, words news desks use
interchangeably, and the sentences feeds append to every post.

Data, and the little code that turns it into lookup tables; how text is read (tokens, stems,
sentences) is ``wording``'s job, which passes its stemmer in (``synonym_table``).
"""

from __future__ import annotations

from collections.abc import Callable


def words_of(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``, as a set."""
    return frozenset(text.split())


# Sentences feeds append to every post: never news, and shared by unrelated stories.
# How such a sentence starts (regular-expression alternatives, matched case-insensitively as
# whole words).
BOILERPLATE_STARTS = (
    "read",
    "continue reading",
    "click here",
    "sign up",
    "subscribe",
    "learn more",
    "find out more",
    "see more",
    "watch",
    "listen",
    "follow us",
    "share this",
    "related:",
    "advertisement",
    "submitted by",
)
# Anywhere in a sentence, compared with its lower-case form (plain substring tests are
# several times faster than one case-insensitive regex over every sentence).
BOILERPLATE_ANYWHERE = (
    "appeared first on",
    "all rights reserved",
    "©",
    "newsletter",
    "originally published",
    "this article",
    "cookie policy",
    "cookies policy",
)
ABBREVIATIONS = words_of(
    """u.s. u.k. e.u. inc. corp. ltd. co. mr. mrs. ms. dr. st. vs. e.g. i.e. jan. feb. mar. apr.
    jun. jul. aug. sep. sept. oct. nov. dec. no. approx. est. dept. gov. sen."""
)

# Words that say nothing about which event an item reports.
STOPWORDS = words_of(
    """a about above after again against all also am amid an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it it's its
    itself just me more most my no nor not now of off on once only or other our out over own
    said says same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your new year years week today first last next one two three
    company companies firm plans plan set sets make makes made get gets according report
    reports reported told tells people ahead"""
    # The same for the languages of the groups below (words of three letters or more: shorter
    # ones are never read).
    """ der die das und den dem des ein eine einen einem einer ist sind mit für auf von bei
    nach aus über als auch nicht noch wie wird werden hat haben sich les une est sont pour
    dans sur avec par aux cette qui que pas son ses leur los las del una unos para por con
    sus más como dos uma são com nos nas seu sua mais gli della dei degli sono nel nella che
    suo più się nie jest dla het een met voor zijn aan bij"""
)


# Words news desks use interchangeably for one thing, by their first word. Only words whose
# every e-commerce sense is the same thing: "cut" (jobs or fees) is left alone, and so is
# "commission" (a fee, or the European Commission).
SYNONYM_GROUPS = (
    "fine penalty penalize penalise sanction bußgeld geldstrafe amende amendes multa multas"
    " sanzione sanzioni boete boetes 罰金 制裁 罚款 과징 벌금",
    "ipo flotation float börsengang 上場 上市 상장",
    "layoff redundancy stellenabbau entlassungen licenciements despidos demissões licenziamenti"
    " zwolnienia ontslagen 解雇 裁员 해고 감원",
    "acquire acquisition buyout purchase takeover übernahme übernimmt rachat rachète adquiere"
    " adquisición adquisição acquisizione acquisisce przejęcie overname 買収 收购 收購 인수",
    "launch debut rollout startet lance lancement lanza lanzamiento lança lançamento lancia"
    " lancio uruchamia",
    "suspend halt pause freeze",
    "ban block prohibit verbot verbietet interdiction interdit prohibición prohíbe divieto"
    " zakaz verbod 禁止 금지",
    "raise hike increase erhöht erhöhung augmente augmentation hausse aumenta aumento",
    "sue lawsuit litigation klage verklagt",
    "settle settlement",
    "invest investment investiert investition investit investissement invierte inversión"
    " investe investimento inwestycja 投資 投资 투자",
    "breach hack leak cyberattack 漏洩 流出 泄露 유출 해킹",
    "resign resignation quit",
    "share stock aktie aktien acciones ações azioni akcje 株価 股价 股價 주가",
    "parcel package shipment paket pakete colis paquete paquetes pacco pacchi paczka paczki"
    " pakket pakketten",
    "shopper customer consumer buyer kunden kunde consommateurs clientes consumidores clienti"
    " klienci klanten",
    "seller merchant vendor händler verkäufer vendeurs commerçants vendedores venditori"
    " sprzedawcy verkopers",
    "regulator watchdog regulierer régulateur regulador",
    "slash trim",
    "fall drop slide slump tumble sink plunge decline dip fällt sinkt chute baisse cae caída spada",
    "rise jump surge soar climb rally steigt anstieg sube subida sobe rośnie wzrost stijgt",
    # Words the same events are told with in the languages European, Latin American and Asian
    # outlets publish in; each group means one thing in every language listed. ("probe" and
    # "inquiry" were tried and left out: on the tuning sets they joined look-alikes more than
    # they joined reports of one event. "forecast" and "outlook" were too, until the tuning
    # sets held more earnings weeks, whose reports say either.)
    "warehouse entrepôt entrepôts lager logistikzentrum almacén almacenes armazém magazzino"
    " magazyn raktár magazijn 倉庫 仓库 창고",
    "strike walkout streik grève grèves huelga sciopero greve strajk staking",
    "earnings profit result gewinn ergebnis bénéfice résultat résultats beneficio beneficios"
    " resultado resultados lucro utile risultato risultati zysk wyniki winst 決算 财报 財報 실적",
    "quarter quarterly quartal trimestre trimestral trimestrale kwartał",
    "estimate expectation consensus",
    "robot roboter robô robots",
    "delivery lieferung zustellung livraison entrega consegna dostawa bezorging 配送 배송 배달",
    "tariff duty zoll zölle arancel aranceles dazi cło 関税 关税 關稅 관세",
    "price preis prix precio preço prezzo prijs",
    "open eröffnet öffnet ouvre ouverture abre apertura inaugura otwiera opent",
    "outage disruption glitch störung panne awaria storing 障害 장애 故障",
    "forecast outlook guidance prognose prévisions previsión previsioni prognoza 見通 전망",
    "tax levy steuer taxe impuesto imposto imposta podatek belasting 課税 과세 征税",
    "revenue umsatz ingresos receita ricavi fatturato przychody omzet 売上 매출 营收 營收",
)


def synonym_table(stem: Callable[[str], str]) -> dict[str, str]:
    """Stem -> the stem that stands for its group (the group's first word), by ``stem``."""
    return {
        stem(word): stem(group.split()[0]) for group in SYNONYM_GROUPS for word in group.split()
    }
