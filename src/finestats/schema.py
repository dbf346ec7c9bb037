"""Every data file's columns, declared once.

One :class:`Column` per column of each file in ``data/raw/`` (:data:`FINES`, :data:`EVENTS`,
:data:`COVERAGE`, :data:`PRICES`, :data:`BLOCKED_HOSTS`, :data:`FIGURES`): its name, kind,
whether a value is required, its vocabulary or pattern, what an error message says is expected,
a description and a valid example. The loaders validate from these tables
(:func:`finestats.csvtable.check_declared`), ``make data`` writes the schema sections of
data/README.md from them (:func:`markdown`), and the tests build their fixtures from the
examples. Adding a column means adding one line here (and the code that uses it).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The sector vocabulary (see data/README.md for what each holds).
SECTORS: tuple[str, ...] = (
    "tech-platforms",
    "telecoms",
    "energy",
    "finance-insurance",
    "health",
    "public-sector",
    "retail",
    "transport",
    "hospitality",
    "media",
    "real-estate",
    "marketing",
    "education",
    "other",
)
STATUSES: tuple[str, ...] = ("final", "provisional", "penalty", "reduced", "annulled")
PRECISIONS: tuple[str, ...] = ("day", "month", "year")
DATE_BASES: tuple[str, ...] = ("decision", "announcement")
ARTICLE_BASES: tuple[str, ...] = ("decision", "summary")
OUTCOMES: tuple[str, ...] = (
    "appeal-lodged",
    "appeal-dismissed",
    "appeal-withdrawn",
    "upheld",
    "set-aside",
    "reinstated",
    "remitted",
    "leave-refused",
)
MEASURES: tuple[str, ...] = ("total", "count")
NOTICES: tuple[str, ...] = ("included", "excluded", "unknown")
APPEALS: tuple[str, ...] = ("imposed", "after-appeals", "unknown")
FX_METHODS: tuple[str, ...] = ("fixed", "decision", "none", "unknown")

#: ISO 4217 codes in use, plus the withdrawn ones the ECB published rates for.
ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    CYP EEK HRK LTL LVL MTL ROL SIT SKK TRL
    """.split()
)

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
COUNTRY = r"[A-Z]{2}"
#: One article reference: an optional law prefix (``LIL:``), then e.g. ``5(1)(f)``, ``L34-5``.
ARTICLE = r"(?:[A-Za-z][A-Za-z0-9.-]*:)?[A-Z]{0,2}[0-9]+[a-z]{0,3}(?:-[0-9]+)?(?:\([0-9a-z]+\))*"
URL = r"https?://[^\s/]+\.[^\s/]+(?:/\S*)?"
AMOUNT = r"[0-9]+(?:\.[0-9]+)?"  # ASCII digits only (\d would take any script)


@dataclass(frozen=True)
class Column:
    """One column of a data file.

    ``kind``: ``slug``, ``text``, ``code`` (a short code from a vocabulary or pattern),
    ``date`` (``YYYY-MM-DD``), ``amount`` (positive, ASCII digits and a point), ``number``
    (zero or more), ``year``, ``url`` or ``list`` (``;``-separated items, each matching
    ``pattern``). ``required``: every row has a value; ``strict``: every row of the curated
    collection has one (``validate --strict``); ``header``: the column must be in the header
    (if not, a file may leave it out and it is read as empty)."""

    name: str
    kind: str
    description: str
    required: bool = True
    strict: bool = False
    header: bool = True
    vocabulary: tuple[str, ...] | frozenset[str] = ()
    pattern: str = ""
    expected: str = ""
    example: str = ""
    categorical: bool = False
    not_future: bool = False

    def rule(self) -> str:
        """The value's rule in words, for data/README.md."""
        need = "required" if self.required else "strict" if self.strict else "optional"
        if self.vocabulary and len(self.vocabulary) <= 20:
            return f"{need}; one of {', '.join(f'`{v}`' for v in self.vocabulary)}"
        return f"{need}; {self.expected}" if self.expected else need


