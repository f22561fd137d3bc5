"""The profit-tax rate when a scenario does not state one: the US federal corporate rate plus
the owner's state's top corporate income tax rate, the state tax being deductible federally.

    combined = federal + state x (1 - federal)        federal = 21 % (IRC section 11(b))

- It is a C corporation's rate, applied to each entity the model taxes (the company; or the PC
  and the owner's MSO).  An owner taxed on pass-through income (an LLC or an S corporation)
  pays their own marginal rate instead and should state it in ``finance.tax_rate``.
- A state with a gross-receipts or margin tax instead of a corporate income tax (Texas, Ohio,
  Nevada, Washington) or with neither (South Dakota, Wyoming) adds nothing: a tax on revenue is
  not a tax on profit, and the note beside the rate says what is left out.
- The top rate of a graduated schedule is used: a small practice may pay less in the few
  states that grade their rate.
- With no owner (no state) the default is the combined average of 25 % (Tax Foundation via
  the RATE Coalition).

Each state's rate carries its source (:data:`STATES`); ``docs/state-tax.md`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the scenario package imports this module
    from msomodel.scenario import Scenario

#: The federal corporate income tax rate (IRC section 11(b), since 2018).
FEDERAL = 0.21
FEDERAL_SOURCE = "federal 21% (IRC section 11(b))"
#: With no state: the combined average top corporate rate, federal and state.
AVERAGE = 0.25
AVERAGE_SOURCE = ("federal 21% plus state 0-11.5%: a combined average top corporate rate of "
                  "25.8% in 2021 (Tax Foundation, as quoted by the RATE Coalition, "
                  "https://ratecoalition.com/291-2/); no owner state given")


@dataclass(frozen=True)
class StateTax:
    """A state's top corporate income tax rate [fraction] and what it rests on."""

    rate: float
    kind: str     # "income" | "gross_receipts" | "none"
    note: str
    source: str


@dataclass(frozen=True)
class TaxDefault:
    """The default rate of a scenario [fraction] with its working and source."""

    value: float
    state: str | None
    state_rate: float | None
    source: str

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "federal": FEDERAL, "state": self.state,
                "state_rate": self.state_rate, "source": self.source}


def combined(state_rate: float) -> float:
    """Federal plus state, the state tax deducted federally [fraction]."""
    return FEDERAL + state_rate * (1.0 - FEDERAL)


def default_for(state: str | None) -> TaxDefault:
    """The default rate for an owner in ``state`` (None: no state given)."""
    if state is None or state.upper() not in STATES:
        return TaxDefault(AVERAGE, None, None, AVERAGE_SOURCE)
    st = STATES[state.upper()]
    value = combined(st.rate)
    if st.rate > 0:
        working = (f"federal 21% + {state.upper()} {st.rate * 100:.4g}% x (1 - 21%) = "
                   f"{value * 100:.4g}%")
    else:
        working = f"federal 21%; {state.upper()} adds no profit tax"
    return TaxDefault(value, state.upper(), st.rate, f"{working}: {st.note} ({st.source}; "
                      f"{FEDERAL_SOURCE}; a C corporation's rate, state your own for "
                      f"pass-through income)")


def tax_default(scenario: Scenario) -> TaxDefault:
    """The default the scenario would take (whether or not it states its own rate)."""
    return default_for(scenario.owner.state if scenario.owner is not None else None)


def tax_rate(scenario: Scenario) -> float:
    """``finance.tax_rate`` if stated, else :func:`tax_default`'s value [fraction]."""
    stated = scenario.finance.tax_rate
    return float(stated) if stated is not None else tax_default(scenario).value


def markdown() -> str:
    """``docs/state-tax.md``: every state's rate, the combined default and the source."""
    lines = ["# State corporate income tax: the default profit-tax rate", "",
             "Generated from `msomodel/scenario/tax.py` (`python -m msomodel.scenario.tax > "
             "docs/state-tax.md`); a test keeps it current. Not tax advice.", "",
             f"The default `finance.tax_rate` is {FEDERAL_SOURCE} plus the owner's state's top "
             "corporate income tax rate, which is deductible federally: "
             "`0.21 + state x (1 - 0.21)`. It is a C corporation's rate; an owner taxed on "
             "pass-through income (an LLC or an S corporation) should state their own marginal "
             "rate. A tax on gross receipts or margin is not a tax on profit and adds nothing; "
             "the note says what is left out.", "",
             "| state | state rate | default tax_rate | kind | note | source |",
             "|---|---|---|---|---|---|"]
    for code, st in sorted(STATES.items()):
        lines.append(f"| {code} | {st.rate * 100:.4g}% | {combined(st.rate) * 100:.4g}% | "
                     f"{st.kind.replace('_', ' ')} | {st.note} | {st.source} |")
    lines += ["", f"No owner state: {AVERAGE * 100:g}% ({AVERAGE_SOURCE}).", ""]
    return "\n".join(lines)


#: Two-letter code -> the state's top corporate income tax rate for 2026 (tax years from 1 Jan
#: 2026), read in each state's statute or revenue department page or the Tax Foundation's
#: "State Corporate Income Tax Rates and Brackets, 2026" (5 Jan 2026, as reprinted by NJBIA,
#: https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us), and
#: checked against each other on 2026-12-03.  New Jersey's transit fee and New York's 7.25 %
#: rate, which reach only income above $10 million and $5 million, are left out.
STATES: dict[str, StateTax] = {
    'AK': StateTax(
        0.094, 'income',
        'Graduated 0% to 9.4%; the 9.4% rate applies to taxable income of $222k and over.',
        'Alaska Department of Revenue, Tax Division, Corporate Income Tax, '
        'http://www.tax.alaska.gov/programs/programs/index.aspx?60380; Tax Foundation 2026 agrees'),
    'AL': StateTax(
        0.065, 'income',
        'Flat 6.5% of taxable income.',
        'Code of Alabama 1975 s. 40-18-31 (Alabama Legislature), '
        'http://alisondb.legislature.state.al.us/alison/codeofalabama/1975/40-18-31.htm'),
    'AR': StateTax(
        0.043, 'income',
        'Graduated: 1% to 3% on the first $11,000, 4.3% above $11,000.',
        'Arkansas Economic Development Commission, Corporate Income Tax (tax years from 1 Jan '
        '2024), https://arkansasedc.com/why-arkansas/business-climate/tax-structure/corporate-inc'
        'ome-tax; Tax Foundation 2026 agrees'),
    'AZ': StateTax(
        0.049, 'income',
        'Flat 4.9% of net income (minimum tax $50).',
        'Arizona Revised Statutes s. 43-1111 (FindLaw), '
        'https://codes.findlaw.com/az/title-43-taxation-of-income/az-rev-st-sect-43-1111.html; '
        'Tax Foundation 2026 agrees'),
    'CA': StateTax(
        0.0884, 'income',
        'Flat 8.84% franchise tax on net income, with an $800 minimum tax.',
        'California Revenue and Taxation Code s. 23151 (Jurris), '
        'http://jurris.com/california/revenue-and-taxation-code/23151-23156/'),
    'CO': StateTax(
        0.044, 'income',
        'Flat 4.4% of Colorado taxable income.',
        'Colorado Legislative Council, Corporate Income Tax, '
        'https://leg.colorado.gov/node/799046; Tax Foundation 2026 agrees'),
    'CT': StateTax(
        0.075, 'income',
        'Flat 7.5%; a 10% surtax on the tax applies only to companies with $100 million or more '
        'of gross income (or in combined groups).',
        'Connecticut General Statutes s. 12-214 (statutes.laws.com), '
        'https://statutes.laws.com/connecticut/title12/chap208/Sec12-214'),
    'DC': StateTax(
        0.0825, 'income',
        'Flat 8.25% franchise tax on net income, with a $250 or $1,000 minimum tax.',
        'DC Office of Tax and Revenue, DC Business Franchise Tax Rates (table through tax year '
        '2025), https://otr.cfo.dc.gov/node/1349326; the 2025 rate, no 2026 change found'),
    'DE': StateTax(
        0.087, 'income',
        'Flat 8.7%; Delaware also levies a separate gross receipts tax, which is not modeled as '
        'a profit tax.',
        'Delaware Code Title 30 s. 1902 (2022 code, US Lawyer Database), https://law.uslawyerdata'
        'base.com/category/us-law/2022-delaware-code/title-30-state-taxes/part-ii-title-30-state-'
        'taxes/income-inheritance-and-estate-taxes/chapter-19-corporation-income-tax'),
    'FL': StateTax(
        0.055, 'income',
        'Flat 5.5% of Florida net income after a $50k exemption.',
        'LegalClarity, Florida Corporate Income Tax Exemption (citing Fla. Stat. 220.14), '
        'https://legalclarity.org/florida-corporate-income-tax-exemption-who-qualifies'),
    'GA': StateTax(
        0.0509, 'income',
        'Flat 5.09% for 2026, down from 5.19% in 2025.',
        'Tax Foundation, State Corporate Income Tax Rates and Brackets, 2026 (Jan 2026), as '
        'reported by NJBIA, '
        'https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us'),
    'HI': StateTax(
        0.064, 'income',
        'Graduated: 4.4% up to $25k, 5.4% up to $100k, 6.4% above.',
        'Hawaii Revised Statutes s. 235-71 (Casetext, current through 2024 session), https://case'
        'text.com/statute/hawaii-revised-statutes/division-1-government/title-14-taxation/chapter'
        '-235-income-tax-law/part-iv-corporation-income-tax/section-235-71-tax-on-corporations-ra'
        'tes-credit-of-shareholder-of-regulated-investment-company; Tax Foundation 2026 agrees'),
    'IA': StateTax(
        0.071, 'income',
        'Graduated: 5.5% up to $100k, 7.1% above (2026 rates unchanged from 2025).',
        'RegFollower, Iowa Department of Revenue Order 2025-02 on 2026 corporate rates, '
        'https://regfollower.com/?p=73723'),
    'ID': StateTax(
        0.053, 'income',
        'Flat 5.3% from tax year 2025.',
        'Lewiston Tribune, Little signs $253M income tax cut bill (HB 40), 2025, '
        'https://www.lmtribune.com/local-news/little-signs-253m-income-tax-cut-bill-18936486; the'
        ' 2025 rate, no 2026 change found'),
    'IL': StateTax(
        0.095, 'income',
        '7% income tax plus 2.5% personal property replacement tax, 9.5% combined.',
        'Illinois Department of Revenue, What is the tax rate for corporations?, '
        'https://www2.illinois.gov/rev/QuestionsAndAnswers/pages/83.aspx; Tax Foundation 2026 '
        'agrees'),
    'IN': StateTax(
        0.049, 'income',
        'Flat 4.9% of Indiana adjusted gross income.',
        'Tax Foundation, State Corporate Income Tax Rates and Brackets, 2026 (Jan 2026), as '
        'reported by NJBIA, '
        'https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us'),
    'KS': StateTax(
        0.07, 'income',
        '4% normal tax plus a 3% surtax on income over $50k, 7% at the top.',
        'Kansas Department of Commerce, Corporate Income Tax, '
        'http://kansascommerce.gov/1119/Corporate-Income-Tax'),
    'KY': StateTax(
        0.05, 'income',
        'Flat 5% since tax year 2018.',
        'Kentucky Department of Revenue, Corporation Income and Limited Liability Entity Tax, htt'
        'p://revenue.ky.gov/Business/Corporation-Income-and-Limited-Liability-Entity-Tax/Pages/de'
        'fault.aspx; Tax Foundation 2026 agrees'),
    'LA': StateTax(
        0.055, 'income',
        'Flat 5.5% from tax year 2025, replacing the old 3.5%-7.5% brackets.',
        'Louisiana Revised Statutes 47:287.12 (Louisiana Legislature), '
        'https://www.legis.la.gov/legis/Law.aspx?d=101674'),
    'MA': StateTax(
        0.08, 'income',
        '8% of income plus $2.60 per $1,000 of property or net worth (minimum $456).',
        'Mass.gov, How Corporate Excise Tax is calculated, '
        'https://www.mass.gov/service-details/how-corporate-excise-tax-is-calculated'),
    'MD': StateTax(
        0.0825, 'income',
        'Flat 8.25% of Maryland taxable income.',
        'Comptroller of Maryland, Tax Rates for Corporations, http://taxes.marylandtaxes.gov/Busi'
        'ness_Taxes/Business_Tax_Types/Income_Tax/Tax_Information/Corporations/Tax_Rates.shtml'),
    'ME': StateTax(
        0.0893, 'income',
        'Graduated 3.5% to 8.93%; the 8.93% rate applies above $3.5 million.',
        'Maine Revised Statutes Title 36 s. 5200 (Maine Legislature), '
        'https://www.legislature.maine.gov/statutes/36/title36sec5200.html'),
    'MI': StateTax(
        0.06, 'income',
        'Flat 6% corporate income tax.',
        'MichiganVotes, 2023 House Bill 5008 (summary of MCL 206.623 imposing 6.0%), '
        'https://michiganvotes.org/legislation/2023/house/bill-5008'),
    'MN': StateTax(
        0.098, 'income',
        'Flat 9.8% franchise tax on taxable net income.',
        'Tax Foundation, State Corporate Income Tax Rates and Brackets, 2026 (Jan 2026), as '
        'reported by NJBIA, '
        'https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us'),
    'MO': StateTax(
        0.04, 'income',
        'Flat 4% since tax year 2020.',
        'Missouri Revised Statutes s. 143.071 (Casetext), https://casetext.com/statute/missouri-r'
        'evised-statutes/title-x-taxation-and-revenue/chapter-143-income-tax/section-143071-corpo'
        'rations-inapplicable-to-out-of-state-businesses-when; Tax Foundation 2026 agrees'),
    'MS': StateTax(
        0.05, 'income',
        'Graduated; the 5% top rate applies to taxable income over $10k.',
        'Tax Foundation, State Corporate Income Tax Rates and Brackets, 2026 (Jan 2026), as '
        'reported by NJBIA, '
        'https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us'),
    'MT': StateTax(
        0.0675, 'income',
        "Flat 6.75% (7% for water's-edge filers).",
        'Montana Department of Revenue, Montana Corporate Income Tax, '
        'https://mtrevenue.gov/taxes/corporate-income-tax/'),
    'NC': StateTax(
        0.02, 'income',
        'Flat 2% for 2026, falling to 1% in 2028 and 0% after 2029.',
        'Tax Foundation, State Corporate Income Tax Rates and Brackets, 2026 (Jan 2026), as '
        'reported by NJBIA, '
        'https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us'),
    'ND': StateTax(
        0.0431, 'income',
        'Graduated: 1.41% up to $25k, 3.55% up to $50k, 4.31% above.',
        'North Dakota Century Code s. 57-38-30 (FindLaw), '
        'https://codes.findlaw.com/nd/title-57-taxation/nd-cent-code-sect-57-38-30.html'),
    'NE': StateTax(
        0.0455, 'income',
        'Flat 4.55% for 2026, down from 5.2% in 2025.',
        'Tax Foundation, State Corporate Income Tax Rates and Brackets, 2026 (Jan 2026), as '
        'reported by NJBIA, '
        'https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us'),
    'NH': StateTax(
        0.075, 'income',
        '7.5% business profits tax; the separate 0.55% business enterprise tax is not included.',
        'New Hampshire RSA 77-A:2 (Casetext), https://casetext.com/statute/new-hampshire-revised-'
        'statutes/title-5-taxation/chapter-77-a-business-profits-tax/section-77-a2-imposition-of-'
        'tax'),
    'NJ': StateTax(
        0.09, 'income',
        'Graduated 6.5%/7.5%/9%, 9% above $100k; the 2.5% transit fee on income above $10 '
        'million is left out (a practice of this size does not reach it).',
        'Tax Foundation, State Corporate Income Tax Rates and Brackets, 2026 (Jan 2026), as '
        'reported by NJBIA, '
        'https://njbia.org/research-on-2026-corporate-tax-rates-shows-nj-retains-highest-in-us'),
    'NM': StateTax(
        0.059, 'income',
        'Flat 5.9% from tax year 2025.',
        'New Mexico Statutes s. 7-2A-5, effective 1 Jan 2025 (Casetext), https://casetext.com/sta'
        'tute/new-mexico-statutes-1978/chapter-7-taxation/article-2a-corporate-income-and-franchi'
        'se-tax/section-7-2a-5-effective-112025-corporate-income-tax-rates'),
    'NV': StateTax(
        0.0, 'gross_receipts',
        'Nevada has no corporate income tax; its commerce tax on Nevada gross revenue above $4 '
        'million (industry rates well under 1%, e.g. 0.128% for unclassified businesses) is not '
        'modeled as a profit tax.',
        'Nevada Revised Statutes 363C.300 and 363C.560 (Justia), '
        'http://law.justia.com/codes/nevada/2022/chapter-363c/statute-363c-560/; Tax Foundation '
        '2026 agrees'),
    'NY': StateTax(
        0.065, 'income',
        '6.5% of business income; the 7.25% rate for a business income base above $5 million is '
        'left out (a practice of this size does not reach it).',
        'NY Senate, 2025 Assembly Bill A5377 (quotes Tax Law s. 210: 7.25% for years before '
        '2027), https://www.nysenate.gov/legislation/bills/2025/A5377'),
    'OH': StateTax(
        0.0, 'gross_receipts',
        'Ohio has no corporate income tax; its commercial activity tax of 0.26% of gross receipts'
        ' above $6 million is not modeled as a profit tax.',
        'Ohio Revised Code 5751.03 (LawServer; exclusion $6 million from 2025), '
        'https://lawserver.com/law/state/ohio/oh-code/ohio_code_5751-03'),
    'OK': StateTax(
        0.04, 'income',
        'Flat 4% since 2022.',
        'Oklahoma Policy Institute, Corporate Income Tax, '
        'https://okpolicy.org/corporate-income-tax'),
    'OR': StateTax(
        0.076, 'income',
        "6.6% on the first $1 million, 7.6% above; Oregon's separate corporate activity tax "
        '(0.57% of receipts over $1 million) is not included.',
        'Oregon Department of Revenue, FAQ (corporate excise tax rates), '
        'https://www.oregon.gov/DOR/FAQ/pages/default.aspx'),
    'PA': StateTax(
        0.0749, 'income',
        'Flat 7.49% for 2026, falling 0.5 points a year to 4.99% in 2031.',
        'Pennsylvania Department of Revenue, Corporate Net Income Tax, https://www.revenue.pa.gov'
        '/TaxTypes/Corporation%20Taxes/Pages/Corporate%20Net%20Income%20Tax.aspx; Tax Foundation '
        '2026 agrees'),
    'RI': StateTax(
        0.07, 'income',
        'Flat 7% with a minimum tax.',
        'Rhode Island Division of Taxation, Corporate Tax, '
        'https://tax.ri.gov/tax-sections/corporate-tax'),
    'SC': StateTax(
        0.05, 'income',
        'Flat 5%.',
        'South Carolina Code s. 12-6-530 (LawServer), https://lawserver.com/?p=27526817'),
    'SD': StateTax(
        0.0, 'none',
        'South Dakota has no corporate income tax and no gross receipts tax.',
        "Tax Foundation, Wyoming's Proposed Corporate Tax is More Burdensome Than It Appears "
        '(only SD and WY levy neither), https://taxfoundation.org/wyoming-proposed-corporate-tax/'),
    'TN': StateTax(
        0.065, 'income',
        '6.5% excise tax on net earnings; the separate franchise tax on net worth is not '
        'included.',
        'Tennessee Code s. 67-4-2007 (laws9.com), '
        'http://laws9.com/statutes/tennessee/title-67/chapter-4/part-20/67-4-2007'),
    'TX': StateTax(
        0.0, 'gross_receipts',
        'Texas has no corporate income tax; its franchise tax of 0.75% of margin (0.375% for '
        'retail and wholesale) is not modeled as a profit tax.',
        'Texas Tax Code s. 171.002 (FindLaw), '
        'https://codes.findlaw.com/tx/tax-code/tax-sect-171-002/'),
    'UT': StateTax(
        0.045, 'income',
        'Flat 4.5% (the 2025 rate).',
        'Orbitax, Utah Cuts Individual and Corporate Franchise Tax Rates (HB 106, 2025), https://'
        'wpqa.orbitax.com/taxhub/news/country/article/Utah-Cuts-Individual-and-Corpo-58549; the '
        '2025 rate, no 2026 change found'),
    'VA': StateTax(
        0.06, 'income',
        'Flat 6%.',
        'Virginia Administrative Code 23VAC10-120-70 (current through Sept 2024), https://regulat'
        'ions.justia.com/states/virginia/title-23/agency-10/chapter-120/section-23vac10-120-70'),
    'VT': StateTax(
        0.085, 'income',
        'Graduated: 6% up to $10k, 7% up to $25k, 8.5% above.',
        'Vermont Statutes Title 32 s. 5832 (laws9.com), '
        'http://www.laws9.com/statutes/vermont/title-32/chapter-151/5832'),
    'WA': StateTax(
        0.0, 'gross_receipts',
        'Washington has no corporate income tax; its B&O tax on gross receipts (services: 1.5%, '
        '1.75% or 2.1% depending on prior-year income) is not modeled as a profit tax.',
        'Washington Department of Revenue, Service and Other Activities B&O tax rates from 1 Oct '
        '2025, https://dor.wa.gov/node/228'),
    'WI': StateTax(
        0.079, 'income',
        'Flat 7.9% franchise or income tax.',
        'LegalFix, Wisconsin franchise tax (7.9%), '
        'https://www.legalfix.com/topics/taxes/franchise-tax/wi'),
    'WV': StateTax(
        0.065, 'income',
        'Flat 6.5%.',
        'StateRegsToday, State Corporate Tax in West Virginia, '
        'https://www.stateregstoday.com/business/tax/state-corporate-tax-in-west-virginia; Tax '
        'Foundation 2026 agrees'),
    'WY': StateTax(
        0.0, 'none',
        'Wyoming has no corporate income tax and no gross receipts tax.',
        "Tax Foundation, Wyoming's Proposed Corporate Tax is More Burdensome Than It Appears, "
        'https://taxfoundation.org/wyoming-proposed-corporate-tax/'),
}


if __name__ == "__main__":
    print(markdown(), end="")