def _one_of(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(values)


FINES: tuple[Column, ...] = (
    Column(
        "fine_id",
        "slug",
        "stable unique slug `<regulator>-<decision year>-<defendant>[-<suffix>]`, lowercase "
        "ASCII: `imy-2021-polismyndigheten`, `ico-2021-clearview-ai-noi`",
        pattern=SLUG,
        expected="a lowercase slug such as imy-2021-polis",
        example="imy-2021-example",
    ),
    Column(
        "regulator",
        "code",
        "short code, one spelling per authority: IMY, ICO, CNIL, Garante, HDPA, AP, DPC, CNPD, "
        "AEPD, BfDI, Datatilsynet-NO ... (every code has a row in `coverage.csv`)",
        expected="a regulator code such as IMY",
        example="IMY",
        categorical=True,
    ),
    Column(
        "regulator_name",
        "text",
        "full name, identical on every record of the regulator",
        example="Integritetsskyddsmyndigheten",
    ),
    Column(
        "country",
        "code",
        "ISO 3166-1 alpha-2 (GB for the UK)",
        pattern=COUNTRY,
        expected="an ISO 3166-1 alpha-2 code such as SE",
        example="SE",
        categorical=True,
    ),
    Column(
        "defendant",
        "text",
        "the entity fined, by the legal name the decision gives, one spelling per entity",
        example="Base AB",
    ),
    Column(
        "group",
        "text",
        "the fined company's ultimate parent as its sources name it (`Meta Platforms`, "
        "`Alphabet`, `Amazon`, `ByteDance`...; the company itself when it has none); empty for "
        "public bodies and people; notes name the source where the parent is not obvious",
        required=False,
        header=False,
        example="Base Group",
    ),
    Column(
        "matter",
        "slug",
        "optional slug linking decisions about one underlying case across defendants and "
        "regulators, only where sources say they are one case (`clearview-ai`)",
        required=False,
        header=False,
        pattern=SLUG,
        expected="a lowercase slug such as clearview-ai",
    ),
    Column(
        "decision_date",
        "date",
        "the date the decision itself bears: the penalty notice, the deliberation (CNIL "
        '`SAN-YYYY-NNN`), the provvedimento, IMY\'s "Beslut", the resolution, the judgment',
        expected="an ISO date (YYYY-MM-DD) between 1900 and 2199",
        example="2021-02-11",
    ),
    Column(
        "date_basis",
        "code",
        "`decision` (the decision's own date) or `announcement` (the announcement stands in "
        "because the decision's date was not found; the notes say where it was looked for)",
        required=False,
        strict=True,
        header=False,
        vocabulary=DATE_BASES,
        expected=_one_of(DATE_BASES),
        example="decision",
        categorical=True,
    ),
    Column(
        "date_precision",
        "code",
        "`day`, or `month` (the 1st of the month) / `year` (1 January) when the source gives "
        "no more",
        vocabulary=PRECISIONS,
        expected=_one_of(PRECISIONS),
        example="day",
        categorical=True,
    ),
    Column(
        "announced_date",
        "date",
        "the date it was made public; empty when unknown; never before `decision_date`",
        required=False,
        expected="an ISO date (YYYY-MM-DD) between 1900 and 2199",
    ),
    Column(
        "amount",
        "amount",
        "positive number in the original currency, ASCII digits and a decimal point only "
        "(`2500000`)",
        pattern=AMOUNT,
        expected="a positive number without separators or currency sign, such as 2500000",
        example="1000",
    ),
    Column(
        "currency",
        "code",
        "ISO 4217 code the regulator used (SEK, GBP, EUR, NOK, DKK, PLN, CZK, HUF, RON, BGN "
        "until 2025, HRK until 2022)",
        vocabulary=ISO_4217,
        expected="an ISO 4217 code such as SEK",
        example="SEK",
        categorical=True,
    ),
    Column(
        "status",
        "code",
        "`final`, `provisional`, `penalty`, `reduced` or `annulled` (the lifecycle below)",
        vocabulary=STATUSES,
        expected=_one_of(STATUSES),
        example="final",
        categorical=True,
    ),
    Column(
        "supersedes",
        "slug",
        "the `fine_id` this record replaces, empty otherwise",
        required=False,
    ),
    Column(
        "law",
        "text",
        "`;`-separated short names of the laws applied (list below)",
        example="GDPR",
    ),
    Column(
        "articles",
        "list",
        "every article the decision's operative part finds infringed, `;`-separated, no "
        "spaces: GDPR and UK GDPR articles bare (`5(1)(a);6(1);13`), another law's with a "
        "prefix (`LIL:82`, `CPCE:L34-5`, `PECR:22`, `DPA1998:P7`, `CP:130`, `KUL:9`)",
        required=False,
        strict=True,
        header=False,
        pattern=ARTICLE,
        expected="article references separated by ';', such as 5(1)(a);6(1);13",
        example="6(1)",
    ),
    Column(
        "articles_basis",
        "code",
        "`decision` when the articles were read in the decision itself (its operative part or "
        "findings, original or full translation), `summary` when only a tracker's or GDPRhub's "
        "summary was available",
        required=False,
        strict=True,
        header=False,
        vocabulary=ARTICLE_BASES,
        expected=_one_of(ARTICLE_BASES),
        example="decision",
        categorical=True,
    ),
    Column(
        "sector",
        "code",
        "one of the sector vocabulary below",
        required=False,
        strict=True,
        header=False,
        vocabulary=SECTORS,
        expected=_one_of(SECTORS),
        example="retail",
        categorical=True,
    ),
    Column(
        "source_url",
        "url",
        "the http(s) page read that states the amount and the date used (a second source in "
        "notes when it is not the regulator, the decision, the EDPB or a court)",
        expected="an http(s) URL of the page the figures come from",
        example="https://example.org/base",
    ),
    Column(
        "notes",
        "text",
        "what the fine was for; case number; breakdown of several fines in one decision; "
        "conflicts between sources; where the decision date was looked for; court history; "
        "`checked YYYY-MM-DD against <source>` for the second reading",
        required=False,
    ),
)

EVENTS: tuple[Column, ...] = (
    Column(
        "event_id",
        "slug",
        "unique slug, `<fine_id>-<outcome>-<year>`",
        pattern=SLUG,
        expected="a lowercase slug such as ico-2022-clearview-ai-set-aside-2023",
        example="imy-2021-example-upheld-2022",
    ),
    Column(
        "fine_id",
        "slug",
        "the record it concerns (in `fines.csv` beside it)",
        expected="the fine_id of a record in the fines file beside it",
        example="imy-2021-example",
    ),
    Column(
        "date",
        "date",
        "the court's date, on or after the record's decision date",
        expected="an ISO date (YYYY-MM-DD)",
        not_future=True,
        example="2022-03-01",
    ),
    Column("court", "text", "the court or body", example="Förvaltningsrätten i Stockholm"),
    Column(
        "outcome",
        "code",
        "`appeal-lodged`, `appeal-dismissed`, `appeal-withdrawn`, `upheld`, `set-aside` (the "
        "record it names stops standing: what it replaced stands again), `reinstated` (it "
        "stands again), `remitted`, `leave-refused`",
        vocabulary=OUTCOMES,
        expected=_one_of(OUTCOMES),
        example="upheld",
    ),
    Column(
        "source_url",
        "url",
        "the page that states the step",
        pattern=r"https?://\S+",
        expected="an http(s) URL of the page that states the step",
        example="https://example.org/judgment",
    ),
    Column("notes", "text", "what it decided", required=False),
)

COVERAGE: tuple[Column, ...] = (
    Column("regulator", "code", "the regulator's code, as in `fines.csv`", example="IMY"),
    Column(
        "regulator_name",
        "text",
        "its full name, as in `fines.csv`",
        example="Integritetsskyddsmyndigheten",
    ),
    Column(
        "country",
        "code",
        "ISO 3166-1 alpha-2, as in `fines.csv`",
        pattern=COUNTRY,
        expected="an ISO 3166-1 alpha-2 code such as SE",
        example="SE",
    ),
    Column(
        "period_start",
        "date",
        "first decision date the claim covers",
        expected="an ISO date (YYYY-MM-DD)",
        example="2018-05-25",
    ),
    Column(
        "period_end",
        "date",
        "last decision date the claim covers",
        expected="an ISO date (YYYY-MM-DD)",
        example="2025-12-31",
    ),
    Column(
        "threshold_eur",
        "number",
        "the EUR amount (at the ECB rate of the decision date) from which every fine is held; "
        "0 = every fine",
        pattern=r"[0-9]{1,15}",
        expected="a whole number of euros (0 = every fine)",
        example="0",
    ),
    Column(
        "laws",
        "text",
        "`;`-separated laws the claim covers (a record counts if one of its laws is here)",
        example="GDPR",
    ),
    Column(
        "last_checked",
        "date",
        "when completeness was last searched for (not in the future)",
        expected="an ISO date (YYYY-MM-DD)",
        not_future=True,
        example="2026-11-27",
    ),
    Column("method", "text", "how completeness was searched for", example="Swept ..."),
    Column("notes", "text", "what was left out and why", required=False),
)

PRICES: tuple[Column, ...] = (
    Column("area", "code", "EA, GB, SE, US ...", example="EA"),
    Column(
        "currency",
        "code",
        "the currency whose amounts it deflates",
        pattern=r"[A-Z]{3}",
        expected="an ISO 4217 code such as EUR",
        example="EUR",
    ),
    Column("index", "text", "the index's name and publisher", example="HICP"),
    Column(
        "year",
        "year",
        "calendar year",
        pattern=r"(?:19|20|21)[0-9]{2}",  # 1900-2199, as every date finestats reads
        expected="a year such as 2021",
        example="2021",
    ),
    Column(
        "value",
        "amount",
        "the published annual average",
        pattern=r"[0-9]{1,12}(?:\.[0-9]{1,8})?",
        expected="a positive index value such as 105.8",
        example="105.8",
    ),
    Column("base", "text", "the index base, e.g. 2015=100", example="2015=100"),
    Column(
        "source_url",
        "url",
        "the page or file read",
        pattern=r"https?://\S+",
        expected="an http(s) URL",
        example="https://example.org/hicp",
    ),
    Column("notes", "text", "which row and column of which table", required=False),
)

BLOCKED_HOSTS: tuple[Column, ...] = (
    Column(
        "host",
        "code",
        "a host never cited as a source (its subdomains neither)",
        pattern=r"[a-z0-9.-]+\.[a-z0-9-]+",
        expected="a host name such as example.com",
        example="example.com",
    ),
    Column("reason", "text", "why", example="a proxy of other sites"),
)

FIGURES: tuple[Column, ...] = (
    Column(
        "figure_id",
        "slug",
        "unique slug, e.g. `dla-piper-2026-01-ie-total-eur`",
        pattern=SLUG,
        expected="a lowercase slug such as dla-piper-2026-01-total-eur",
        example="dla-piper-2026-01-total-eur",
    ),
    Column("publisher", "text", "DLA Piper, CMS, PrivacyAffairs, DPC ...", example="DLA Piper"),
    Column("edition", "text", "the publication and edition, as it names itself", example="x"),
    Column(
        "published_date",
        "date",
        "when the edition was published (empty: not found; the notes say so)",
        required=False,
        expected="an ISO date (YYYY-MM-DD)",
        not_future=True,
        example="2026-01-20",
    ),
    Column(
        "cutoff_date",
        "date",
        "the last day of fines it counts, as the publisher states it (empty: not stated)",
        required=False,
        expected="an ISO date (YYYY-MM-DD)",
        example="2026-01-10",
    ),
    Column(
        "window_start",
        "date",
        "the first day it counts (2018-05-25 for a total since the GDPR applied)",
        expected="an ISO date (YYYY-MM-DD)",
        example="2018-05-25",
    ),
    Column(
        "area",
        "code",
        "`all`, an ISO country code, or a regulator code as in `fines.csv`",
        pattern=r"all|[A-Z]{2}|[A-Za-z][A-Za-z0-9-]+",
        expected="all, a country code such as IE or a regulator code",
        example="all",
    ),
    Column(
        "measure",
        "code",
        "`total` (an amount) or `count` (a number of fines)",
        vocabulary=MEASURES,
        expected=_one_of(MEASURES),
        example="total",
    ),
    Column(
        "value",
        "number",
        "the number exactly as published, in digits (0 where the publisher says none)",
        pattern=AMOUNT,
        expected="a number without separators, such as 4040000000",
        example="7100000000",
    ),
    Column(
        "value_unit",
        "amount",
        "the unit of the last digit published (100000000 for '1.2 billion', 1 when exact)",
        pattern=r"10*",
        expected="a power of ten such as 1000000",
        example="100000000",
    ),
    Column(
        "currency",
        "code",
        "the figure's currency; empty for counts",
        required=False,
        pattern=r"[A-Z]{3}",
        expected="an ISO 4217 code such as EUR",
        example="EUR",
    ),
    Column("laws", "text", "what the publisher says it counts", example="GDPR"),
    Column(
        "notices",
        "code",
        "whether notices of intent are counted",
        vocabulary=NOTICES,
        expected=_one_of(NOTICES),
        example="unknown",
    ),
    Column(
        "appeals",
        "code",
        "amounts as imposed, or `after-appeals` (fines set aside or reduced on appeal by the "
        "cut-off left out or reduced), as the publisher states; `unknown` where it does not say",
        vocabulary=APPEALS,
        expected=_one_of(APPEALS),
        example="unknown",
    ),
    Column(
        "fx_method",
        "code",
        "how non-euro fines were converted: `fixed` (one rate per edition), `decision` (each "
        "fine's date), `none`, `unknown`",
        vocabulary=FX_METHODS,
        expected=_one_of(FX_METHODS),
        example="unknown",
    ),
    Column("fx_note", "text", "the rates or method as stated", required=False),
    Column(
        "source_url",
        "url",
        "the page read that states the figure",
        pattern=r"https?://\S+",
        expected="an http(s) URL",
        example="https://example.org/survey",
    ),
    Column("notes", "text", "qualifications and disagreements", required=False),
)


def names(table: tuple[Column, ...]) -> tuple[str, ...]:
    """The column names of a table, in file order."""
    return tuple(c.name for c in table)


def markdown(table: tuple[Column, ...]) -> str:
    """The table as the schema section of data/README.md: one row per column."""
    lines = ["| column | meaning | value |", "|---|---|---|"]
    for c in table:
        lines.append(f"| `{c.name}` | {c.description} | {c.rule()} |")
    return "\n".join(lines) + "\n"


def example_row(table: tuple[Column, ...]) -> dict[str, str]:
    """A valid row of the table (each column's example; empty where there is none)."""
    return {c.name: c.example for c in table}
